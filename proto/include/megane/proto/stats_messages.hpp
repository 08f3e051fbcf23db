// Payloads of the stats range (0x05xx): the daemon asks each worker for what only the worker
// knows (its shards' guilds, latency and event counts, the bot's own figures) once per stats
// interval; CPU, memory, uptime and restarts it reads itself from /proc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <megane/proto/frame.hpp>
#include <megane/proto/gateway_messages.hpp>

namespace megane::proto {

// stats_request (daemon -> worker). The number lets a worker's log line name the collection.
struct StatsRequest {
  std::uint64_t collection = 0;
};

// One shard as the cluster sees it when asked. `events` counts every dispatch since the
// process started (the daemon turns two reports into a rate).
struct ShardStats {
  std::uint32_t shard_id = 0;
  ShardState state = ShardState::connecting;
  std::uint32_t latency_ms = 0;  // 0 = unknown
  std::uint32_t guilds = 0;
  std::uint64_t events = 0;
};

// stats_report (worker -> daemon, the reply to stats_request).
struct WorkerStats {
  std::vector<ShardStats> shards;  // empty for services and clusters without a gateway
  std::string custom_json;         // "" = none; else a JSON object from Worker::get_stats()
  // Distinct users in the cluster's cache (a user in several of its guilds counts once);
  // absent for services and clusters without a gateway. Wire: u8 present, u64 users.
  std::optional<std::uint64_t> users;
};

Bytes encode(const StatsRequest& m);
Bytes encode(const WorkerStats& m);
bool decode(ByteView in, StatsRequest& out) noexcept;
bool decode(ByteView in, WorkerStats& out) noexcept;

}  // namespace megane::proto
