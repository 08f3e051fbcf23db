#include <megane/proto/store_messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {
namespace {

// One decoder per request shape, for the owning struct (SDK, tests) and the view (daemon).
template <class Out>
bool decode_key(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.key = r.str();
  return r.done();
}

template <class Out>
bool decode_set(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.value = r.str();
  out.ttl_ms = r.u64();
  const std::uint8_t c = r.u8();
  out.condition = static_cast<StoreCondition>(c);
  return c <= static_cast<std::uint8_t>(StoreCondition::if_present) && r.done();
}

template <class Out>
bool decode_increment(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.delta = static_cast<std::int64_t>(r.u64());
  return r.done();
}

template <class Out>
bool decode_compare_and_set(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.key = r.str();
  const bool has_expected = r.flag();
  const auto expected = r.str();
  if (has_expected) out.expected.emplace(expected);
  else out.expected.reset();
  out.value = r.str();
  out.ttl_ms = r.u64();
  // "Absent" carries an empty string; anything else there is not a payload our encoder writes
  // (found by fuzz_ipc_frames: it was silently ignored).
  return r.done() && (has_expected || expected.empty());
}

template <class Out>
bool decode_expire(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.ttl_ms = r.u64();
  return r.done();
}

}  // namespace

bool decode(ByteView in, StoreKeyView& out) noexcept { return decode_key(in, out); }
bool decode(ByteView in, StoreSetView& out) noexcept { return decode_set(in, out); }
bool decode(ByteView in, StoreIncrementView& out) noexcept { return decode_increment(in, out); }
bool decode(ByteView in, StoreCompareAndSetView& out) noexcept { return decode_compare_and_set(in, out); }
bool decode(ByteView in, StoreExpireView& out) noexcept { return decode_expire(in, out); }

void encode_store_value(Writer& w, bool found, std::string_view value) {
  w.reserve(1 + str_size(value));
  w.u8(found ? 1 : 0).str(value);
}
void encode_store_applied(Writer& w, bool applied) { w.u8(applied ? 1 : 0); }
void encode_store_integer(Writer& w, std::int64_t value) { w.u64(static_cast<std::uint64_t>(value)); }

Bytes encode(const StoreKeyView& m) {
  Writer w;
  w.reserve(str_size(m.key));
  return w.str(m.key).take();
}
Bytes encode(const StoreSetView& m) {
  Writer w;
  w.reserve(str_size(m.key) + str_size(m.value) + 8 + 1);
  return w.str(m.key).str(m.value).u64(m.ttl_ms).u8(static_cast<std::uint8_t>(m.condition)).take();
}
Bytes encode(const StoreIncrementView& m) {
  Writer w;
  w.reserve(str_size(m.key) + 8);
  return w.str(m.key).u64(static_cast<std::uint64_t>(m.delta)).take();
}
Bytes encode(const StoreCompareAndSetView& m) {
  Writer w;
  const std::string_view expected = m.expected.value_or(std::string_view{});
  w.reserve(str_size(m.key) + 1 + str_size(expected) + str_size(m.value) + 8);
  return w.str(m.key).u8(m.expected ? 1 : 0).str(expected).str(m.value).u64(m.ttl_ms).take();
}
Bytes encode(const StoreExpireView& m) {
  Writer w;
  w.reserve(str_size(m.key) + 8);
  return w.str(m.key).u64(m.ttl_ms).take();
}

Bytes encode(const StoreGet& m) { return encode(StoreKeyView{m.key}); }
bool decode(ByteView in, StoreGet& out) noexcept { return decode_key(in, out); }

Bytes encode(const StoreValue& m) {
  Writer w;
  encode_store_value(w, m.found, m.value);
  return w.take();
}
bool decode(ByteView in, StoreValue& out) noexcept {
  Reader r(in);
  out.found = r.flag();
  out.value = r.str();
  return r.done();
}

Bytes encode(const StoreSet& m) { return encode(StoreSetView{m.key, m.value, m.ttl_ms, m.condition}); }
bool decode(ByteView in, StoreSet& out) noexcept { return decode_set(in, out); }

Bytes encode(const StoreApplied& m) {
  Writer w;
  encode_store_applied(w, m.applied);
  return w.take();
}
bool decode(ByteView in, StoreApplied& out) noexcept {
  Reader r(in);
  out.applied = r.flag();
  return r.done();
}

Bytes encode(const StoreDelete& m) { return encode(StoreKeyView{m.key}); }
bool decode(ByteView in, StoreDelete& out) noexcept { return decode_key(in, out); }

Bytes encode(const StoreIncrement& m) { return encode(StoreIncrementView{m.key, m.delta}); }
bool decode(ByteView in, StoreIncrement& out) noexcept { return decode_increment(in, out); }

Bytes encode(const StoreInteger& m) {
  Writer w;
  encode_store_integer(w, m.value);
  return w.take();
}
bool decode(ByteView in, StoreInteger& out) noexcept {
  Reader r(in);
  out.value = static_cast<std::int64_t>(r.u64());
  return r.done();
}

Bytes encode(const StoreCompareAndSet& m) {
  std::optional<std::string_view> expected;
  if (m.expected) expected = *m.expected;
  return encode(StoreCompareAndSetView{m.key, expected, m.value, m.ttl_ms});
}
bool decode(ByteView in, StoreCompareAndSet& out) noexcept { return decode_compare_and_set(in, out); }

Bytes encode(const StoreExpire& m) { return encode(StoreExpireView{m.key, m.ttl_ms}); }
bool decode(ByteView in, StoreExpire& out) noexcept { return decode_expire(in, out); }

Bytes encode(const StoreKeys& m) { return Writer().str(m.prefix).str(m.cursor).u32(m.count).take(); }
bool decode(ByteView in, StoreKeys& out) noexcept {
  Reader r(in);
  out.prefix = r.str();
  out.cursor = r.str();
  out.count = r.u32();
  return r.done();
}

Bytes encode(const StoreKeyPage& m) {
  Writer w;
  w.u32(static_cast<std::uint32_t>(m.keys.size()));
  for (const auto& k : m.keys) w.str(k);
  w.str(m.next_cursor);
  return w.take();
}
bool decode(ByteView in, StoreKeyPage& out) noexcept {
  Reader r(in);
  const std::uint32_t n = r.u32();
  out.keys.clear();
  // Each key takes at least 4 bytes: a count the payload cannot hold is malformed.
  if (!r.ok() || n > in.size() / 4) return false;
  out.keys.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) out.keys.emplace_back(r.str());
  out.next_cursor = r.str();
  return r.done();
}

}  // namespace megane::proto
