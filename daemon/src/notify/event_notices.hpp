// Turns the daemon's hub events (type name + JSON, as `meganectl events` shows them) into
// notice lines. Remembers which clusters and services lost their process, so the next ready
// of one becomes "restarted". Pure: no clock, no sockets.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "notify/notice.hpp"

namespace megane::daemon {

class EventNotices {
 public:
  // `type`: the event's name (proto::to_string of its kind; for "unknown", the JSON's "type"
  // is used). nullopt for events that are no notice (spawned, stats, shard states, expected
  // exits...).
  std::optional<Notice> translate(std::string_view type, std::string_view json);

 private:
  std::set<std::string> lost_process_;  // "cluster 3", "service poller": ready again = restarted
};

}  // namespace megane::daemon
