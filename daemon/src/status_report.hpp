// The `status` reply: the daemon, the plan and every cluster as JSON (docs/protocol.md#status).
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "supervisor.hpp"

namespace megane::daemon {

struct DaemonInfo {
  std::string bot;
  std::filesystem::path socket;
  std::chrono::steady_clock::time_point started_at;
};

std::string status_json(const Supervisor& supervisor, const DaemonInfo& info);

}  // namespace megane::daemon
