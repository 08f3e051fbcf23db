#include <megane/proto/protocol.hpp>

namespace megane::proto {

std::string_view to_string(MessageType type) noexcept {
  switch (type) {
    case MessageType::hello: return "hello";
    case MessageType::hello_ok: return "hello_ok";
    case MessageType::error: return "error";
    case MessageType::ping: return "ping";
    case MessageType::pong: return "pong";
    case MessageType::ready: return "ready";
    case MessageType::goodbye: return "goodbye";
    case MessageType::status: return "status";
    case MessageType::restart_cluster: return "restart_cluster";
    case MessageType::stop_cluster: return "stop_cluster";
    case MessageType::shutdown: return "shutdown";
  }
  return "unknown";
}

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::control: return "control";
    case Role::cluster: return "cluster";
    case Role::service: return "service";
  }
  return "unknown";
}

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::unknown_message: return "unknown message";
    case ErrorCode::malformed: return "malformed payload";
    case ErrorCode::version_mismatch: return "protocol version mismatch";
    case ErrorCode::not_allowed: return "not allowed";
    case ErrorCode::bad_handshake: return "bad handshake";
    case ErrorCode::not_found: return "not found";
    case ErrorCode::frame_too_large: return "frame too large";
    case ErrorCode::busy: return "busy";
    case ErrorCode::timeout: return "timed out";
    case ErrorCode::internal: return "internal error";
  }
  return "unknown error";
}

}  // namespace megane::proto
