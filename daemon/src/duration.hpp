// Durations in config files: "250ms", "5s", "2m", "1h", "1d", combined as "1m30s", or a plain
// non-negative number of seconds. Millisecond resolution, because every timer in meganed is.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace megane::daemon {

// Longer than any sane timeout; keeps every later `now + duration` far from overflow.
inline constexpr std::chrono::milliseconds max_duration{365LL * 24 * 3600 * 1000};

struct DurationResult {
  std::chrono::milliseconds value{0};
  std::string error;  // empty on success; otherwise a complete sentence for the user

  bool ok() const { return error.empty(); }
};

// "1m30s" -> 90000 ms. Units: ms, s, m, h, d, each at most once, largest first.
DurationResult parse_duration(std::string_view text);

// A number of seconds (from `timeout = 2.5`) -> 2500 ms.
DurationResult duration_from_seconds(double seconds);

// 90000 ms -> "1m30s"; the inverse of parse_duration, for messages and logs.
std::string format_duration(std::chrono::milliseconds value);

}  // namespace megane::daemon
