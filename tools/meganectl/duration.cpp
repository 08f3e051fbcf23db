#include "meganectl/duration.hpp"

#include <charconv>
#include <cmath>

namespace megane::ctl {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  // Split "<number><unit>": the number is digits with at most one '.'.
  std::size_t digits = 0;
  bool dot = false;
  while (digits < text.size() && ((text[digits] >= '0' && text[digits] <= '9') ||
                                  (text[digits] == '.' && !dot))) {
    dot = dot || text[digits] == '.';
    ++digits;
  }
  const std::string_view number = text.substr(0, digits);
  const std::string_view unit = text.substr(digits);
  if (number.empty() || number == ".") return std::nullopt;

  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size()) return std::nullopt;

  double ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit.empty() || unit == "s") {
    ms_per_unit = 1'000;
  } else if (unit == "m") {
    ms_per_unit = 60'000;
  } else if (unit == "h") {
    ms_per_unit = 3'600'000;
  } else {
    return std::nullopt;
  }
  const double ms = std::round(value * ms_per_unit);
  // A week is far beyond any sensible wait; it also keeps the value inside poll()'s int.
  if (ms < 1 || ms > 7.0 * 24 * 3'600'000) return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

}  // namespace megane::ctl
