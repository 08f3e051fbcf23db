// Reading Discord's JSON into cache fields: snowflakes and permission bits arrive as decimal
// strings, timestamps as ISO 8601, and any field may be null. A value of the wrong type reads
// as absent (0 / empty): the cache keeps going rather than failing on one odd field.
//
// The cache reads the simdjson DOM the gateway builds for every dispatch. A second path that
// read GUILD_CREATE with On-Demand (no DOM) measured no faster and was removed
// (docs/benchmarks.md, cache section).
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

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
// The digits of a snowflake string -> the id; anything else -> 0.
std::uint64_t parse_snowflake(std::string_view digits) noexcept;

template <class T>
T narrow(std::uint64_t v) noexcept {
  return v > static_cast<std::uint64_t>(static_cast<T>(-1)) ? static_cast<T>(-1) : static_cast<T>(v);
}

// `f(key, value)` per member of an object, `f(value)` per element of an array.
template <class F>
void for_each_field(object json, F&& f) {
  for (const auto field : json) f(field.key, field.value);
}

template <class F>
void for_each_element(array json, F&& f) {
  for (const element e : json) f(e);
}

inline bool as_object(element value, object& out) noexcept { return value.get_object().get(out) == simdjson::SUCCESS; }
inline bool as_array(element value, array& out) noexcept { return value.get_array().get(out) == simdjson::SUCCESS; }

// The object and array types that go with an element type (the field readers are written
// over it).
template <class Value>
struct json_types;
template <>
struct json_types<element> {
  using object_type = object;
  using array_type = array;
};

}  // namespace megane::cache
