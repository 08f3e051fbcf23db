#include "duration.hpp"

#include <array>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "config_tree.hpp"

namespace megane::daemon {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};

// Largest first: a combined duration must list its parts in this order, each at most once,
// so "1m30s" is accepted and the ambiguous-looking "30s1m" or "1s1s" are not.
constexpr std::array<Unit, 5> units{{
    {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::string_view unit_list = "ms, s, m, h or d";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

DurationResult fail(std::string message) { return DurationResult{{}, std::move(message)}; }

std::string too_long(std::string_view text) {
  return fmt::format("duration {} is too long (at most {})", quote(text),
                     format_duration(max_duration));
}

}  // namespace

DurationResult parse_duration(std::string_view text) {
  if (text.empty()) return fail("empty duration; write e.g. \"5s\" or \"1m30s\"");
  if (text.front() == '-') {
    return fail(fmt::format("durations cannot be negative, got {}", quote(text)));
  }
  const std::string syntax = fmt::format(
      "invalid duration {}: expected a number followed by a unit ({}), e.g. \"5s\" or \"1m30s\"",
      quote(text), unit_list);

  const std::int64_t max_ms = max_duration.count();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into `units` of the largest unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    // The number: digits, optionally a fraction. Integer part is capped well below overflow
    // of int_part * 86'400'000.
    std::int64_t int_part = 0;
    std::size_t int_digits = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (int_part > 100'000'000'000) return fail(too_long(text));
      int_part = int_part * 10 + (text[i] - '0');
      ++int_digits;
      ++i;
    }
    std::int64_t frac = 0;
    std::int64_t frac_scale = 1;
    bool finer_than_ms = false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::size_t frac_digits = 0;
      while (i < text.size() && is_digit(text[i])) {
        // Nine fraction digits of the largest unit are already below a millisecond; any
        // further non-zero digit can only add sub-millisecond noise.
        if (frac_digits < 9) {
          frac = frac * 10 + (text[i] - '0');
          frac_scale *= 10;
        } else if (text[i] != '0') {
          finer_than_ms = true;
        }
        ++frac_digits;
        ++i;
      }
      if (frac_digits == 0) return fail(syntax);
    }
    if (int_digits == 0 && frac_scale == 1) return fail(syntax);

    const std::size_t unit_start = i;
    while (i < text.size() && is_alpha(text[i])) ++i;
    const std::string_view unit_name = text.substr(unit_start, i - unit_start);
    if (unit_name.empty()) {
      if (i == text.size()) {
        return fail(fmt::format("missing unit in duration {} (use {}, e.g. \"{}s\")", quote(text),
                                unit_list, text));
      }
      return fail(syntax);
    }
    std::size_t u = 0;
    while (u < units.size() && units[u].name != unit_name) ++u;
    if (u == units.size()) {
      return fail(fmt::format("unknown unit {} in duration {} (use {})", quote(unit_name),
                              quote(text), unit_list));
    }
    if (u < next_unit) {
      return fail(fmt::format(
          "invalid duration {}: list each unit at most once, largest first (e.g. \"1h30m\")",
          quote(text)));
    }
    next_unit = u + 1;

    const std::int64_t unit_ms = units[u].millis;
    if (int_part > max_ms / unit_ms) return fail(too_long(text));
    const std::int64_t frac_ms = frac * unit_ms;  // < 10^9 * 86'400'000: fits
    if (finer_than_ms || frac_ms % frac_scale != 0) {
      return fail(fmt::format("duration {} is finer than one millisecond", quote(text)));
    }
    total += int_part * unit_ms + frac_ms / frac_scale;
    if (total > max_ms) return fail(too_long(text));
  }
  return DurationResult{std::chrono::milliseconds{total}, {}};
}

DurationResult duration_from_seconds(double seconds) {
  if (std::isnan(seconds)) return fail("a duration cannot be NaN");
  if (seconds < 0) {
    return fail(fmt::format("durations cannot be negative, got {} seconds", seconds));
  }
  const double millis = seconds * 1000.0;
  if (millis > static_cast<double>(max_duration.count())) {
    return fail(fmt::format("duration of {} seconds is too long (at most {})", seconds,
                            format_duration(max_duration)));
  }
  const double rounded = std::round(millis);
  // 0.1 * 1000 is 100.00000000000001: accept binary noise, reject real sub-millisecond parts.
  if (std::fabs(millis - rounded) > 1e-6) {
    return fail(fmt::format("duration of {} seconds is finer than one millisecond", seconds));
  }
  return DurationResult{std::chrono::milliseconds{static_cast<std::int64_t>(rounded)}, {}};
}

std::string format_duration(std::chrono::milliseconds value) {
  std::int64_t rest = value.count();
  if (rest == 0) return "0s";
  std::string out;
  if (rest < 0) {
    out += '-';
    rest = -rest;
  }
  for (const Unit& unit : units) {
    if (rest >= unit.millis) {
      out += fmt::format("{}{}", rest / unit.millis, unit.name);
      rest %= unit.millis;
    }
  }
  return out;
}

}  // namespace megane::daemon
