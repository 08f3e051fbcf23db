#include <megane/proto/command_messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {
Bytes encode(const ServiceCommand& m) {
  Writer w;
  w.reserve(str_size(m.service) + 1 + 4 + str_size(m.data));
  w.str(m.service).u8(m.receptive ? 1 : 0).u32(m.timeout_ms).str(m.data);
  return w.take();
}

namespace {
// One decoder for both shapes: the owning struct copies the views.
template <class Out>
bool decode_service_command(ByteView in, Out& out) noexcept {
  Reader r(in);
  out.service = r.str();
  out.receptive = r.flag();
  out.timeout_ms = r.u32();
  out.data = r.str();
  return r.done();
}

template <class Out>
bool decode_cluster_command(ByteView in, Out& out) noexcept {
  Reader r(in);
  const std::uint8_t kind = r.u8();
  out.target_kind = static_cast<CommandTarget>(kind);
  out.target = r.u64();
  out.receptive = r.flag();
  out.timeout_ms = r.u32();
  out.data = r.str();
  return kind <= static_cast<std::uint8_t>(CommandTarget::guild) && r.done();
}
}  // namespace

bool decode(ByteView in, ServiceCommand& out) noexcept { return decode_service_command(in, out); }
bool decode(ByteView in, ServiceCommandView& out) noexcept { return decode_service_command(in, out); }

Bytes encode(const ClusterCommand& m) {
  Writer w;
  w.reserve(1 + 8 + 1 + 4 + str_size(m.data));
  w.u8(static_cast<std::uint8_t>(m.target_kind)).u64(m.target).u8(m.receptive ? 1 : 0);
  w.u32(m.timeout_ms).str(m.data);
  return w.take();
}

bool decode(ByteView in, ClusterCommand& out) noexcept { return decode_cluster_command(in, out); }
bool decode(ByteView in, ClusterCommandView& out) noexcept { return decode_cluster_command(in, out); }

void encode_command_deliver(Writer& w, Role origin_role, std::uint32_t origin_cluster,
                            std::string_view origin_service, bool receptive, std::string_view data) {
  w.reserve(1 + 4 + str_size(origin_service) + 1 + str_size(data));
  w.u8(static_cast<std::uint8_t>(origin_role)).u32(origin_cluster).str(origin_service);
  w.u8(receptive ? 1 : 0).str(data);
}

Bytes encode(const CommandDeliver& m) {
  Writer w;
  encode_command_deliver(w, m.origin_role, m.origin_cluster, m.origin_service, m.receptive, m.data);
  return w.take();
}

bool decode(ByteView in, CommandDeliver& out) noexcept {
  Reader r(in);
  const std::uint8_t role = r.u8();
  out.origin_role = static_cast<Role>(role);
  out.origin_cluster = r.u32();
  out.origin_service = r.str();
  out.receptive = r.flag();
  out.data = r.str();
  return role <= static_cast<std::uint8_t>(Role::service) && r.done();
}

Bytes encode(const BroadcastReply& m) {
  Writer w;
  w.u32(static_cast<std::uint32_t>(m.results.size()));
  for (const auto& t : m.results) w.u32(t.cluster_id).u8(static_cast<std::uint8_t>(t.status)).str(t.data);
  return w.take();
}

bool decode(ByteView in, BroadcastReply& out) noexcept {
  Reader r(in);
  const std::uint32_t n = r.u32();
  out.results.clear();
  // Each entry takes at least 9 bytes: a count larger than the payload allows is malformed.
  if (!r.ok() || n > in.size() / 9) return false;
  out.results.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    TargetResult t;
    t.cluster_id = r.u32();
    const std::uint8_t st = r.u8();
    if (st > static_cast<std::uint8_t>(TargetStatus::not_found)) return false;
    t.status = static_cast<TargetStatus>(st);
    t.data = r.str();
    out.results.push_back(std::move(t));
  }
  return r.done();
}

Bytes encode(const Subscribe& m) {
  Writer w;
  w.u32(m.mask);
  return w.take();
}

bool decode(ByteView in, Subscribe& out) noexcept {
  Reader r(in);
  out.mask = r.u32();
  return r.done();
}

Bytes encode(const Event& m) {
  Writer w;
  w.u16(static_cast<std::uint16_t>(m.kind)).u64(m.unix_ms).str(m.json);
  return w.take();
}

bool decode(ByteView in, Event& out) noexcept {
  Reader r(in);
  out.kind = static_cast<EventKind>(r.u16());
  out.unix_ms = r.u64();
  out.json = r.str();
  return r.done();
}

Bytes encode(const RestartService& m) {
  Writer w;
  w.str(m.service).u8(m.wait_ready ? 1 : 0);
  return w.take();
}

bool decode(ByteView in, RestartService& out) noexcept {
  Reader r(in);
  out.service = r.str();
  out.wait_ready = r.flag();
  return r.done();
}

std::string_view to_string(TargetStatus status) noexcept {
  switch (status) {
    case TargetStatus::ok: return "ok";
    case TargetStatus::error: return "error";
    case TargetStatus::timeout: return "timed out";
    case TargetStatus::unavailable: return "unavailable";
    case TargetStatus::exited: return "target exited";
    case TargetStatus::not_found: return "not found";
  }
  return "?";
}

}  // namespace megane::proto
