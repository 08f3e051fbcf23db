#include <megane/proto/stats_messages.hpp>

#include <megane/proto/wire.hpp>

namespace megane::proto {
namespace {

// u32 + u8 + u32 + u32 + u64: a count larger than the payload can hold is malformed.
constexpr std::size_t shard_stats_bytes = 25;

}  // namespace

Bytes encode(const StatsRequest& m) { return Writer().u64(m.collection).take(); }
bool decode(ByteView in, StatsRequest& out) noexcept {
  Reader r(in);
  out.collection = r.u64();
  return r.done();
}

Bytes encode(const WorkerStats& m) {
  Writer w;
  w.u32(static_cast<std::uint32_t>(m.shards.size()));
  for (const ShardStats& s : m.shards) {
    w.u32(s.shard_id).u8(static_cast<std::uint8_t>(s.state)).u32(s.latency_ms).u32(s.guilds).u64(s.events);
  }
  w.str(m.custom_json);
  w.u8(m.users ? 1 : 0).u64(m.users.value_or(0));
  return w.take();
}

bool decode(ByteView in, WorkerStats& out) noexcept {
  Reader r(in);
  const std::uint32_t n = r.u32();
  if (!r.ok() || n > in.size() / shard_stats_bytes) return false;
  out.shards.clear();
  out.shards.reserve(n);
  for (std::uint32_t i = 0; i < n && r.ok(); ++i) {
    ShardStats s;
    s.shard_id = r.u32();
    const std::uint8_t state = r.u8();
    if (state > static_cast<std::uint8_t>(ShardState::fatal)) return false;
    s.state = static_cast<ShardState>(state);
    s.latency_ms = r.u32();
    s.guilds = r.u32();
    s.events = r.u64();
    out.shards.push_back(s);
  }
  out.custom_json = r.str();
  const bool has_users = r.flag();
  const std::uint64_t users = r.u64();
  out.users = has_users ? std::optional<std::uint64_t>(users) : std::nullopt;
  return r.done();
}

}  // namespace megane::proto
