// Every shard's resumable session as its cluster last reported it ({session_id, seq,
// resume_gateway_url}), handed back in gateway_config so a restarted cluster RESUMEs instead
// of spending an IDENTIFY. In memory only: a daemon restart forgets them (the shards then
// IDENTIFY, as after any cold start).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include <megane/proto/gateway_messages.hpp>

namespace megane::daemon {

class SessionRegistry {
 public:
  // An empty session_id clears the shard's session (it ended or cannot be resumed).
  void update(const proto::SessionInfo& info);
  // Sessions of shards [first, first + count), in shard order.
  std::vector<proto::SessionInfo> range(std::uint32_t first, std::uint32_t count) const;
  std::size_t size() const noexcept { return sessions_.size(); }

 private:
  std::map<std::uint32_t, proto::SessionInfo> sessions_;
};

}  // namespace megane::daemon
