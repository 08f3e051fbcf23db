// Reading Discord's JSON into cache fields: snowflakes and permission bits arrive as decimal
// strings, timestamps as ISO 8601, and any field may be null. A value of the wrong type reads
// as absent (0 / empty): the cache keeps going rather than failing on one odd field.
#pragma once

#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace megane::cache {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

// "81384788765712384" (or a JSON number) -> the id; null, missing or malformed -> 0.
std::uint64_t snowflake(element value) noexcept;
std::uint64_t snowflake(simdjson::simdjson_result<element> value) noexcept;
std::string_view text(element value) noexcept;  // null or not a string -> ""
std::uint64_t uint(element value) noexcept;     // not a non-negative integer -> 0
bool boolean(element value) noexcept;           // not true -> false
// "2021-03-04T05:06:07.123000+00:00" -> Unix ms; null or malformed -> 0.
std::int64_t timestamp_ms(element value) noexcept;
std::int64_t parse_timestamp_ms(std::string_view iso) noexcept;

template <class T>
T narrow(std::uint64_t v) noexcept {
  return v > static_cast<std::uint64_t>(static_cast<T>(-1)) ? static_cast<T>(-1) : static_cast<T>(v);
}

}  // namespace megane::cache
