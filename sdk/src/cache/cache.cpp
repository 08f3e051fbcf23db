#include <megane/sdk/cache.hpp>

#include <algorithm>

#include "cache_state.hpp"

namespace megane {
namespace {

enum class CacheEvent : std::uint8_t {
  ready = 0,
  guild_create = 1,
  guild_update = 2,
  guild_delete = 3,
  channel_create = 4,
  channel_update = 5,
  channel_delete = 6,
  role_create = 7,
  role_update = 8,
  role_delete = 9,
  member_add = 10,
  member_update = 11,
  member_remove = 12,
  members_chunk = 13,
  user_update = 14,
  untracked = 15,
};

struct EventName {
  std::string_view name;
  CacheEvent event;
};

constexpr EventName event_names[] = {
    {"READY", CacheEvent::ready},
    {"GUILD_CREATE", CacheEvent::guild_create},
    {"GUILD_UPDATE", CacheEvent::guild_update},
    {"GUILD_DELETE", CacheEvent::guild_delete},
    {"CHANNEL_CREATE", CacheEvent::channel_create},
    {"CHANNEL_UPDATE", CacheEvent::channel_update},
    {"CHANNEL_DELETE", CacheEvent::channel_delete},
    {"GUILD_ROLE_CREATE", CacheEvent::role_create},
    {"GUILD_ROLE_UPDATE", CacheEvent::role_update},
    {"GUILD_ROLE_DELETE", CacheEvent::role_delete},
    {"GUILD_MEMBER_ADD", CacheEvent::member_add},
    {"GUILD_MEMBER_UPDATE", CacheEvent::member_update},
    {"GUILD_MEMBER_REMOVE", CacheEvent::member_remove},
    {"GUILD_MEMBERS_CHUNK", CacheEvent::members_chunk},
    {"USER_UPDATE", CacheEvent::user_update},
};

CacheEvent classify(std::string_view name) noexcept {
  // Most dispatches (MESSAGE_CREATE, PRESENCE_UPDATE, TYPING_START ...) are not ours: the
  // first letters rule them out before any comparison.
  if (name.empty() || (name[0] != 'G' && name[0] != 'C' && name[0] != 'R' && name[0] != 'U')) {
    return CacheEvent::untracked;
  }
  for (const EventName& e : event_names) {
    if (e.name == name) return e.event;
  }
  return CacheEvent::untracked;
}

}  // namespace

Cache::Cache(CacheOptions options) : state_(std::make_unique<State>()) { state_->options = options; }
Cache::~Cache() = default;

void Cache::apply(std::string_view event, simdjson::dom::element data) {
  State& s = *state_;
  if (!s.options.enabled) return;
  switch (classify(event)) {
    case CacheEvent::ready: cache::apply_ready(s, data); return;
    case CacheEvent::guild_create: cache::apply_guild_create(s, data); return;
    case CacheEvent::guild_update: cache::apply_guild_update(s, data); return;
    case CacheEvent::guild_delete: cache::apply_guild_delete(s, data); return;
    case CacheEvent::channel_create:
    case CacheEvent::channel_update: cache::apply_channel_upsert(s, data); return;
    case CacheEvent::channel_delete: cache::apply_channel_delete(s, data); return;
    case CacheEvent::role_create:
    case CacheEvent::role_update: cache::apply_role_upsert(s, data); return;
    case CacheEvent::role_delete: cache::apply_role_delete(s, data); return;
    case CacheEvent::member_add: cache::apply_member_add(s, data); return;
    case CacheEvent::member_update: cache::apply_member_update(s, data); return;
    case CacheEvent::member_remove: cache::apply_member_remove(s, data); return;
    case CacheEvent::members_chunk: cache::apply_members_chunk(s, data); return;
    case CacheEvent::user_update: cache::apply_user_update(s, data); return;
    case CacheEvent::untracked: return;
  }
}

const CachedGuild* Cache::guild(std::uint64_t id) const { return state_->find_guild(id); }
const CachedChannel* Cache::channel(std::uint64_t id) const { return state_->channels.find(id); }
const CachedUser* Cache::user(std::uint64_t id) const { return state_->users.find(id); }

const CachedMember* Cache::member(std::uint64_t guild_id, std::uint64_t user_id) const {
  const CachedGuild* g = guild(guild_id);
  return g ? g->member(user_id) : nullptr;
}

std::span<const CachedMember> Cache::members(std::uint64_t guild_id) const {
  const CachedGuild* g = guild(guild_id);
  return g ? std::span<const CachedMember>(g->members) : std::span<const CachedMember>{};
}

std::span<const CachedRole> Cache::roles(std::uint64_t guild_id) const {
  const CachedGuild* g = guild(guild_id);
  return g ? std::span<const CachedRole>(g->roles) : std::span<const CachedRole>{};
}

const CachedRole* Cache::role(std::uint64_t guild_id, std::uint64_t role_id) const {
  const CachedGuild* g = guild(guild_id);
  return g ? g->role(role_id) : nullptr;
}

std::uint64_t Cache::self_id() const { return state_->self_id; }
const CacheOptions& Cache::options() const { return state_->options; }

CacheCounts Cache::counts() const {
  CacheCounts c;
  for (const auto& [id, g] : state_->guilds) {
    ++c.guilds;
    c.unavailable_guilds += g.unavailable ? 1 : 0;
    c.roles += g.roles.size();
    c.members += g.members.size();
  }
  c.channels = state_->channels.size();
  c.users = state_->users.size();
  c.malformed = state_->malformed;
  return c;
}

void Cache::visit_guilds(const std::function<void(const CachedGuild&)>& f) const {
  for (const auto& [id, g] : state_->guilds) f(g);
}

const CachedRole* CachedGuild::role(std::uint64_t role_id) const noexcept {
  const auto it = std::lower_bound(roles.begin(), roles.end(), role_id,
                                   [](const CachedRole& r, std::uint64_t wanted) { return r.id < wanted; });
  return it != roles.end() && it->id == role_id ? &*it : nullptr;
}

std::string_view CachedGuild::nick(const CachedMember& m) const noexcept {
  const auto it = std::lower_bound(nicks.begin(), nicks.end(), m.user_id,
                                   [](const MemberNick& n, std::uint64_t wanted) { return n.user_id < wanted; });
  return it != nicks.end() && it->user_id == m.user_id ? it->nick.view() : std::string_view{};
}

const CachedMember* CachedGuild::member(std::uint64_t user_id) const noexcept {
  const auto it = std::lower_bound(members.begin(), members.end(), user_id,
                                   [](const CachedMember& m, std::uint64_t wanted) { return m.user_id < wanted; });
  return it != members.end() && it->user_id == user_id ? &*it : nullptr;
}

}  // namespace megane
