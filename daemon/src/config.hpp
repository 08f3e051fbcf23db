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

// What to run: shared by the bot's clusters and by each service.
struct ProgramConfig {
  std::filesystem::path executable;          // absolute, exists, executable
  std::vector<std::string> args;             // argv[1..]
  std::map<std::string, std::string> env;    // extra environment
  std::filesystem::path working_directory;   // absolute; default: the config file's directory

  bool operator==(const ProgramConfig&) const = default;  // reload compares old and new
};

struct BotConfig : ProgramConfig {};

// A central process of the bot (API poller, scheduler...), supervised like a cluster.
struct ServiceConfig : ProgramConfig {
  std::string name;                  // unique, [A-Za-z0-9_.-]{1,64}
  Millis ready_timeout{60'000};      // spawn -> send_ready(), else it is restarted

  bool operator==(const ServiceConfig&) const = default;
};

// How the total shard count is chosen: a number, or from Discord's recommendation
// (GET /gateway/bot `shards`, for 1000 guilds per shard) rescaled to guilds_per_shard.
enum class ShardMode { fixed, automatic, automatic_lbs };

struct ShardingConfig {
  std::uint32_t shards = 1;                  // total gateway shards (>= 1); for auto modes set
                                             // at start from /gateway/bot
  ShardMode mode = ShardMode::fixed;
  std::uint32_t guilds_per_shard = 1000;     // auto modes only
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

  bool operator==(const SupervisionConfig&) const = default;
};

struct IpcConfig {
  std::filesystem::path socket;                // absolute
  std::vector<std::uint32_t> allowed_uids;     // besides the daemon's own uid (always allowed)
  std::uint32_t max_frame_bytes = 16u << 20;   // larger frames close the connection
  Millis handshake_timeout{5'000};             // hello must arrive within this
  std::uint32_t max_connections_per_uid = 256; // more from one uid are refused
  std::uint64_t max_output_bytes = 64u << 20;  // a peer that does not read is dropped past this
  Millis request_timeout{10'000};              // commands without their own deadline
  std::uint32_t busy_poll_us = 0;              // the event loop's spin ceiling; 0: never spin
};

enum class FsyncMode { always, everysec, no };

struct StoreConfig {
  bool persistence = true;                     // false: memory only, gone at restart
  std::filesystem::path path;                  // absolute; see default_store_path()
  FsyncMode fsync = FsyncMode::everysec;       // when an acknowledged write is on disk
  std::uint64_t rewrite_min_bytes = 64u << 20; // compact the log past this size ...
  std::uint32_t rewrite_growth_percent = 100;  // ... and past this growth since the last one

  bool operator==(const StoreConfig&) const = default;
};

// [gateway]: how the bot reaches Discord and how meganed rations identifies. Present only
// when the file has the section; without it meganed runs clusters as before and answers
// gateway requests with not_found.
struct GatewayConfig {
  std::filesystem::path token_file;              // absolute; empty = read token_env
  std::uint32_t token_file_line = 0;             // where token_file is set, for errors
  std::uint32_t token_file_column = 0;
  std::string token_env = "DISCORD_TOKEN";       // unset after reading, whatever the source
  std::string gateway_url = "wss://gateway.discord.gg";
  std::string api_url = "https://discord.com/api/v10";  // no trailing '/'
  std::uint64_t intents = 513;                   // GUILDS | GUILD_MESSAGES
  std::uint32_t large_threshold = 50;            // 50 to 250
  std::string presence_json;                     // "" = none; else IDENTIFY's presence object
  std::optional<std::uint32_t> max_concurrency;  // nullopt = what /gateway/bot says
  Millis identify_window{5'000};                 // one IDENTIFY per bucket per window
  std::optional<std::uint32_t> identify_reserve; // nullopt = default_identify_reserve()
  std::filesystem::path ca_file;                 // absolute; empty = the system's CA store
  // A connected shard that hears nothing (no dispatch, no heartbeat ACK) this long is closed
  // and RESUMEd on its own, by the SDK (MEGANE_SHARD_SILENCE_MS). 0 = off.
  Millis shard_silence_timeout{60'000};

  // Where token_file was written is not a setting: reload compares without it.
  bool same_settings(const GatewayConfig& other) const;
};

// [stats]: every `interval` meganed reads each child's CPU and memory from /proc and asks
// every worker for its shards' figures and custom stats (docs/meganed.md#statistics).
struct StatsConfig {
  Millis interval{10'000};
};

// [metrics]: an HTTP endpoint with OpenMetrics text and a health check. Off without the
// section.
struct MetricsConfig {
  std::string host;                // an IPv4 or IPv6 address (no brackets)
  std::uint16_t port = 9464;
  Millis unhealthy_after{60'000};  // /healthz fails once a shard is down this long
};

// [notifications]: chosen events, batched, posted to a Discord channel (REST, the bot token
// from [gateway]) or to a webhook (docs/configuration.md#notifications). Off without the section.
struct NotificationsConfig {
  std::string channel_id;              // a snowflake; exactly one of channel_id and webhook_url
  std::string webhook_url;             // http(s)://.../webhooks/ID/TOKEN: a secret, never logged
  std::string api_url;                 // REST base for channel_id; default: gateway.api_url
  std::filesystem::path ca_file;       // default: gateway.ca_file; empty = the system's store
  std::uint32_t events = 0;            // NoticeKind bits (notify/notice_kind.hpp); default all
  Millis batch_window{10'000};         // events in one window become one message
  Millis shard_down_after{60'000};     // shard_down once a shard is down this long
  std::optional<std::uint32_t> identify_remaining_below;  // nullopt: twice the identify reserve
  std::uint32_t queue_limit = 50;      // messages waiting to be sent; the oldest go first

  bool operator==(const NotificationsConfig&) const = default;  // reload compares sections
};

// [cache]: what each cluster's cache keeps, handed to the clusters (cache_config) so the SDK's
// cache follows the config. Absent: the bot's own CacheOptions apply.
enum class MemberCachePolicy { all, own, none };

struct CacheSection {
  bool enabled = true;
  bool channels = true;
  bool roles = true;
  MemberCachePolicy members = MemberCachePolicy::all;
  bool cache_all_members = false;  // needs members = "all" (and GUILD_MEMBERS in gateway.intents)

  bool operator==(const CacheSection&) const = default;  // reload compares sections
};

// [cache] snapshot keys: where each cluster keeps its cache between a graceful stop and its
// next process (docs/sdk.md#cache). Always filled in, with or without a [cache] section.
struct CacheSnapshotConfig {
  bool enabled = true;                         // cache.snapshots
  std::filesystem::path dir;                   // absolute; default: <store.path's directory>/<name>.cache
  std::uint64_t max_bytes = std::uint64_t{1} << 30;  // larger snapshots are neither written nor read

  bool operator==(const CacheSnapshotConfig&) const = default;
};

enum class LogLevel { trace, debug, info, warn, error };

struct Config {
  std::filesystem::path source;    // the config file, absolute
  std::string name;                // bot name; default: the file's stem
  BotConfig bot;
  std::vector<ServiceConfig> services;
  ShardingConfig sharding;
  SupervisionConfig supervision;
  IpcConfig ipc;
  StoreConfig store;
  std::optional<GatewayConfig> gateway;
  StatsConfig stats;
  std::optional<MetricsConfig> metrics;
  std::optional<NotificationsConfig> notifications;
  std::optional<CacheSection> cache;
  CacheSnapshotConfig cache_snapshots;
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
// else /run/megane when root, else $XDG_RUNTIME_DIR/megane, else $TMPDIR/megane-UID.
std::filesystem::path default_socket_path(const std::string& bot_name);

// Where the store's log goes when the file does not say: $STATE_DIRECTORY (systemd), else
// /var/lib/megane when root, else $XDG_STATE_HOME/megane, else ~/.local/state/megane, else
// $TMPDIR/megane-UID; the file is <bot>.store.
std::filesystem::path default_store_path(const std::string& bot_name);

// Reads TOML (.toml) or JSON (.json) by extension and validates every key.
LoadResult load_config(const std::filesystem::path& file);

// The same, from text already in memory (tests, fuzzing); `file` is only used in errors and
// to resolve relative paths.
LoadResult parse_config(std::string_view text, const std::filesystem::path& file);

}  // namespace megane::daemon
