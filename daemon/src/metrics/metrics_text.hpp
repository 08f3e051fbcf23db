// The /metrics page: the last stats collection as OpenMetrics text, plus the identify budget
// as it is now. Names follow Prometheus conventions (base units, `_total` counters, `_ratio`
// for shares); labels `cluster`, `shard`, `service`. Pure, unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stats/stats_snapshot.hpp"

namespace megane::daemon {

struct IdentifyFigures {
  std::uint64_t remaining = 0, daily_limit = 0, reserve = 0, in_flight = 0, waiting = 0;
};

// [notifications]: what the notifier did since start.
struct NotificationFigures {
  std::uint64_t messages_sent = 0, events_sent = 0, events_dropped = 0, messages_failed = 0, rate_limited = 0;
};

struct MetricsInput {
  const StatsSnapshot* stats = nullptr;
  std::string bot;
  std::string version;
  bool gateway = false;                     // shard families only with a [gateway] section
  std::optional<IdentifyFigures> identify;  // with a [gateway] section
  std::optional<NotificationFigures> notifications;  // with a [notifications] section
};

std::string metrics_text(const MetricsInput& in);

}  // namespace megane::daemon
