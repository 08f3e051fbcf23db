// The validated configuration of one bot: what meganed runs and how it supervises it.
// Produced only by load_config(); every field here has already been checked.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace megane::daemon {

using Millis = std::chrono::milliseconds;

struct BotConfig {
  std::filesystem::path executable;          // absolute, exists, executable
  std::vector<std::string> args;             // argv[1..]
  std::map<std::string, std::string> env;    // extra environment for every child
  std::filesystem::path working_directory;   // absolute; default: the config file's directory
};

struct ShardingConfig {
  std::uint32_t shards = 1;                  // total gateway shards (>= 1)
  std::optional<std::uint32_t> clusters;     // nullopt = "auto" (CPUs in the daemon's affinity mask)
  std::vector<int> cores;                    // explicit CPU list; empty = the daemon's affinity mask
};

struct SupervisionConfig {
  Millis ready_timeout{60'000};      // spawn -> ready, else the cluster is restarted
  Millis stop_timeout{10'000};       // SIGTERM -> SIGKILL of the process group
  Millis heartbeat_interval{5'000};  // daemon -> child liveness ping
  Millis heartbeat_timeout{15'000};  // no answer for this long = hung, restart
  Millis backoff_initial{1'000};     // first restart delay after a crash
  Millis backoff_max{60'000};        // cap of the growing delay
  Millis min_spawn_gap{1'000};       // never spawn the same cluster more often than this
  Millis stable_after{60'000};       // ready this long resets the backoff
  Millis crash_window{300'000};      // crashes counted over this window ...
  std::uint32_t crash_limit = 5;     // ... this many in the window = quarantine
  Millis quarantine_for{600'000};    // 0 = until an operator restarts it
  int fatal_exit_code = 78;          // a child exiting with this is never restarted
};

struct IpcConfig {
  std::filesystem::path socket;                // absolute
  std::vector<std::uint32_t> allowed_uids;     // besides the daemon's own uid (always allowed)
  std::uint32_t max_frame_bytes = 16u << 20;   // larger frames close the connection
  Millis handshake_timeout{5'000};             // hello must arrive within this
};

enum class LogLevel { trace, debug, info, warn, error };

struct Config {
  std::filesystem::path source;    // the config file, absolute
  std::string name;                // bot name; default: the file's stem
  BotConfig bot;
  ShardingConfig sharding;
  SupervisionConfig supervision;
  IpcConfig ipc;
  LogLevel log_level = LogLevel::info;
};

// A configuration error, always tied to a place in the file.
struct ConfigError {
  std::filesystem::path file;
  std::uint32_t line = 0;    // 1-based; 0 when the error is about the file as a whole
  std::uint32_t column = 0;  // 1-based
  std::string key;           // dotted path such as "sharding.cores[2]"; empty for syntax errors
  std::string message;

  // "file:line:col: key: message" on one line.
  std::string to_string() const;
};

using LoadResult = std::variant<Config, ConfigError>;

// Where to put the socket when the file does not say: $RUNTIME_DIRECTORY (systemd),
// else /run/megane when root, else $XDG_RUNTIME_DIR/megane, else /tmp/megane-UID.
std::filesystem::path default_socket_path(const std::string& bot_name);

// Reads TOML (.toml) or JSON (.json) by extension and validates every key.
LoadResult load_config(const std::filesystem::path& file);

// The same, from text already in memory (tests, fuzzing); `file` is only used in errors and
// to resolve relative paths.
LoadResult parse_config(std::string_view text, const std::filesystem::path& file);

}  // namespace megane::daemon
