// Payload structs of the messages in protocol.hpp, each with its encoder and decoder.
// Decoders return false on any malformed or trailing input; they never throw.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

namespace megane::proto {

// The first frame of every connection. Its first two fields (version, role) are frozen
// across versions so a daemon can always say "you speak N, I speak M".
struct Hello {
  std::uint16_t version = protocol_version;
  Role role = Role::control;
  std::string client;            // free text, e.g. "libmegane/0.1.0"
  std::uint32_t cluster_id = 0;  // role cluster
  std::string service;           // role service
  std::uint64_t generation = 0;  // MEGANE_GENERATION of this spawn (children only)
};

struct HelloOk {
  std::uint16_t version = protocol_version;
  std::string daemon;                      // e.g. "meganed/0.1.0"
  std::string bot;                         // bot name from the config
  std::uint32_t cluster_id = 0;
  std::uint32_t first_shard = 0;           // cluster: its contiguous shard range
  std::uint32_t shard_count = 0;
  std::uint32_t total_shards = 0;
  std::uint32_t heartbeat_interval_ms = 0; // the daemon pings this often
};

struct ErrorReply {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

struct RestartCluster {
  std::uint32_t cluster_id = 0;
  bool wait_ready = false;  // reply only once the cluster is ready again (or failed)
};

// rolling_restart: every cluster, in id order, each ready again before the next.
struct RollingRestart {
  std::uint32_t cluster_timeout_ms = 0;  // per cluster, from its restart to ready; 0 = 120 s
};

Bytes encode(const Hello& m);
Bytes encode(const HelloOk& m);
class Writer;
// Appends an ErrorReply payload to `w` (straight into an output buffer).
void encode_error(Writer& w, ErrorCode code, std::string_view message);
Bytes encode(const ErrorReply& m);
Bytes encode(const RestartCluster& m);
Bytes encode(const RollingRestart& m);

bool decode(ByteView in, Hello& out) noexcept;
bool decode(ByteView in, HelloOk& out) noexcept;
bool decode(ByteView in, ErrorReply& out) noexcept;
bool decode(ByteView in, RestartCluster& out) noexcept;
bool decode(ByteView in, RollingRestart& out) noexcept;

// Reads only the frozen prefix of a hello (version, role), for the mismatch answer.
std::optional<std::uint16_t> peek_hello_version(ByteView in) noexcept;

}  // namespace megane::proto
