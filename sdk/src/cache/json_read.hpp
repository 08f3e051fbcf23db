// Reading Discord's JSON into cache fields: snowflakes and permission bits arrive as decimal
// strings, timestamps as ISO 8601, and any field may be null. A value of the wrong type reads
// as absent (0 / empty): the cache keeps going rather than failing on one odd field.
//
// Every reader exists for a simdjson DOM element and for an On-Demand value, so the per-entity
// field readers (templates over the two) give the same cache state from either: the DOM when a
// bot's handlers need the payload too, On-Demand (one pass, no tape) when only the cache does.
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
namespace od = simdjson::ondemand;

// "81384788765712384" (or a JSON number) -> the id; null, missing or malformed -> 0.
std::uint64_t snowflake(element value) noexcept;
std::uint64_t snowflake(simdjson::simdjson_result<element> value) noexcept;
std::uint64_t snowflake(od::value& value) noexcept;
std::string_view text(element value) noexcept;  // null or not a string -> ""
std::string_view text(od::value& value) noexcept;
std::uint64_t uint(element value) noexcept;     // not a non-negative integer -> 0
std::uint64_t uint(od::value& value) noexcept;
bool boolean(element value) noexcept;           // not true -> false
bool boolean(od::value& value) noexcept;
// "2021-03-04T05:06:07.123000+00:00" -> Unix ms; null or malformed -> 0.
std::int64_t timestamp_ms(element value) noexcept;
std::int64_t timestamp_ms(od::value& value) noexcept;
std::int64_t parse_timestamp_ms(std::string_view iso) noexcept;
// The digits of a snowflake string -> the id; anything else -> 0.
std::uint64_t parse_snowflake(std::string_view digits) noexcept;

template <class T>
T narrow(std::uint64_t v) noexcept {
  return v > static_cast<std::uint64_t>(static_cast<T>(-1)) ? static_cast<T>(-1) : static_cast<T>(v);
}

// The same walk over either kind of JSON. `f(key, value)` per member of an object, `f(value)`
// per element of an array. An On-Demand error (malformed JSON) ends the walk there.
template <class F>
void for_each_field(object json, F&& f) {
  for (const auto field : json) f(field.key, field.value);
}

// A key as it stands in the payload: Discord's keys never hold escapes, so the bytes up to the
// closing quote are the key, without copying them into the parser's string buffer (which
// unescaped_key() does: measured at ~5 % of caching a GUILD_CREATE). A key with a backslash
// is unescaped.
inline bool field_key(od::field& field, std::string_view& key) noexcept {
  const char* p = field.key().raw();
  std::size_t n = 0;
  while (p[n] != '"' && p[n] != '\\') ++n;  // stage 1 found the closing quote
  if (p[n] == '"') {
    key = std::string_view(p, n);
    return true;
  }
  return field.unescaped_key().get(key) == simdjson::SUCCESS;
}

template <class F>
void for_each_field(od::object& json, F&& f) {
  for (auto result : json) {
    od::field field;
    std::string_view key;
    if (std::move(result).get(field) != simdjson::SUCCESS || !field_key(field, key)) return;
    f(key, field.value());
  }
}

template <class F>
void for_each_element(array json, F&& f) {
  for (const element e : json) f(e);
}

template <class F>
void for_each_element(od::array& json, F&& f) {
  for (auto result : json) {
    od::value v;
    if (std::move(result).get(v) != simdjson::SUCCESS) return;
    f(v);
  }
}

inline bool as_object(element value, object& out) noexcept { return value.get_object().get(out) == simdjson::SUCCESS; }
inline bool as_object(od::value& value, od::object& out) noexcept { return value.get_object().get(out) == simdjson::SUCCESS; }
inline bool as_array(element value, array& out) noexcept { return value.get_array().get(out) == simdjson::SUCCESS; }
inline bool as_array(od::value& value, od::array& out) noexcept { return value.get_array().get(out) == simdjson::SUCCESS; }

// The object and array types that go with an element type.
template <class Value>
struct json_types;
template <>
struct json_types<element> {
  using object_type = object;
  using array_type = array;
};
template <>
struct json_types<od::value> {
  using object_type = od::object;
  using array_type = od::array;
};

}  // namespace megane::cache
