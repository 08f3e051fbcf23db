// cache_all_members: once a guild is available (GUILD_CREATE), asks for all its members with
// op 8 REQUEST_GUILD_MEMBERS on the guild's shard, through the shard's send queue (which keeps
// Discord's send limit and room for heartbeats), and tells when every guild READY listed is
// available and the last chunk of every requested guild has arrived. A new session (READY) asks again for its shard's guilds, since
// their GUILD_CREATEs replace the member lists.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <megane/sdk/gateway.hpp>

namespace megane::cache {

class MemberRequests {
 public:
  using Send = std::function<bool(std::uint32_t shard, std::string payload)>;

  MemberRequests(Send send, std::function<void()> all_cached)
      : send_(std::move(send)), all_cached_(std::move(all_cached)) {}

  void on_dispatch(const Dispatch& d);
  std::size_t pending() const noexcept { return pending_.size(); }    // requested, last chunk not yet in
  std::size_t requested() const noexcept { return requested_.size(); }
  // Every guild READY listed is in and every requested guild's last chunk arrived.
  bool complete() const noexcept { return pending_.empty() && awaiting_.empty(); }

 private:
  void on_guild_create(std::uint32_t shard, std::uint64_t guild_id, bool unavailable);
  void done(std::uint64_t guild_id);

  Send send_;
  std::function<void()> all_cached_;
  std::unordered_map<std::uint64_t, std::uint32_t> requested_;  // guild -> shard, this session
  std::unordered_set<std::uint64_t> pending_;
  std::unordered_set<std::uint64_t> awaiting_;  // listed by READY, no GUILD_CREATE yet
};

}  // namespace megane::cache
