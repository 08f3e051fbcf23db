#include <megane/proto/messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {

Bytes encode(const Hello& m) {
  Writer w;
  w.u16(m.version).u8(static_cast<std::uint8_t>(m.role));  // frozen prefix
  w.str(m.client).u32(m.cluster_id).str(m.service).u64(m.generation);
  return w.take();
}

bool decode(ByteView in, Hello& out) noexcept {
  Reader r(in);
  out.version = r.u16();
  const std::uint8_t role = r.u8();
  out.client = r.str();
  out.cluster_id = r.u32();
  out.service = r.str();
  out.generation = r.u64();
  if (role > static_cast<std::uint8_t>(Role::service)) return false;
  out.role = static_cast<Role>(role);
  return r.done();
}

std::optional<std::uint16_t> peek_hello_version(ByteView in) noexcept {
  Reader r(in);
  const std::uint16_t v = r.u16();
  if (!r.ok()) return std::nullopt;
  return v;
}

Bytes encode(const HelloOk& m) {
  Writer w;
  w.u16(m.version).str(m.daemon).str(m.bot).u32(m.cluster_id).u32(m.first_shard);
  w.u32(m.shard_count).u32(m.total_shards).u32(m.heartbeat_interval_ms);
  return w.take();
}

bool decode(ByteView in, HelloOk& out) noexcept {
  Reader r(in);
  out.version = r.u16();
  out.daemon = r.str();
  out.bot = r.str();
  out.cluster_id = r.u32();
  out.first_shard = r.u32();
  out.shard_count = r.u32();
  out.total_shards = r.u32();
  out.heartbeat_interval_ms = r.u32();
  return r.done();
}

void encode_error(Writer& w, ErrorCode code, std::string_view message) {
  w.reserve(2 + str_size(message));
  w.u16(static_cast<std::uint16_t>(code)).str(message);
}

Bytes encode(const ErrorReply& m) {
  Writer w;
  encode_error(w, m.code, m.message);
  return w.take();
}

bool decode(ByteView in, ErrorReply& out) noexcept {
  Reader r(in);
  out.code = static_cast<ErrorCode>(r.u16());
  out.message = r.str();
  return r.done();
}

Bytes encode(const RestartCluster& m) {
  Writer w;
  w.u32(m.cluster_id).u8(m.wait_ready ? 1 : 0);
  return w.take();
}

bool decode(ByteView in, RestartCluster& out) noexcept {
  Reader r(in);
  out.cluster_id = r.u32();
  out.wait_ready = r.flag();
  return r.done();
}

Bytes encode(const RollingRestart& m) {
  Writer w;
  w.u32(m.cluster_timeout_ms);
  return w.take();
}

bool decode(ByteView in, RollingRestart& out) noexcept {
  Reader r(in);
  out.cluster_timeout_ms = r.u32();
  return r.done();
}

}  // namespace megane::proto
