#include "meganectl/timeout.hpp"

#include <charconv>

#include <fmt/format.h>

#include "duration.hpp"  // megane_config: the daemon's duration parser

namespace megane::ctl {

std::variant<std::chrono::milliseconds, std::string> parse_timeout(std::string_view text) {
  // A bare number is seconds, as a number is in the config file ("30", "2.5").
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  const bool bare_number = !text.empty() && ec == std::errc{} && end == text.data() + text.size();
  const daemon::DurationResult parsed =
      bare_number ? daemon::duration_from_seconds(seconds) : daemon::parse_duration(text);
  if (!parsed.ok()) return fmt::format("--timeout: {}", parsed.error);
  if (parsed.value.count() == 0) return std::string("--timeout: must be greater than zero");
  return parsed.value;
}

}  // namespace megane::ctl
