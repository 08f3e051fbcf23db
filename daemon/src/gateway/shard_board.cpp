#include "gateway/shard_board.hpp"

namespace megane::daemon {

bool ShardBoard::update(const proto::ShardStatus& status) {
  ShardView& v = shards_.at(status.shard_id);
  const bool changed = !v.state || *v.state != status.state;
  v.state = status.state;
  v.latency_ms = status.latency_ms;
  v.guilds = status.guilds;
  v.detail = status.detail;
  return changed;
}

void ShardBoard::forget_range(std::uint32_t first, std::uint32_t count) {
  for (std::uint32_t s = first; s < first + count && s < shards_.size(); ++s) shards_[s] = ShardView{};
}

std::uint32_t ShardBoard::ready_in_range(std::uint32_t first, std::uint32_t count) const {
  std::uint32_t n = 0;
  for (std::uint32_t s = first; s < first + count && s < shards_.size(); ++s)
    if (shards_[s].state == proto::ShardState::ready) ++n;
  return n;
}

}  // namespace megane::daemon
