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
