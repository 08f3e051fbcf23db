#include <megane/proto/fetch_messages.hpp>

#include <cstring>

#include <megane/proto/wire.hpp>

namespace megane::proto {
namespace {

// u8 kind, u8 include_members, u32 timeout_ms, u32 n, then n x u64.
constexpr std::size_t fetch_request_fixed = 1 + 1 + 4 + 4;

ByteView bytes_of(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

}  // namespace

std::uint64_t FetchRequestView::id(std::uint32_t i) const noexcept {
  std::uint64_t v = 0;
  for (int b = 7; b >= 0; --b) v = (v << 8) | ids[std::size_t{i} * 8 + static_cast<std::size_t>(b)];
  return v;
}

Bytes encode(const FetchRequest& m) {
  Writer w;
  w.reserve(fetch_request_fixed + 8 * m.ids.size());
  w.u8(static_cast<std::uint8_t>(m.kind)).u8(m.include_members ? 1 : 0).u32(m.timeout_ms);
  w.u32(static_cast<std::uint32_t>(m.ids.size()));
  for (const std::uint64_t id : m.ids) w.u64(id);
  return w.take();
}

bool decode(ByteView in, FetchRequestView& out) noexcept {
  Reader r(in);
  const std::uint8_t kind = r.u8();
  out.kind = static_cast<FetchKind>(kind);
  out.include_members = r.flag();
  out.timeout_ms = r.u32();
  out.count = r.u32();
  if (!r.ok() || kind > static_cast<std::uint8_t>(FetchKind::user)) return false;
  const ByteView rest = r.rest();
  if (rest.size() != std::size_t{out.count} * 8) return false;
  out.ids = rest;
  return true;
}

bool decode(ByteView in, FetchRequest& out) noexcept {
  FetchRequestView v;
  if (!decode(in, v)) return false;
  out.kind = v.kind;
  out.include_members = v.include_members;
  out.timeout_ms = v.timeout_ms;
  out.ids.resize(v.count);
  for (std::uint32_t i = 0; i < v.count; ++i) out.ids[i] = v.id(i);
  return true;
}

Bytes encode(const FetchEntries& m) {
  std::size_t size = 4;
  for (const FetchEntry& e : m.entries) size += 8 + str_size(e.json);
  Writer w;
  w.reserve(size);
  w.u32(static_cast<std::uint32_t>(m.entries.size()));
  for (const FetchEntry& e : m.entries) w.u64(e.id).str(e.json);
  return w.take();
}

bool decode(ByteView in, FetchEntries& out) noexcept {
  Reader r(in);
  const std::uint32_t n = r.u32();
  out.entries.clear();
  if (!r.ok() || n > in.size() / 12) return false;  // each entry takes at least 12 bytes
  out.entries.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    FetchEntry e;
    e.id = r.u64();
    e.json = r.str();
    out.entries.push_back(std::move(e));
  }
  return r.done();
}

Bytes encode(const CacheConfig& m) {
  Writer w;
  w.u8(m.enabled ? 1 : 0).u8(m.channels ? 1 : 0).u8(m.roles ? 1 : 0);
  w.u8(static_cast<std::uint8_t>(m.members)).u8(m.cache_all_members ? 1 : 0);
  return w.take();
}

bool decode(ByteView in, CacheConfig& out) noexcept {
  Reader r(in);
  out.enabled = r.flag();
  out.channels = r.flag();
  out.roles = r.flag();
  const std::uint8_t members = r.u8();
  out.members = static_cast<MemberPolicy>(members);
  out.cache_all_members = r.flag();
  return members <= static_cast<std::uint8_t>(MemberPolicy::none) && r.done();
}

std::string_view to_string(FetchKind kind) noexcept {
  switch (kind) {
    case FetchKind::guild: return "guild";
    case FetchKind::channel: return "channel";
    case FetchKind::user: return "user";
  }
  return "?";
}

bool resolve_fetch(std::span<const std::uint64_t> ids, const BroadcastReply& reply, std::vector<FetchOutcome>& out) {
  out.assign(ids.size(), FetchOutcome{});
  for (std::size_t i = 0; i < ids.size(); ++i) out[i].id = ids[i];
  // Failures first (any result that is neither a hit nor a miss), so a later hit overrides them.
  for (const TargetResult& t : reply.results) {
    if (t.status == TargetStatus::ok || t.status == TargetStatus::not_found) continue;
    for (FetchOutcome& o : out) {
      if (o.status != FetchStatus::not_found) continue;
      o.status = FetchStatus::failed;
      o.failure = t.status;
      o.message = t.data.empty() ? std::string(to_string(t.status)) : t.data;
      if (o.message.find("cluster") == std::string::npos) {
        o.message = "cluster " + std::to_string(t.cluster_id) + ": " + o.message;
      }
    }
  }
  FetchEntries entries;
  for (const TargetResult& t : reply.results) {
    if (t.status != TargetStatus::ok) continue;
    if (!decode(bytes_of(t.data), entries)) return false;
    for (FetchEntry& e : entries.entries) {
      for (FetchOutcome& o : out) {
        if (o.id != e.id || o.status == FetchStatus::found) continue;
        o.status = FetchStatus::found;
        o.cluster_id = t.cluster_id;
        o.json = e.json;  // not moved: a batch may name one id twice
        o.failure = TargetStatus::ok;
        o.message.clear();
      }
    }
  }
  return true;
}

}  // namespace megane::proto
