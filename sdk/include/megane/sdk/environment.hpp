// What meganed tells a child about itself through the environment. Parsing is pure (a map in,
// a struct or an error out) so it is unit-tested without touching the real environment.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include <megane/proto/protocol.hpp>

namespace megane {

namespace env {
inline constexpr const char* socket = "MEGANE_SOCKET";
inline constexpr const char* role = "MEGANE_ROLE";
inline constexpr const char* cluster_id = "MEGANE_CLUSTER_ID";
inline constexpr const char* generation = "MEGANE_GENERATION";
inline constexpr const char* bot = "MEGANE_BOT";
inline constexpr const char* service = "MEGANE_SERVICE";
inline constexpr const char* stop_timeout_ms = "MEGANE_STOP_TIMEOUT_MS";
inline constexpr const char* shard_silence_ms = "MEGANE_SHARD_SILENCE_MS";
inline constexpr const char* cache_snapshot = "MEGANE_CACHE_SNAPSHOT";
inline constexpr const char* cache_snapshot_max_bytes = "MEGANE_CACHE_SNAPSHOT_MAX_BYTES";
}  // namespace env

struct Environment {
  std::string socket;                     // MEGANE_SOCKET, never empty
  proto::Role role = proto::Role::cluster;  // MEGANE_ROLE: cluster or service
  std::uint32_t cluster_id = 0;           // MEGANE_CLUSTER_ID (role cluster)
  std::uint64_t generation = 0;           // MEGANE_GENERATION, echoed in the hello
  std::string bot;                        // MEGANE_BOT; may be empty (the hello_ok has it too)
  std::string service;                    // MEGANE_SERVICE (role service)
  std::chrono::milliseconds stop_timeout{10'000};  // MEGANE_STOP_TIMEOUT_MS, bounds shutdown()
  // MEGANE_SHARD_SILENCE_MS ([gateway] shard_silence_timeout): a connected shard that hears
  // nothing this long is closed and RESUMEd alone. 0 (also when unset) = off.
  std::chrono::milliseconds shard_silence_timeout{0};
  // MEGANE_CACHE_SNAPSHOT ([cache] snapshot_dir): the file a cluster keeps its cache in between
  // a graceful stop and its next process (docs/sdk.md#cache). Empty (unset): no snapshots.
  std::string cache_snapshot;
  // MEGANE_CACHE_SNAPSHOT_MAX_BYTES ([cache] snapshot_max_bytes): larger snapshots are neither
  // written nor read.
  std::uint64_t cache_snapshot_max_bytes = std::uint64_t{1} << 30;
};

struct EnvironmentError {
  // True when no MEGANE_* identity is set at all: the program was started by hand, not by
  // meganed. The caller prints a friendlier message for that case.
  bool not_under_meganed = false;
  std::string message;  // e.g. "MEGANE_CLUSTER_ID: 'x' is not a decimal number"
};

using EnvironmentResult = std::variant<Environment, EnvironmentError>;

// Variable name -> value; absent names are not in the map.
using EnvironmentVariables = std::map<std::string, std::string, std::less<>>;

EnvironmentResult parse_environment(const EnvironmentVariables& vars);

// parse_environment() over this process's environment.
EnvironmentResult read_environment();

// Why a program written as a worker of role `expected` (cluster or service) cannot run with
// this environment (meganed started it as the other kind), or nullopt when the roles match.
std::optional<std::string> role_mismatch(const Environment& env, proto::Role expected);

}  // namespace megane
