// meganectl's commands, each one connection and a request or a few. They print their result
// and return the process exit code (exit_codes.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace megane::ctl {

struct CommonOptions {
  std::string socket;
  std::chrono::milliseconds timeout{10'000};  // per request (per cluster for restart --all)
};

int status_command(const CommonOptions& options, bool json);
int restart_command(const CommonOptions& options, std::uint32_t cluster_id, bool wait_ready);
int restart_all_command(const CommonOptions& options);
int shutdown_command(const CommonOptions& options);

}  // namespace megane::ctl
