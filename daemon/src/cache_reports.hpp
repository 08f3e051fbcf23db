// The daemon's part of the clusters' caches: hands the [cache] section to each cluster
// (cache_config) and turns the clusters' "all members cached" reports into one
// all_members_cached event per daemon start, once every cluster has reported.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <megane/proto/frame.hpp>
#include <megane/proto/protocol.hpp>

#include "config.hpp"
#include "connection.hpp"

namespace megane::daemon {

class CacheReports {
 public:
  CacheReports(std::optional<CacheSection> section, std::filesystem::path config_file, std::size_t clusters)
      : section_(std::move(section)), config_file_(std::move(config_file)), reported_(clusters, false) {}

  // A reload's [cache]: clusters that start from now on get it.
  void set_section(std::optional<CacheSection> section) { section_ = std::move(section); }
  // cache_config: the section, or not_found without one (the bot's own options apply).
  void cache_config(Connection& conn, const proto::FrameView& frame) const;
  // members_cached from cluster `cluster_id`. Reports after the event was sent change nothing.
  void members_cached(std::uint32_t cluster_id);

  bool all_reported() const noexcept { return sent_; }
  std::function<void(proto::EventKind, const std::string&)> on_event;

 private:
  std::optional<CacheSection> section_;
  std::filesystem::path config_file_;
  std::vector<bool> reported_;  // by cluster id, for this daemon start
  bool sent_ = false;
};

}  // namespace megane::daemon
