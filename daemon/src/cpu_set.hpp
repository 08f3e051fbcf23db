// CPU lists: what this process may run on, and the "0-3,6" notation of /proc and taskset.
#pragma once

#include <string>
#include <vector>

namespace megane::daemon {

// CPUs in this process's affinity mask, ascending (sched_getaffinity).
std::vector<int> allowed_cpus();

// Formats an ascending CPU list compactly: {0,1,2,3,6} -> "0-3,6".
std::string format_cpu_list(const std::vector<int>& cpus);

// Parses the /proc "Cpus_allowed_list" notation; empty on malformed input.
std::vector<int> parse_cpu_list(const std::string& text);

}  // namespace megane::daemon
