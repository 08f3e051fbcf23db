// Human output of `meganectl stats`: a summary line (collection, age, meganed's own CPU and
// memory), a table of clusters, one of services, and each worker's custom stats. Pure,
// unit-tested; reads the daemon's stats JSON (docs/protocol.md#stats).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace megane::ctl {

// "12.3 MiB", "512 KiB", "1.2 GiB".
std::string format_bytes(double bytes);

// The whole output, ending with a newline; nullopt with `error` set when the JSON is not a
// stats reply.
std::optional<std::string> format_stats(std::string_view json, std::string& error);

}  // namespace megane::ctl
