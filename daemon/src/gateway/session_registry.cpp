#include "gateway/session_registry.hpp"

namespace megane::daemon {

void SessionRegistry::update(const proto::SessionInfo& info) {
  if (info.session_id.empty()) sessions_.erase(info.shard_id);
  else sessions_[info.shard_id] = info;
}

std::vector<proto::SessionInfo> SessionRegistry::range(std::uint32_t first, std::uint32_t count) const {
  std::vector<proto::SessionInfo> out;
  const std::uint64_t end = static_cast<std::uint64_t>(first) + count;
  for (auto it = sessions_.lower_bound(first); it != sessions_.end() && it->first < end; ++it) out.push_back(it->second);
  return out;
}

}  // namespace megane::daemon
