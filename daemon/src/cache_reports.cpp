#include "cache_reports.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <megane/proto/fetch_messages.hpp>

namespace megane::daemon {

void CacheReports::cache_config(Connection& conn, const proto::FrameView& frame) const {
  const std::uint32_t rid = frame.header.request_id;
  if (rid == 0) return;
  if (!section_) {
    conn.reply_error(rid, proto::ErrorCode::not_found, fmt::format("no [cache] section in {}", config_file_.string()));
    return;
  }
  proto::CacheConfig c;
  c.enabled = section_->enabled;
  c.channels = section_->channels;
  c.roles = section_->roles;
  switch (section_->members) {
    case MemberCachePolicy::all: c.members = proto::MemberPolicy::all; break;
    case MemberCachePolicy::own: c.members = proto::MemberPolicy::own; break;
    case MemberCachePolicy::none: c.members = proto::MemberPolicy::none; break;
  }
  c.cache_all_members = section_->cache_all_members;
  conn.reply(proto::MessageType::cache_config, rid, proto::encode(c));
}

void CacheReports::members_cached(std::uint32_t cluster_id) {
  if (sent_ || cluster_id >= reported_.size()) return;
  reported_[cluster_id] = true;
  if (!std::all_of(reported_.begin(), reported_.end(), [](bool b) { return b; })) return;
  sent_ = true;
  if (on_event) {
    on_event(proto::EventKind::all_members_cached,
             fmt::format("{{\"type\":\"all_members_cached\",\"clusters\":{}}}", reported_.size()));
  }
}

}  // namespace megane::daemon
