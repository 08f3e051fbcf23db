// meganectl's commands, each one connection and a request or a few. They print their result
// and return the process exit code (exit_codes.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/fetch_messages.hpp>

namespace megane::ctl {

struct CommonOptions {
  std::string socket;
  std::chrono::milliseconds timeout{10'000};  // per request (per cluster for restart --all)
  bool timeout_given = false;  // --timeout was on the command line (else `command` uses the daemon's)
};

// `meganectl command`: where the data goes and how.
struct CommandArgs {
  std::optional<std::string> service;  // --service NAME; otherwise clusters:
  proto::CommandTarget target_kind = proto::CommandTarget::all;  // --cluster all|ID, --guild ID
  std::uint64_t target = 0;
  bool receptive = true;  // false: --no-reply
  bool json = false;
  std::string data;       // must be valid JSON
};

// `meganectl fetch guild|channel|user ID [--members] [--json]`.
struct FetchArgs {
  proto::FetchKind kind = proto::FetchKind::user;
  std::uint64_t id = 0;
  bool members = false;  // guild: include the members
  bool json = false;
};

// `shards`: one row per gateway shard instead of the cluster table.
int status_command(const CommonOptions& options, bool json, bool shards = false);
int restart_command(const CommonOptions& options, std::uint32_t cluster_id, bool wait_ready);
// The rolling restart, run by meganed; progress lines (or, with `json`, event lines) meanwhile.
int restart_all_command(const CommonOptions& options, bool json);
// Re-reads the config in meganed: what applied, what waits; 78 when the file does not load.
int reload_command(const CommonOptions& options, bool json);
int restart_service_command(const CommonOptions& options, const std::string& service, bool wait_ready);
int shutdown_command(const CommonOptions& options);
// The last statistics collection: a table, or the daemon's JSON as-is.
int stats_command(const CommonOptions& options, bool json);
int command_command(const CommonOptions& options, const CommandArgs& args);
// Found: the entity's JSON on stdout, exit 0. Not found or a failure: stderr, exit 1.
int fetch_command(const CommonOptions& options, const FetchArgs& args);
// Prints events until SIGINT/SIGTERM (exit 0) or the daemon goes away (exit 69).
int events_command(const CommonOptions& options, bool json, std::uint32_t mask);

}  // namespace megane::ctl
