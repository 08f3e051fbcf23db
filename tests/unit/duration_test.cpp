// Duration syntax of config files: units, combinations, plain seconds, and the refusals.
#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>  // v3
#else
#include <catch2/catch.hpp>              // v2
#endif

#include <cmath>
#include <limits>

#include "duration.hpp"

using megane::daemon::duration_from_seconds;
using megane::daemon::format_duration;
using megane::daemon::max_duration;
using megane::daemon::parse_duration;
using std::chrono::milliseconds;

namespace {

milliseconds ok(std::string_view text) {
  const auto result = parse_duration(text);
  INFO(text << ": " << result.error);
  REQUIRE(result.ok());
  return result.value;
}

std::string error(std::string_view text) {
  const auto result = parse_duration(text);
  INFO(text);
  REQUIRE_FALSE(result.ok());
  return result.error;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("durations with one unit", "[duration]") {
  CHECK(ok("250ms") == milliseconds(250));
  CHECK(ok("5s") == milliseconds(5'000));
  CHECK(ok("2m") == milliseconds(120'000));
  CHECK(ok("1h") == milliseconds(3'600'000));
  CHECK(ok("1d") == milliseconds(86'400'000));
  CHECK(ok("0s") == milliseconds(0));
  CHECK(ok("0ms") == milliseconds(0));
}

TEST_CASE("durations with fractions and combined units", "[duration]") {
  CHECK(ok("1.5s") == milliseconds(1'500));
  CHECK(ok(".5s") == milliseconds(500));
  CHECK(ok("0.25h") == milliseconds(900'000));
  CHECK(ok("1m30s") == milliseconds(90'000));
  CHECK(ok("1h2m3s4ms") == milliseconds(3'723'004));
  CHECK(ok("1d12h") == milliseconds(129'600'000));
  CHECK(ok("365d") == max_duration);
}

TEST_CASE("malformed durations are refused with a reason", "[duration]") {
  CHECK(contains(error(""), "empty"));
  CHECK(contains(error("-5s"), "cannot be negative"));
  CHECK(contains(error("5x"), "unknown unit \"x\""));
  CHECK(contains(error("5sec"), "unknown unit \"sec\""));
  CHECK(contains(error("5"), "missing unit"));
  CHECK(contains(error("1m30"), "missing unit"));
  CHECK(contains(error("s"), "expected a number followed by a unit"));
  CHECK(contains(error("5 s"), "expected a number followed by a unit"));
  CHECK(contains(error("5."), "expected a number followed by a unit"));
  CHECK(contains(error("+5s"), "expected a number followed by a unit"));
  CHECK(contains(error("30s1m"), "largest first"));
  CHECK(contains(error("1s1s"), "largest first"));
  CHECK(contains(error("1.5ms"), "finer than one millisecond"));
  CHECK(contains(error("0.0001s"), "finer than one millisecond"));
  CHECK(contains(error("366d"), "too long"));
  CHECK(contains(error("99999999999999999999999h"), "too long"));
}

TEST_CASE("a plain number is seconds", "[duration]") {
  CHECK(duration_from_seconds(0).value == milliseconds(0));
  CHECK(duration_from_seconds(5).value == milliseconds(5'000));
  CHECK(duration_from_seconds(2.5).value == milliseconds(2'500));
  CHECK(duration_from_seconds(0.1).value == milliseconds(100));  // 100.00000000000001 in binary
  CHECK(contains(duration_from_seconds(-1).error, "cannot be negative"));
  CHECK(contains(duration_from_seconds(0.0005).error, "finer than one millisecond"));
  CHECK(contains(duration_from_seconds(std::numeric_limits<double>::infinity()).error, "too long"));
  CHECK_FALSE(duration_from_seconds(std::nan("")).ok());
  CHECK(contains(duration_from_seconds(1e12).error, "too long"));
}

TEST_CASE("format_duration is the inverse of parse_duration", "[duration]") {
  CHECK(format_duration(milliseconds(0)) == "0s");
  CHECK(format_duration(milliseconds(250)) == "250ms");
  CHECK(format_duration(milliseconds(90'000)) == "1m30s");
  CHECK(format_duration(milliseconds(3'723'004)) == "1h2m3s4ms");
  CHECK(format_duration(max_duration) == "365d");
  for (const char* text : {"1d12h", "5s", "1h2m3s4ms", "999ms"}) {
    CHECK(format_duration(ok(text)) == text);
  }
}
