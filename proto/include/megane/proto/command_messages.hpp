// Payloads of commands (0x03xx), events (0x07xx) and service control. Data fields are opaque
// bytes to the daemon (JSON text by convention of the SDK): it never parses them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

namespace megane::proto {

// The longest ipc.request_timeout a config may set. A request sent with timeout_ms = 0 takes
// the daemon's value, which the sender does not know (and a reload may change): bounded by
// this, the sender's own safety net can wait this long plus a margin and never cut the
// daemon's deadline short.
inline constexpr std::uint32_t max_default_timeout_ms = 600'000;

// The latest the daemon answers a request that carries `timeout_ms`, as its sender can know
// it: that timeout, or for 0 the longest ipc.request_timeout may be.
constexpr std::chrono::milliseconds daemon_deadline(std::uint32_t timeout_ms) noexcept {
  return std::chrono::milliseconds(timeout_ms != 0 ? timeout_ms : max_default_timeout_ms);
}

// Any role -> daemon, to one service. With receptive = 0 send it with request id 0: no reply.
struct ServiceCommand {
  std::string service;
  bool receptive = true;
  std::uint32_t timeout_ms = 0;  // 0 = the daemon's ipc.request_timeout
  std::string data;
};

enum class CommandTarget : std::uint8_t {
  all = 0,      // every cluster
  cluster = 1,  // target = cluster id
  guild = 2,    // target = guild id: the cluster owning (id >> 22) % total_shards
};

// Any role -> daemon, to clusters.
struct ClusterCommand {
  CommandTarget target_kind = CommandTarget::all;
  std::uint64_t target = 0;
  bool receptive = true;
  std::uint32_t timeout_ms = 0;
  std::string data;
};

// Daemon -> the target process. The target answers (if request id != 0) with a command_result
// reply: the data, or an ErrorReply with FrameFlags::error.
struct CommandDeliver {
  Role origin_role = Role::control;
  std::uint32_t origin_cluster = 0;  // origin_role cluster
  std::string origin_service;        // origin_role service
  bool receptive = true;
  std::string data;
};

enum class TargetStatus : std::uint8_t {
  ok = 0,
  error = 1,        // the target answered with an error; text = its message
  timeout = 2,      // no answer before the deadline
  unavailable = 3,  // not connected (starting, restarting, quarantined...)
  exited = 4,       // the process exited before answering
  not_found = 5,    // fetch: the target answered that it does not have it
};

struct TargetResult {
  std::uint32_t cluster_id = 0;
  TargetStatus status = TargetStatus::ok;
  std::string data;  // the answer, or the error text
};

// Reply to ClusterCommand: one entry per target, in cluster id order.
struct BroadcastReply {
  std::vector<TargetResult> results;
};

struct Subscribe {
  std::uint32_t mask = all_events;  // event_bit(kind) | ...
};

struct Event {
  EventKind kind = EventKind::cluster_spawned;
  std::uint64_t unix_ms = 0;
  std::string json;  // {"type": "...", ...} see docs/protocol.md#events
};

struct RestartService {
  std::string service;
  bool wait_ready = false;
};

// The routing fields of a command with views into the received payload: the daemon forwards
// `data` without copying it (valid as long as the payload it was decoded from).
struct ServiceCommandView {
  std::string_view service;
  bool receptive = true;
  std::uint32_t timeout_ms = 0;
  std::string_view data;
};

struct ClusterCommandView {
  CommandTarget target_kind = CommandTarget::all;
  std::uint64_t target = 0;
  bool receptive = true;
  std::uint32_t timeout_ms = 0;
  std::string_view data;
};

class Writer;
// Appends a CommandDeliver payload to `w` (the daemon writes it straight into the target's
// output buffer).
void encode_command_deliver(Writer& w, Role origin_role, std::uint32_t origin_cluster,
                            std::string_view origin_service, bool receptive, std::string_view data);

Bytes encode(const ServiceCommand& m);
Bytes encode(const ClusterCommand& m);
Bytes encode(const CommandDeliver& m);
Bytes encode(const BroadcastReply& m);
Bytes encode(const Subscribe& m);
Bytes encode(const Event& m);
Bytes encode(const RestartService& m);

bool decode(ByteView in, ServiceCommand& out) noexcept;
bool decode(ByteView in, ServiceCommandView& out) noexcept;
bool decode(ByteView in, ClusterCommandView& out) noexcept;
bool decode(ByteView in, ClusterCommand& out) noexcept;
bool decode(ByteView in, CommandDeliver& out) noexcept;
bool decode(ByteView in, BroadcastReply& out) noexcept;
bool decode(ByteView in, Subscribe& out) noexcept;
bool decode(ByteView in, Event& out) noexcept;
bool decode(ByteView in, RestartService& out) noexcept;

std::string_view to_string(TargetStatus status) noexcept;

}  // namespace megane::proto
