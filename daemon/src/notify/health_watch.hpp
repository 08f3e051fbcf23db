// Notices that come from watching state rather than from events: a shard down longer than a
// threshold (and back up again), and the day's identify budget falling below a threshold. Each
// condition is said once when it starts and re-armed when it ends. Pure, on time passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "notify/notice.hpp"

namespace megane::daemon {

class ShardDownWatch {
 public:
  using Clock = std::chrono::steady_clock;

  // One observation per shard per tick, in any order; then collect() says what changed.
  // Only shards that have been up since meganed started count: start-up is not an outage
  // (a shard that never comes up shows in /healthz and in its cluster's exits).
  void observe(std::uint32_t shard, std::uint32_t cluster, bool up, Clock::time_point now);
  // Shards down longer than `threshold` (not yet reported), and reported shards up again, as
  // one notice per cluster and kind: "cluster 1: shards 4-7 down for more than 60 s".
  std::vector<Notice> collect(std::chrono::milliseconds threshold, Clock::time_point now);

 private:
  struct Shard {
    std::uint32_t cluster = 0;
    bool seen_up = false;
    std::optional<Clock::time_point> down_since;
    bool reported = false;   // its outage was said
    bool recovered = false;  // back up after a reported outage, not yet said
    Clock::duration outage{};
  };
  std::vector<Shard> shards_;
};

class BudgetWatch {
 public:
  // nullopt unless `remaining` just fell below `threshold` (said once until it is back at or
  // above it, e.g. after the daily reset). A threshold of 0 never fires.
  std::optional<Notice> observe(std::uint32_t remaining, std::uint32_t total, std::uint32_t threshold);

 private:
  bool low_ = false;
};

// "0-3, 5, 7-9" for sorted shard ids.
std::string shard_ranges(const std::vector<std::uint32_t>& sorted);

}  // namespace megane::daemon
