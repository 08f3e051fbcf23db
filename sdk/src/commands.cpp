#include <megane/sdk/commands.hpp>

#include <fmt/format.h>

namespace megane {

// The parser owns the DOM; one per JsonText so each text's view stays valid on its own.
struct JsonText::Parsed {
  simdjson::dom::parser parser;
  simdjson::simdjson_result<simdjson::dom::element> root;
};

JsonText::JsonText() noexcept = default;
JsonText::JsonText(std::string text) noexcept : text_(std::move(text)) {}
JsonText::JsonText(const JsonText& other) : text_(other.text_) {}
JsonText::JsonText(JsonText&&) noexcept = default;
JsonText& JsonText::operator=(JsonText&&) noexcept = default;
JsonText::~JsonText() = default;

JsonText& JsonText::operator=(const JsonText& other) {
  if (this != &other) {
    text_ = other.text_;
    parsed_.reset();
  }
  return *this;
}

simdjson::simdjson_result<simdjson::dom::element> JsonText::json() const {
  if (!parsed_) {
    parsed_ = std::make_unique<Parsed>();
    // parse(std::string) copies into a padded buffer when the string has no spare capacity
    // for simdjson's padding, so text_ is never read past its end.
    parsed_->root = parsed_->parser.parse(text_);
  }
  return parsed_->root;
}

std::string_view to_string(CommandStatus status) noexcept {
  switch (status) {
    case CommandStatus::ok: return "ok";
    case CommandStatus::rejected: return "rejected";
    case CommandStatus::not_found: return "not found";
    case CommandStatus::unavailable: return "unavailable";
    case CommandStatus::timeout: return "timed out";
    case CommandStatus::target_exited: return "target exited";
    case CommandStatus::disconnected: return "disconnected";
    case CommandStatus::cancelled: return "cancelled";
    case CommandStatus::failed: return "failed";
  }
  return "unknown";
}

bool ClusterCommandReply::ok() const noexcept {
  if (status != CommandStatus::ok) return false;
  for (const ClusterReply& r : results) {
    if (!r.ok()) return false;
  }
  return true;
}

std::string CommandRequest::origin() const {
  switch (origin_role) {
    case proto::Role::cluster: return fmt::format("cluster {}", origin_cluster);
    case proto::Role::service: return fmt::format("service '{}'", origin_service);
    case proto::Role::control: return "control";
  }
  return "unknown";
}

namespace detail {

CommandStatus status_of(proto::ErrorCode code) noexcept {
  switch (code) {
    case proto::ErrorCode::not_found: return CommandStatus::not_found;
    case proto::ErrorCode::unavailable: return CommandStatus::unavailable;
    case proto::ErrorCode::timeout: return CommandStatus::timeout;
    case proto::ErrorCode::target_exited: return CommandStatus::target_exited;
    case proto::ErrorCode::rejected: return CommandStatus::rejected;
    case proto::ErrorCode::unknown_message:
    case proto::ErrorCode::malformed:
    case proto::ErrorCode::version_mismatch:
    case proto::ErrorCode::not_allowed:
    case proto::ErrorCode::bad_handshake:
    case proto::ErrorCode::frame_too_large:
    case proto::ErrorCode::busy:
    case proto::ErrorCode::internal:
    case proto::ErrorCode::persistence:
    case proto::ErrorCode::limit:
    case proto::ErrorCode::invalid_config: return CommandStatus::failed;
  }
  return CommandStatus::failed;
}

CommandStatus status_of(proto::TargetStatus status) noexcept {
  switch (status) {
    case proto::TargetStatus::ok: return CommandStatus::ok;
    case proto::TargetStatus::error: return CommandStatus::rejected;
    case proto::TargetStatus::timeout: return CommandStatus::timeout;
    case proto::TargetStatus::unavailable: return CommandStatus::unavailable;
    case proto::TargetStatus::exited: return CommandStatus::target_exited;
    case proto::TargetStatus::not_found: return CommandStatus::not_found;
  }
  return CommandStatus::failed;
}

ClusterReply reply_of(proto::TargetResult result) {
  ClusterReply r;
  r.cluster_id = result.cluster_id;
  r.status = status_of(result.status);
  if (r.ok()) {
    r.data = JsonText(std::move(result.data));
  } else {
    // The daemon's text when it sent one (the target's error message); else the status.
    r.message = result.data.empty()
                    ? fmt::format("cluster {}: {}", result.cluster_id, proto::to_string(result.status))
                    : std::move(result.data);
  }
  return r;
}

}  // namespace detail
}  // namespace megane
