// What `meganectl reload` / SIGHUP may change in a running meganed. merge_reloadable() compares
// the running config with a freshly loaded one, copies into the running config what can take
// effect without a restart, and lists every changed key in one of three groups. The Daemon then
// tells its parts to re-read the config (Daemon::apply_reloaded).
//
// Adding a section: compare it in merge_reloadable(), copy it into
// `running` and list its keys under `applied` if it can change live (else `needs_restart`),
// then make the part that uses it re-read it in Daemon::apply_reloaded().
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace megane::daemon {

struct ReloadReport {
  std::vector<std::string> applied;        // in effect now
  std::vector<std::string> next_start;     // in effect for each cluster or service's next process
  std::vector<std::string> needs_restart;  // meganed keeps the old value until it restarts

  bool changed() const noexcept { return !applied.empty() || !next_start.empty() || !needs_restart.empty(); }
  // {"config":PATH,"applied":[...],"next_start":[...],"needs_restart":[...]}; `type` first when
  // given (the config_reloaded event).
  std::string json(const std::filesystem::path& source, std::string_view type = {}) const;
  // One line for the log: "applied stats.interval; needs a meganed restart: sharding.shards".
  std::string summary() const;
};

ReloadReport merge_reloadable(Config& running, const Config& fresh);

}  // namespace megane::daemon
