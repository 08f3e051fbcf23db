// Payloads of the central store's requests (0x02xx). Keys and values are bytes. Every request
// is answered (same request id) with the reply below, or an error frame: `persistence` when the
// write could not be made durable (nothing was acknowledged), `malformed`, or `limit`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <megane/proto/frame.hpp>

namespace megane::proto {

enum class StoreCondition : std::uint8_t { always = 0, if_absent = 1, if_present = 2 };

struct StoreGet {            // -> StoreValue
  std::string key;
};
struct StoreValue {
  bool found = false;
  std::string value;
};

struct StoreSet {            // -> StoreApplied
  std::string key;
  std::string value;
  std::uint64_t ttl_ms = 0;  // 0 = no expiry (a plain set clears an old one)
  StoreCondition condition = StoreCondition::always;
};
struct StoreApplied {
  bool applied = false;
};

struct StoreDelete {         // -> StoreApplied (deleted)
  std::string key;
};

struct StoreIncrement {      // -> StoreInteger, or error malformed "not an integer" / "overflow"
  std::string key;
  std::int64_t delta = 1;
};
struct StoreInteger {
  std::int64_t value = 0;
};

struct StoreCompareAndSet {  // -> StoreApplied
  std::string key;
  std::optional<std::string> expected;  // nullopt: the key must be absent
  std::string value;
  std::uint64_t ttl_ms = 0;
};

struct StoreExpire {         // -> StoreApplied (false when the key is absent)
  std::string key;
  std::uint64_t ttl_ms = 0;  // 0 = remove the expiry
};

struct StoreKeys {           // -> StoreKeyPage
  std::string prefix;
  std::string cursor;        // "" = from the start; else next_cursor of the previous page
  std::uint32_t count = 100; // at most 1000
};
struct StoreKeyPage {
  std::vector<std::string> keys;
  std::string next_cursor;   // "" = done
};

Bytes encode(const StoreGet& m);
Bytes encode(const StoreValue& m);
Bytes encode(const StoreSet& m);
Bytes encode(const StoreApplied& m);
Bytes encode(const StoreDelete& m);
Bytes encode(const StoreIncrement& m);
Bytes encode(const StoreInteger& m);
Bytes encode(const StoreCompareAndSet& m);
Bytes encode(const StoreExpire& m);
Bytes encode(const StoreKeys& m);
Bytes encode(const StoreKeyPage& m);

// The requests as the daemon decodes them: views into the received payload, valid as long as
// that payload (no copy of a key or value before the store itself keeps one).
struct StoreKeyView {        // StoreGet and StoreDelete
  std::string_view key;
};
struct StoreSetView {
  std::string_view key;
  std::string_view value;
  std::uint64_t ttl_ms = 0;
  StoreCondition condition = StoreCondition::always;
};
struct StoreIncrementView {
  std::string_view key;
  std::int64_t delta = 1;
};
struct StoreCompareAndSetView {
  std::string_view key;
  std::optional<std::string_view> expected;
  std::string_view value;
  std::uint64_t ttl_ms = 0;
};
struct StoreExpireView {
  std::string_view key;
  std::uint64_t ttl_ms = 0;
};

// Requests encoded from views (the SDK encodes its string_view arguments without a copy).
Bytes encode(const StoreKeyView& m);
Bytes encode(const StoreSetView& m);
Bytes encode(const StoreIncrementView& m);
Bytes encode(const StoreCompareAndSetView& m);
Bytes encode(const StoreExpireView& m);

bool decode(ByteView in, StoreKeyView& out) noexcept;
bool decode(ByteView in, StoreSetView& out) noexcept;
bool decode(ByteView in, StoreIncrementView& out) noexcept;
bool decode(ByteView in, StoreCompareAndSetView& out) noexcept;
bool decode(ByteView in, StoreExpireView& out) noexcept;

class Writer;
// Reply payloads appended to `w` (the daemon writes them straight into the output buffer).
void encode_store_value(Writer& w, bool found, std::string_view value);
void encode_store_applied(Writer& w, bool applied);
void encode_store_integer(Writer& w, std::int64_t value);

bool decode(ByteView in, StoreGet& out) noexcept;
bool decode(ByteView in, StoreValue& out) noexcept;
bool decode(ByteView in, StoreSet& out) noexcept;
bool decode(ByteView in, StoreApplied& out) noexcept;
bool decode(ByteView in, StoreDelete& out) noexcept;
bool decode(ByteView in, StoreIncrement& out) noexcept;
bool decode(ByteView in, StoreInteger& out) noexcept;
bool decode(ByteView in, StoreCompareAndSet& out) noexcept;
bool decode(ByteView in, StoreExpire& out) noexcept;
bool decode(ByteView in, StoreKeys& out) noexcept;
bool decode(ByteView in, StoreKeyPage& out) noexcept;

}  // namespace megane::proto
