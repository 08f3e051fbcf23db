// What each shard is doing, as its cluster reports it (shard_status): state, heartbeat
// latency, guild count and a detail line. "unknown" until the first report, and again once
// the cluster's process is gone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <megane/proto/gateway_messages.hpp>

namespace megane::daemon {

struct ShardView {
  std::optional<proto::ShardState> state;  // nullopt = unknown
  std::uint32_t latency_ms = 0;
  std::uint32_t guilds = 0;
  std::string detail;

  std::string_view state_name() const noexcept { return state ? proto::to_string(*state) : "unknown"; }
};

class ShardBoard {
 public:
  explicit ShardBoard(std::uint32_t total_shards) : shards_(total_shards) {}

  // Stores the report; true when the state changed (the caller logs and publishes it).
  // The shard id must be < total (checked by the caller against the cluster's range).
  bool update(const proto::ShardStatus& status);
  // The cluster's process is gone: its shards are unknown again.
  void forget_range(std::uint32_t first, std::uint32_t count);
  const ShardView& at(std::uint32_t shard) const { return shards_.at(shard); }
  std::uint32_t ready_in_range(std::uint32_t first, std::uint32_t count) const;
  std::uint32_t total() const noexcept { return static_cast<std::uint32_t>(shards_.size()); }

 private:
  std::vector<ShardView> shards_;
};

}  // namespace megane::daemon
