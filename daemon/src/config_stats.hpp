// The [stats] and [metrics] sections: how often meganed collects statistics, and where it
// serves them over HTTP. Kept apart from config_schema.cpp, which calls these with its
// TreeChecker.
#pragma once

#include "config.hpp"
#include "config_tree.hpp"

namespace megane::daemon {

// Shorter intervals would make the /proc reads and the workers' answers a load of their own.
inline constexpr Millis min_stats_interval{100};

// [stats] into config.stats (defaults when the section is absent).
void read_stats_section(TreeChecker& check, const Node& root, Config& config);
// [metrics] into config.metrics (nullopt when the section is absent: no HTTP endpoint).
void read_metrics_section(TreeChecker& check, const Node& root, Config& config);

}  // namespace megane::daemon
