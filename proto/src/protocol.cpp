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
    case MessageType::restart_service: return "restart_service";
    case MessageType::rolling_restart: return "rolling_restart";
    case MessageType::reload: return "reload";
    case MessageType::store_get: return "store_get";
    case MessageType::store_set: return "store_set";
    case MessageType::store_delete: return "store_delete";
    case MessageType::store_increment: return "store_increment";
    case MessageType::store_compare_and_set: return "store_compare_and_set";
    case MessageType::store_expire: return "store_expire";
    case MessageType::store_keys: return "store_keys";
    case MessageType::service_command: return "service_command";
    case MessageType::cluster_command: return "cluster_command";
    case MessageType::command_deliver: return "command_deliver";
    case MessageType::command_result: return "command_result";
    case MessageType::fetch: return "fetch";
    case MessageType::fetch_deliver: return "fetch_deliver";
    case MessageType::fetch_result: return "fetch_result";
    case MessageType::cache_config: return "cache_config";
    case MessageType::members_cached: return "members_cached";
    case MessageType::stats_request: return "stats_request";
    case MessageType::stats_report: return "stats_report";
    case MessageType::stats: return "stats";
    case MessageType::gateway_config: return "gateway_config";
    case MessageType::identify_permit: return "identify_permit";
    case MessageType::identify_done: return "identify_done";
    case MessageType::session_update: return "session_update";
    case MessageType::shard_status: return "shard_status";
    case MessageType::subscribe: return "subscribe";
    case MessageType::event: return "event";
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
    case ErrorCode::target_exited: return "target exited";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::rejected: return "rejected by the target";
    case ErrorCode::persistence: return "persistence failure";
    case ErrorCode::limit: return "limit reached";
    case ErrorCode::invalid_config: return "invalid config";
  }
  return "unknown error";
}

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::cluster_spawned: return "cluster_spawned";
    case EventKind::cluster_ready: return "cluster_ready";
    case EventKind::cluster_exited: return "cluster_exited";
    case EventKind::cluster_quarantined: return "cluster_quarantined";
    case EventKind::cluster_failed: return "cluster_failed";
    case EventKind::all_clusters_ready: return "all_clusters_ready";
    case EventKind::service_spawned: return "service_spawned";
    case EventKind::service_ready: return "service_ready";
    case EventKind::service_exited: return "service_exited";
    case EventKind::service_quarantined: return "service_quarantined";
    case EventKind::service_failed: return "service_failed";
    case EventKind::stats_updated: return "stats_updated";
    case EventKind::shard: return "shard";
    case EventKind::rolling_restart_started: return "rolling_restart_started";
    case EventKind::rolling_restart_step: return "rolling_restart_step";
    case EventKind::rolling_restart_finished: return "rolling_restart_finished";
    case EventKind::rolling_restart_failed: return "rolling_restart_failed";
    case EventKind::config_reloaded: return "config_reloaded";
    case EventKind::all_members_cached: return "all_members_cached";
  }
  return "unknown";
}

}  // namespace megane::proto
