// The whole state of a megane::Cache as text, for comparing two caches that should hold the same
// (a cache and its copy restored from a snapshot file): every guild as JSON with its members,
// every user with its reference count, every channel, the pools' bookkeeping and the counts.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <fmt/format.h>

#include <megane/sdk/cache.hpp>

#include "../../sdk/src/cache/cache_state.hpp"

namespace megane::test {

inline std::string cache_snapshot(const Cache& cache) {
  const Cache::State& s = cache.state();
  std::map<std::uint64_t, std::string> guilds, users, channels;
  for (const auto& [id, g] : s.guilds) {
    guilds[id] = fmt::format("{} unavailable={} role_pool={} role_holes={} overwrite_pool={} overwrite_holes={} nicks={}",
                             cache.guild_json(id, true).value_or("?"), g.unavailable, g.member_role_pool.size(),
                             g.member_role_holes, g.overwrite_pool.size(), g.overwrite_holes, g.nicks.size());
  }
  s.users.for_each([&](const CachedUser& u) {
    users[u.id] = fmt::format("{} refs={}", cache.user_json(u.id).value_or("?"), u.refs);
  });
  s.channels.for_each([&](const CachedChannel& c) {
    channels[c.id] = fmt::format("{} guild={}", cache.channel_json(c.id).value_or("?"), c.guild_id);
  });
  const CacheCounts n = cache.counts();
  std::string out = fmt::format("self={} guilds={} unavailable={} channels={} roles={} members={} users={} malformed={}\n",
                                cache.self_id(), n.guilds, n.unavailable_guilds, n.channels, n.roles, n.members,
                                n.users, n.malformed);
  for (const auto& [id, text] : guilds) out += fmt::format("guild {}: {}\n", id, text);
  for (const auto& [id, text] : users) out += fmt::format("user {}: {}\n", id, text);
  for (const auto& [id, text] : channels) out += fmt::format("channel {}: {}\n", id, text);
  return out;
}

}  // namespace megane::test
