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
inline constexpr std::uint16_t protocol_version = 1;
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
  stop_cluster = 0x0102,    // reserved for the rolling-restart issue
  shutdown = 0x0103,        // request (empty) -> reply (empty), then the daemon stops

  // 0x02xx store, 0x03xx commands/broadcast, 0x04xx fetch, 0x05xx stats,
  // 0x06xx identify, 0x07xx events: allocated by the issues that add them.
};

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
};

std::string_view to_string(MessageType type) noexcept;
std::string_view to_string(Role role) noexcept;
std::string_view to_string(ErrorCode code) noexcept;

}  // namespace megane::proto
