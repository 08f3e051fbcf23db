// The cluster's cache of guilds, channels, roles, members and users, kept current from the
// gateway's dispatches (GUILD_*, CHANNEL_*, GUILD_ROLE_*, GUILD_MEMBER_*, GUILD_MEMBERS_CHUNK,
// USER_UPDATE, READY). ClusterWorker owns one and feeds it before the bot's own handlers run,
// so a GUILD_CREATE handler already finds its guild. Use it from the cluster's io_context
// only (like everything else in a worker); no locks. See docs/sdk.md#cache.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <simdjson.h>

#include <megane/sdk/cache/entities.hpp>
#include <megane/sdk/gateway.hpp>

namespace megane {

// Which members a guild keeps.
enum class MemberCache : std::uint8_t {
  all = 0,   // every member Discord sends (GUILD_CREATE, member events, chunks)
  own = 1,   // only the bot's own member in each guild
  none = 2,  // no members (and so no users but the bot's own)
};

struct CacheOptions {
  bool enabled = true;    // false: the cache stays empty and costs nothing
  bool channels = true;   // guild channels (CHANNEL_*)
  bool roles = true;      // guild roles (GUILD_ROLE_*)
  MemberCache members = MemberCache::all;
  // ClusterWorker only: after each GUILD_CREATE, request all the guild's members (op 8, needs
  // the GUILD_MEMBERS intent) and call all_members_cached() once every requested guild's last
  // GUILD_MEMBERS_CHUNK is in. Ignored unless members is MemberCache::all.
  bool cache_all_members = false;
};

struct CacheCounts {
  std::size_t guilds = 0;
  std::size_t unavailable_guilds = 0;
  std::size_t channels = 0;
  std::size_t roles = 0;
  std::size_t members = 0;
  std::size_t users = 0;
  std::uint64_t malformed = 0;  // dispatches the cache could not use (missing ids ...)
};

class Cache {
 public:
  struct State;

  explicit Cache(CacheOptions options = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Applies one dispatch; events the cache does not track are ignored. Never throws on bad
  // payloads (they are counted in counts().malformed).
  void apply(std::string_view event, simdjson::dom::element data);
  void apply(const Dispatch& dispatch) { apply(dispatch.name, dispatch.data); }

  // Reads. Pointers and spans are valid until the next apply(), i.e. do not keep them across
  // a co_await.
  const CachedGuild* guild(std::uint64_t id) const;
  const CachedChannel* channel(std::uint64_t id) const;
  const CachedUser* user(std::uint64_t id) const;
  const CachedMember* member(std::uint64_t guild_id, std::uint64_t user_id) const;
  std::span<const CachedMember> members(std::uint64_t guild_id) const;  // empty when unknown
  std::span<const CachedRole> roles(std::uint64_t guild_id) const;
  const CachedRole* role(std::uint64_t guild_id, std::uint64_t role_id) const;
  std::uint64_t self_id() const;  // the bot's user id, from READY (0 before)
  CacheCounts counts() const;
  const CacheOptions& options() const;
  template <class F>
  void for_each_guild(F&& f) const;

  // Discord-shaped JSON of a cached entity (snowflakes as strings, null for absent fields,
  // the fields the cache keeps), or nullopt when it is not cached.
  std::optional<std::string> guild_json(std::uint64_t id, bool include_members) const;
  std::optional<std::string> channel_json(std::uint64_t id) const;
  std::optional<std::string> user_json(std::uint64_t id) const;
  std::optional<std::string> member_json(std::uint64_t guild_id, std::uint64_t user_id) const;

  State& state() noexcept { return *state_; }
  const State& state() const noexcept { return *state_; }

 private:
  void visit_guilds(const std::function<void(const CachedGuild&)>& f) const;
  std::unique_ptr<State> state_;
};

template <class F>
void Cache::for_each_guild(F&& f) const {
  visit_guilds([&](const CachedGuild& g) { f(g); });
}

}  // namespace megane
