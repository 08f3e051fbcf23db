#include "meganectl/command_output.hpp"

#include <charconv>

#include <fmt/format.h>

#include "meganectl/json_text.hpp"

namespace megane::ctl {

std::optional<proto::ClusterCommand> parse_cluster_selector(std::string_view text) {
  proto::ClusterCommand c;
  if (text == "all") {
    c.target_kind = proto::CommandTarget::all;
    return c;
  }
  std::uint32_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  c.target_kind = proto::CommandTarget::cluster;
  c.target = id;
  return c;
}

std::string_view target_status_name(proto::TargetStatus status) noexcept {
  switch (status) {
    case proto::TargetStatus::ok: return "ok";
    case proto::TargetStatus::error: return "error";
    case proto::TargetStatus::timeout: return "timeout";
    case proto::TargetStatus::unavailable: return "unavailable";
    case proto::TargetStatus::exited: return "exited";
    case proto::TargetStatus::not_found: return "not_found";
  }
  return "unknown";
}

std::string format_cluster_results(const proto::BroadcastReply& reply) {
  std::string out;
  for (const proto::TargetResult& r : reply.results) {
    if (r.status == proto::TargetStatus::ok) {
      out += fmt::format("cluster {}: ok {}\n", r.cluster_id, one_line_json(r.data));
      continue;
    }
    // Human words ("timed out"), and the daemon's text (the cluster's error) when it has one.
    const std::string_view what =
        r.status == proto::TargetStatus::exited ? "exited" : proto::to_string(r.status);
    if (r.data.empty()) {
      out += fmt::format("cluster {}: {}\n", r.cluster_id, what);
    } else {
      out += fmt::format("cluster {}: {}: {}\n", r.cluster_id, what, r.data);
    }
  }
  return out;
}

std::string format_cluster_results_json(const proto::BroadcastReply& reply) {
  std::string out = "[";
  for (const proto::TargetResult& r : reply.results) {
    if (out.size() > 1) out += ',';
    if (r.status == proto::TargetStatus::ok) {
      out += fmt::format(R"({{"cluster":{},"status":"ok","data":{}}})", r.cluster_id,
                         one_line_json(r.data));
    } else {
      out += fmt::format(R"({{"cluster":{},"status":"{}","error":{}}})", r.cluster_id,
                         target_status_name(r.status), quote_json(r.data));
    }
  }
  return out + "]\n";
}

bool all_ok(const proto::BroadcastReply& reply) noexcept {
  for (const proto::TargetResult& r : reply.results) {
    if (r.status != proto::TargetStatus::ok) return false;
  }
  return true;
}

std::string format_service_json(std::string_view service, std::string_view data) {
  return fmt::format(R"({{"service":{},"status":"ok","data":{}}})", quote_json(service),
                     one_line_json(data)) + "\n";
}

std::string format_service_error_json(std::string_view service, proto::ErrorCode code,
                                      std::string_view message) {
  return fmt::format(R"({{"service":{},"status":"{}","error":{}}})", quote_json(service),
                     error_code_name(code), quote_json(message)) + "\n";
}

std::string_view error_code_name(proto::ErrorCode code) noexcept {
  switch (code) {
    case proto::ErrorCode::unknown_message: return "unknown_message";
    case proto::ErrorCode::malformed: return "malformed";
    case proto::ErrorCode::version_mismatch: return "version_mismatch";
    case proto::ErrorCode::not_allowed: return "not_allowed";
    case proto::ErrorCode::bad_handshake: return "bad_handshake";
    case proto::ErrorCode::not_found: return "not_found";
    case proto::ErrorCode::frame_too_large: return "frame_too_large";
    case proto::ErrorCode::busy: return "busy";
    case proto::ErrorCode::timeout: return "timeout";
    case proto::ErrorCode::internal: return "internal";
    case proto::ErrorCode::target_exited: return "target_exited";
    case proto::ErrorCode::unavailable: return "unavailable";
    case proto::ErrorCode::rejected: return "rejected";
    case proto::ErrorCode::persistence: return "persistence";
    case proto::ErrorCode::limit: return "limit";
    case proto::ErrorCode::invalid_config: return "invalid_config";
  }
  return "unknown";
}

}  // namespace megane::ctl
