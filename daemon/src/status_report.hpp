// The `status` reply: the daemon, the plan and every cluster as JSON (docs/protocol.md#status).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "supervisor.hpp"

namespace megane::daemon {
class GatewayService;
}

namespace megane::daemon {

struct DaemonInfo {
  std::string bot;
  std::filesystem::path socket;
  std::chrono::steady_clock::time_point started_at;
};

// `gateway` is null without a [gateway] section: then "gateway" is null and clusters have no
// "shard_states".
std::string status_json(const Supervisor& supervisor, const DaemonInfo& info, const GatewayService* gateway);

}  // namespace megane::daemon
