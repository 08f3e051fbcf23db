// The megane IPC protocol, defined once. Every peer (meganed, libmegane, meganectl, clients
// in other languages) takes its numbers from here; docs/protocol.md describes the same wire.
//
// A frame is a fixed 16-byte little-endian header followed by `length` payload bytes:
//   u32 magic   "MGN" + protocol major version ('M','G','N',1) — rejects strangers early
//   u32 length  payload bytes (bounded by the receiver's max frame size)
//   u16 type    MessageType
//   u16 flags   FrameFlags
//   u32 request id (0 = not a request; replies echo the request's id)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace megane::proto {

// Bump on any incompatible change to a payload. The hello (type 1) layout never changes, so
// any version can read the peer's version and answer with a clear error.
// 2: stats_report (WorkerStats) carries the cluster's cached user count.
inline constexpr std::uint16_t protocol_version = 2;
inline constexpr std::uint32_t frame_magic = 0x014E474Du;  // bytes 'M' 'G' 'N' 0x01
inline constexpr std::size_t frame_header_size = 16;
inline constexpr std::uint32_t default_max_frame_bytes = 16u << 20;

enum class FrameFlags : std::uint16_t {
  none = 0,
  reply = 1u << 0,  // answers the request with the same id
  error = 1u << 1,  // payload is an ErrorReply
};

// Message numbers, grouped in ranges. Retired numbers stay as comments, never reused.
enum class MessageType : std::uint16_t {
  // 0x00xx lifecycle
  hello = 0x0001,           // client -> daemon, first frame: Hello
  hello_ok = 0x0002,        // daemon -> client: HelloOk
  error = 0x0003,           // either way, also as a reply with FrameFlags::error: ErrorReply
  ping = 0x0004,            // daemon -> child liveness probe (empty), answered by pong
  pong = 0x0005,            // reply to ping (empty)
  ready = 0x0006,           // child -> daemon: this cluster/service is ready (empty)
  goodbye = 0x0007,         // either way: orderly close follows, payload = reason text

  // 0x01xx control (meganectl and other operators)
  status = 0x0100,          // request (empty) -> reply: JSON text (docs/protocol.md#status)
  restart_cluster = 0x0101, // request: RestartCluster -> reply: JSON text {"id","state"}
  stop_cluster = 0x0102,    // reserved (never sent): stopping one cluster for good is not offered
  shutdown = 0x0103,        // request (empty) -> reply (empty), then the daemon stops
  restart_service = 0x0104, // request: RestartService -> reply: JSON text {"service","state","pid"}
  rolling_restart = 0x0105, // request: RollingRestart -> reply: JSON text once every cluster is
                            // back, or an error naming the cluster that failed; progress goes
                            // out as rolling_restart_* events meanwhile
  reload = 0x0106,          // request (empty) -> reply: JSON text {"applied","next_start",
                            // "needs_restart"}, or invalid_config with "file:line:col: ..."

  // 0x02xx store: requests from any role, answered by the daemon (store_messages.hpp)
  store_get = 0x0200,
  store_set = 0x0201,
  store_delete = 0x0202,
  store_increment = 0x0203,
  store_compare_and_set = 0x0204,
  store_expire = 0x0205,
  store_keys = 0x0206,

  // 0x03xx commands (command_messages.hpp). The daemon reads only the routing fields and
  // forwards the data bytes untouched.
  service_command = 0x0300,  // request: ServiceCommand -> reply: the service's data, or error
  cluster_command = 0x0301,  // request: ClusterCommand -> reply: BroadcastReply
  command_deliver = 0x0302,  // daemon -> target: CommandDeliver; the target answers with a
                             // reply frame (flags reply, same id) of type command_result
  command_result = 0x0303,   // target -> daemon reply: the data (or ErrorReply with flag error)

  // 0x04xx fetch and cache (fetch_messages.hpp). The daemon reads only a fetch's kind and
  // ids and forwards the request bytes untouched.
  fetch = 0x0400,            // any -> daemon request: FetchRequest -> BroadcastReply whose ok
                             // entries hold FetchEntries (one entry: the first hit)
  fetch_deliver = 0x0401,    // daemon -> cluster: the FetchRequest bytes as received; answered
                             // with a reply frame (same id) of type fetch_result
  fetch_result = 0x0402,     // cluster -> daemon reply: FetchEntries, or ErrorReply not_found
  cache_config = 0x0403,     // cluster -> daemon request (empty) -> CacheConfig, or not_found
                             // without a [cache] section
  members_cached = 0x0404,   // cluster -> daemon (empty): cache_all_members is complete here

  // 0x05xx stats (stats_messages.hpp)
  stats_request = 0x0500,    // daemon -> worker: StatsRequest, once per [stats] interval; the
                             // worker answers with a reply frame (same id) of type stats_report
  stats_report = 0x0501,     // worker -> daemon reply: WorkerStats
  stats = 0x0502,            // control -> daemon request (empty) -> JSON text of the last
                             // collection (docs/protocol.md#stats)

  // 0x06xx gateway: identify authority, sessions, shard state (gateway_messages.hpp)
  gateway_config = 0x0600,   // cluster -> daemon request (empty) -> GatewayConfig (token, urls,
                             // intents, sessions of this cluster's shards to resume)
  identify_permit = 0x0601,  // request: IdentifyPermitRequest -> IdentifyPermit when granted;
                             // waits in the daemon's queue, no daemon-side deadline
  identify_done = 0x0602,    // cluster -> daemon: IdentifyDone (the permit was used or not)
  session_update = 0x0603,   // cluster -> daemon: SessionInfo (after READY, on stop: final seq)
  shard_status = 0x0604,     // cluster -> daemon: ShardStatus (state changes, latency)

  // 0x07xx events (command_messages.hpp)
  subscribe = 0x0700,        // request: Subscribe -> reply (empty)
  event = 0x0701,            // daemon -> subscriber: Event
};

// Kinds of events (bit positions in Subscribe::mask).
enum class EventKind : std::uint16_t {
  cluster_spawned = 1,
  cluster_ready = 2,
  cluster_exited = 3,
  cluster_quarantined = 4,
  cluster_failed = 5,          // exited with the do-not-restart code
  all_clusters_ready = 6,      // once per daemon start; a late subscriber gets it at once
  service_spawned = 7,
  service_ready = 8,
  service_exited = 9,
  service_quarantined = 10,
  service_failed = 11,
  stats_updated = 12,          // after each stats collection (a summary; `stats` has the rest)
  shard = 13,                  // filled by the gateway issue
  rolling_restart_started = 14,   // a rolling restart began: the clusters, in order
  rolling_restart_step = 15,      // one cluster is restarting, or is ready again
  rolling_restart_finished = 16,  // every cluster restarted and is ready again
  rolling_restart_failed = 17,    // stopped at a cluster that did not come back (or meganed stops)
  config_reloaded = 18,           // `reload` / SIGHUP read the config: what applied, what waits
  all_members_cached = 19,     // every cluster reported members_cached; once per daemon start,
                               // a late subscriber gets it at once
};

inline constexpr std::uint32_t event_bit(EventKind kind) noexcept {
  return 1u << static_cast<std::uint16_t>(kind);
}
inline constexpr std::uint32_t all_events = 0xFFFF'FFFEu;

// Who is speaking, declared in the hello.
enum class Role : std::uint8_t {
  control = 0,  // meganectl or another operator tool
  cluster = 1,  // a bot process running a shard range
  service = 2,  // a central service process
};

// Error codes carried by ErrorReply.
enum class ErrorCode : std::uint16_t {
  unknown_message = 1,    // the type is not known to this peer
  malformed = 2,          // payload does not decode
  version_mismatch = 3,   // hello with an unsupported protocol version
  not_allowed = 4,        // uid not on the allowlist, or role may not send this
  bad_handshake = 5,      // first frame not a hello, unknown identity, stale generation
  not_found = 6,          // e.g. no such cluster
  frame_too_large = 7,    // frame over the receiver's limit; connection closes
  busy = 8,               // e.g. a restart is already running
  timeout = 9,            // the deadline passed
  internal = 10,          // bug or system failure on the daemon
  target_exited = 11,     // the process a request was forwarded to exited before answering
  unavailable = 12,       // the target exists but is not connected (starting, restarting...)
  rejected = 13,          // the target answered with an error (its message is passed on)
  persistence = 14,       // the store could not make a write durable; nothing was acknowledged
  limit = 15,             // a configured limit (connections per uid, output buffer) was hit
  invalid_config = 16,    // reload: the config file does not load ("file:line:col: key: message")
};

std::string_view to_string(MessageType type) noexcept;
std::string_view to_string(Role role) noexcept;
std::string_view to_string(ErrorCode code) noexcept;
std::string_view to_string(EventKind kind) noexcept;

}  // namespace megane::proto
