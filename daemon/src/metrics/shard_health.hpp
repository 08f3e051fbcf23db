// For /healthz: since when each shard has been down. A shard is up when its cluster is ready
// and, with a [gateway] section, the shard reported READY; "down" starts when it stops being
// up (or at meganed's start), so a shard that reconnects within the threshold never counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace megane::daemon {

class ShardHealth {
 public:
  using Clock = std::chrono::steady_clock;

  ShardHealth(std::uint32_t shards, Clock::time_point start);

  void observe(std::uint32_t shard, bool up, Clock::time_point now);

  struct Down {
    std::uint32_t shard = 0;
    double seconds = 0;
  };
  // Shards down for longer than `threshold`, in id order.
  std::vector<Down> down_longer_than(std::chrono::milliseconds threshold, Clock::time_point now) const;

 private:
  std::vector<std::optional<Clock::time_point>> down_since_;  // nullopt = up
};

}  // namespace megane::daemon
