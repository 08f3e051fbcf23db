#include "metrics/shard_health.hpp"

namespace megane::daemon {

ShardHealth::ShardHealth(std::uint32_t shards, Clock::time_point start) : down_since_(shards, start) {}

void ShardHealth::observe(std::uint32_t shard, bool up, Clock::time_point now) {
  if (shard >= down_since_.size()) return;
  auto& since = down_since_[shard];
  if (up) since.reset();
  else if (!since) since = now;
}

std::vector<ShardHealth::Down> ShardHealth::down_longer_than(std::chrono::milliseconds threshold,
                                                             Clock::time_point now) const {
  std::vector<Down> out;
  for (std::uint32_t s = 0; s < down_since_.size(); ++s) {
    const auto& since = down_since_[s];
    if (since && now - *since > threshold) out.push_back({s, std::chrono::duration<double>(now - *since).count()});
  }
  return out;
}

}  // namespace megane::daemon
