// What the kernel says about one process: CPU time used (utime + stime of all its threads) and
// resident memory, read from /proc/PID/stat and /proc/PID/statm. A CPU percentage is the
// difference of two samples over the wall time between them (CpuMeter), never the lifetime
// average.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace megane::daemon {

struct ProcSample {
  std::uint64_t cpu_ticks = 0;  // utime + stime, in clock ticks (sysconf(_SC_CLK_TCK))
  std::uint64_t rss_bytes = 0;
};

// utime + stime from the text of /proc/PID/stat. The command name (field 2) may hold spaces
// and parentheses, so fields are counted after its last ')'.
std::optional<std::uint64_t> parse_stat_cpu_ticks(std::string_view stat);
// Resident pages (field 2) from the text of /proc/PID/statm.
std::optional<std::uint64_t> parse_statm_resident_pages(std::string_view statm);

// nullopt when the process is gone (or /proc is not readable).
std::optional<ProcSample> sample_process(pid_t pid);

double clock_ticks_per_second();

// One process's CPU share between successive samples. A new pid starts from zero ticks at the
// time it was spawned, so its first reading covers its life so far.
class CpuMeter {
 public:
  using Clock = std::chrono::steady_clock;

  // Percent of one CPU since the previous call (100 = one core busy the whole time).
  double update(pid_t pid, std::uint64_t ticks, Clock::time_point now, Clock::time_point spawned_at);

 private:
  pid_t pid_ = 0;
  std::uint64_t ticks_ = 0;
  Clock::time_point at_{};
};

// The share itself, kept apart so the arithmetic is testable without /proc.
double cpu_percent(std::uint64_t ticks_before, std::uint64_t ticks_now, double seconds, double ticks_per_second);

}  // namespace megane::daemon
