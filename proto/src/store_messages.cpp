#include <megane/proto/store_messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {
Bytes encode(const StoreGet& m) { return Writer().str(m.key).take(); }
bool decode(ByteView in, StoreGet& out) noexcept {
  Reader r(in);
  out.key = r.str();
  return r.done();
}

Bytes encode(const StoreValue& m) { return Writer().u8(m.found ? 1 : 0).str(m.value).take(); }
bool decode(ByteView in, StoreValue& out) noexcept {
  Reader r(in);
  out.found = r.flag();
  out.value = r.str();
  return r.done();
}

Bytes encode(const StoreSet& m) {
  return Writer().str(m.key).str(m.value).u64(m.ttl_ms).u8(static_cast<std::uint8_t>(m.condition)).take();
}
bool decode(ByteView in, StoreSet& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.value = r.str();
  out.ttl_ms = r.u64();
  const std::uint8_t c = r.u8();
  out.condition = static_cast<StoreCondition>(c);
  return c <= static_cast<std::uint8_t>(StoreCondition::if_present) && r.done();
}

Bytes encode(const StoreApplied& m) { return Writer().u8(m.applied ? 1 : 0).take(); }
bool decode(ByteView in, StoreApplied& out) noexcept {
  Reader r(in);
  out.applied = r.flag();
  return r.done();
}

Bytes encode(const StoreDelete& m) { return Writer().str(m.key).take(); }
bool decode(ByteView in, StoreDelete& out) noexcept {
  Reader r(in);
  out.key = r.str();
  return r.done();
}

Bytes encode(const StoreIncrement& m) {
  return Writer().str(m.key).u64(static_cast<std::uint64_t>(m.delta)).take();
}
bool decode(ByteView in, StoreIncrement& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.delta = static_cast<std::int64_t>(r.u64());
  return r.done();
}

Bytes encode(const StoreInteger& m) { return Writer().u64(static_cast<std::uint64_t>(m.value)).take(); }
bool decode(ByteView in, StoreInteger& out) noexcept {
  Reader r(in);
  out.value = static_cast<std::int64_t>(r.u64());
  return r.done();
}

Bytes encode(const StoreCompareAndSet& m) {
  Writer w;
  w.str(m.key).u8(m.expected ? 1 : 0).str(m.expected.value_or(std::string{})).str(m.value).u64(m.ttl_ms);
  return w.take();
}
bool decode(ByteView in, StoreCompareAndSet& out) noexcept {
  Reader r(in);
  out.key = r.str();
  const bool has_expected = r.flag();
  const auto expected = r.str();
  if (has_expected) out.expected = std::string(expected);
  else out.expected.reset();
  out.value = r.str();
  out.ttl_ms = r.u64();
  // "Absent" carries an empty string; anything else there is not a payload our encoder writes
  // (found by fuzz_ipc_frames: it was silently ignored).
  return r.done() && (has_expected || expected.empty());
}

Bytes encode(const StoreExpire& m) { return Writer().str(m.key).u64(m.ttl_ms).take(); }
bool decode(ByteView in, StoreExpire& out) noexcept {
  Reader r(in);
  out.key = r.str();
  out.ttl_ms = r.u64();
  return r.done();
}

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
