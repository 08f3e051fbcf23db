#include <megane/proto/gateway_messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {
namespace {

void write_session(Writer& w, const SessionInfo& m) {
  w.u32(m.shard_id).str(m.session_id).u64(m.seq).str(m.resume_gateway_url);
}

void read_session(Reader& r, SessionInfo& out) {
  out.shard_id = r.u32();
  out.session_id = r.str();
  out.seq = r.u64();
  out.resume_gateway_url = r.str();
}

}  // namespace

Bytes encode(const SessionInfo& m) {
  Writer w;
  write_session(w, m);
  return w.take();
}
bool decode(ByteView in, SessionInfo& out) noexcept {
  Reader r(in);
  read_session(r, out);
  return r.done();
}

Bytes encode(const GatewayConfig& m) {
  Writer w;
  w.str(m.token).str(m.gateway_url).str(m.api_url).u64(m.intents).str(m.presence_json);
  w.u32(m.total_shards).u32(m.max_concurrency).u32(m.large_threshold);
  w.u32(static_cast<std::uint32_t>(m.sessions.size()));
  for (const auto& s : m.sessions) write_session(w, s);
  return w.take();
}
bool decode(ByteView in, GatewayConfig& out) noexcept {
  Reader r(in);
  out.token = r.str();
  out.gateway_url = r.str();
  out.api_url = r.str();
  out.intents = r.u64();
  out.presence_json = r.str();
  out.total_shards = r.u32();
  out.max_concurrency = r.u32();
  out.large_threshold = r.u32();
  const std::uint32_t n = r.u32();
  // A session takes at least 20 bytes: a count the payload cannot hold is malformed.
  if (!r.ok() || n > in.size() / 20) return false;
  out.sessions.clear();
  out.sessions.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    SessionInfo s;
    read_session(r, s);
    out.sessions.push_back(std::move(s));
  }
  return r.done();
}

Bytes encode(const IdentifyPermitRequest& m) { return Writer().u32(m.shard_id).take(); }
bool decode(ByteView in, IdentifyPermitRequest& out) noexcept {
  Reader r(in);
  out.shard_id = r.u32();
  return r.done();
}

Bytes encode(const IdentifyPermit& m) { return Writer().u32(m.shard_id).u64(m.ticket).take(); }
bool decode(ByteView in, IdentifyPermit& out) noexcept {
  Reader r(in);
  out.shard_id = r.u32();
  out.ticket = r.u64();
  return r.done();
}

Bytes encode(const IdentifyDone& m) { return Writer().u64(m.ticket).u8(m.sent ? 1 : 0).take(); }
bool decode(ByteView in, IdentifyDone& out) noexcept {
  Reader r(in);
  out.ticket = r.u64();
  out.sent = r.flag();
  return r.done();
}

Bytes encode(const ShardStatus& m) {
  Writer w;
  w.u32(m.shard_id).u8(static_cast<std::uint8_t>(m.state)).u32(m.latency_ms).u32(m.guilds).str(m.detail);
  return w.take();
}
bool decode(ByteView in, ShardStatus& out) noexcept {
  Reader r(in);
  out.shard_id = r.u32();
  const std::uint8_t st = r.u8();
  out.state = static_cast<ShardState>(st);
  out.latency_ms = r.u32();
  out.guilds = r.u32();
  out.detail = r.str();
  return st <= static_cast<std::uint8_t>(ShardState::fatal) && r.done();
}

std::string_view to_string(ShardState state) noexcept {
  switch (state) {
    case ShardState::connecting: return "connecting";
    case ShardState::identifying: return "identifying";
    case ShardState::resuming: return "resuming";
    case ShardState::ready: return "ready";
    case ShardState::disconnected: return "disconnected";
    case ShardState::fatal: return "fatal";
  }
  return "?";
}

}  // namespace megane::proto
