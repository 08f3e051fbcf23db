// The daemon's answers that meganectl reads: the `status` JSON and the `restart_cluster` /
// `restart_service` JSON.
// Unknown fields are skipped (newer daemons may add some); missing ones keep their defaults.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace megane::ctl {

// One gateway shard as its cluster last reported it (daemons with a [gateway] section).
struct ShardRow {
  std::uint32_t id = 0;
  std::string state;  // unknown, connecting, identifying, resuming, ready, disconnected, fatal
  std::uint64_t latency_ms = 0;
  std::uint64_t guilds = 0;
  std::string detail;
};

struct IdentifyBudget {
  std::uint64_t remaining = 0;
  std::uint64_t total = 0;
  std::uint64_t reserve = 0;
  std::uint64_t in_flight = 0;
  std::uint64_t waiting = 0;
  std::optional<std::string> blocked_reason;
  double resets_in_s = 0;
};

struct GatewayStatus {
  std::uint64_t shards = 0;
  std::uint64_t recommended_shards = 0;
  std::uint64_t max_concurrency = 1;
  std::uint64_t sessions = 0;
  IdentifyBudget identify;
};

struct ClusterStatus {
  std::uint32_t id = 0;
  std::int64_t pid = 0;  // 0 when no process
  std::string state;     // idle, starting, ready, stopping, restarting, backoff, quarantined, failed
  std::vector<std::int64_t> cores;
  std::vector<std::int64_t> shards;
  std::uint64_t restarts = 0;
  double uptime_s = 0;
  std::uint64_t generation = 0;
  std::optional<std::string> last_exit;   // "exit code 1", "signal 9 (Killed)"
  std::optional<double> next_start_in_s;  // while waiting to be restarted
  std::vector<ShardRow> shard_states;     // empty without a [gateway] section
};

struct ServiceStatus {
  std::string name;
  std::int64_t pid = 0;  // 0 when no process
  std::string state;     // the same states as a cluster's
  std::uint64_t restarts = 0;
  double uptime_s = 0;
  std::uint64_t generation = 0;
  std::optional<std::string> last_exit;
};

struct DaemonInfo {
  std::int64_t pid = 0;
  std::string version;
  double uptime_s = 0;
  std::string socket;
};

struct Status {
  std::string bot;
  DaemonInfo daemon;
  std::uint64_t shards_total = 0;
  bool all_ready = false;
  std::vector<ClusterStatus> clusters;
  std::vector<ServiceStatus> services;  // absent in daemons without services: empty
  std::optional<GatewayStatus> gateway; // null or absent: no [gateway] section
};

struct RestartReply {
  std::uint32_t id = 0;
  std::string state;
  std::optional<std::int64_t> pid;  // if the daemon includes it
};

struct ServiceRestartReply {
  std::string service;
  std::string state;
  std::optional<std::int64_t> pid;
};

// The error is a one-line description of what is wrong with the JSON.
std::variant<Status, std::string> parse_status(std::string_view json);
std::variant<RestartReply, std::string> parse_restart_reply(std::string_view json);
std::variant<ServiceRestartReply, std::string> parse_service_restart_reply(std::string_view json);

}  // namespace megane::ctl
