// A stats collection as JSON: the full reply to `stats` and the summary the stats_updated
// event carries (docs/protocol.md#stats).
#pragma once

#include <chrono>
#include <string>

#include "stats/stats_snapshot.hpp"

namespace megane::daemon {

std::string stats_json(const StatsSnapshot& s, const std::string& bot, std::chrono::steady_clock::time_point now);
std::string stats_event_json(const StatsSnapshot& s);

}  // namespace megane::daemon
