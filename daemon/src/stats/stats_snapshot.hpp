// One statistics collection: what meganed measured itself (/proc) and what each worker
// reported, for `meganectl stats`, the stats_updated event and the metrics endpoint.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <megane/proto/gateway_messages.hpp>

namespace megane::daemon {

struct ProcessFigures {
  std::int64_t pid = 0;                // 0: no process at collection time
  std::optional<double> cpu_percent;   // over the interval; 100 = one core
  std::optional<double> cpu_seconds;   // the process's total so far
  std::optional<std::uint64_t> rss_bytes;
  double uptime_s = 0;
};

struct ShardFigures {
  std::uint32_t id = 0;
  proto::ShardState state = proto::ShardState::connecting;
  std::uint32_t latency_ms = 0;  // 0 = unknown
  std::uint32_t guilds = 0;
  std::uint64_t events = 0;      // dispatches since the cluster's process started
  double events_per_second = 0;  // since the previous report of the same process
};

struct ChildFigures {
  std::uint32_t cluster_id = 0;  // clusters
  std::uint32_t first_shard = 0; // clusters: the planned range
  std::uint32_t shard_count = 0;
  std::string service;           // services
  std::string state;             // lifecycle state ("ready", "backoff", ...)
  std::uint32_t restarts = 0;
  ProcessFigures process;
  bool reported = false;         // the worker answered this collection's request
  std::vector<ShardFigures> shards;
  std::string custom_json;       // "" = none; else a validated, compact JSON object
  // Distinct users in the cluster's cache (the SDK deduplicates within a cluster; a user in
  // guilds of two clusters counts in both). nullopt: not reported, or no gateway.
  std::optional<std::uint64_t> users;

  std::uint64_t guilds() const;
  double events_per_second() const;
};

struct StatsSnapshot {
  std::uint64_t collection = 0;  // 0 = nothing collected yet
  double interval_s = 0;
  std::int64_t unix_ms = 0;
  std::chrono::steady_clock::time_point at{};
  ProcessFigures daemon;
  std::vector<ChildFigures> clusters;
  std::vector<ChildFigures> services;
};

}  // namespace megane::daemon
