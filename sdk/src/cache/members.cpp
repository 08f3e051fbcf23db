// Guild members, kept per guild in a vector sorted by user id, with every member's role ids in
// one pool per guild (a member holds an offset and a count, not a vector of its own). What is
// kept follows CacheOptions::members.
#include <algorithm>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

bool by_user(const CachedMember& a, const CachedMember& b) noexcept { return a.user_id < b.user_id; }

std::uint32_t unix_seconds(element value) noexcept {
  const std::int64_t ms = timestamp_ms(value);
  return ms <= 0 ? 0 : narrow<std::uint32_t>(static_cast<std::uint64_t>(ms / 1000));
}

// Rewrites the pool without holes once more than half of it is dead.
void compact_role_pool(CachedGuild& g) {
  if (g.member_role_holes < 256 || g.member_role_holes * 2 < g.member_role_pool.size()) return;
  std::vector<std::uint64_t> pool;
  pool.reserve(g.member_role_pool.size() - g.member_role_holes);
  for (CachedMember& m : g.members) {
    const auto roles = g.roles_of(m);
    m.roles_offset = static_cast<std::uint32_t>(pool.size());
    pool.insert(pool.end(), roles.begin(), roles.end());
  }
  g.member_role_pool = std::move(pool);
  g.member_role_holes = 0;
}

void set_roles(CachedGuild& g, CachedMember& m, array roles) {
  const std::size_t n = std::min<std::size_t>(roles.size(), 255);
  if (n > m.role_count) {  // does not fit where the old list was: append, leave a hole
    g.member_role_holes += m.role_count;
    m.roles_offset = static_cast<std::uint32_t>(g.member_role_pool.size());
    g.member_role_pool.resize(g.member_role_pool.size() + n);
  } else {
    g.member_role_holes += static_cast<std::uint32_t>(m.role_count - n);
  }
  std::size_t i = 0;
  for (const element r : roles) {
    if (i == n) break;
    g.member_role_pool[m.roles_offset + i++] = snowflake(r);
  }
  m.role_count = static_cast<std::uint8_t>(n);
}

// Nicknames are rare: a sorted side list instead of 16 bytes in every member.
void set_nick(CachedGuild& g, std::uint64_t user_id, std::string_view nick) {
  auto it = std::lower_bound(g.nicks.begin(), g.nicks.end(), user_id,
                             [](const MemberNick& n, std::uint64_t wanted) { return n.user_id < wanted; });
  const bool found = it != g.nicks.end() && it->user_id == user_id;
  if (nick.empty()) {
    if (found) g.nicks.erase(it);
  } else if (found) {
    it->nick.assign(nick);
  } else {
    g.nicks.insert(it, MemberNick{user_id, CompactString(nick)});
  }
}

void set_bit(CachedMember& m, std::uint8_t bit, bool on) noexcept {
  m.bits = static_cast<std::uint8_t>(on ? m.bits | bit : m.bits & ~bit);
}

// Every key present in `json` overwrites its field; the others stay (member updates may be
// partial).
void read_member_fields(CachedGuild& g, CachedMember& m, object json) {
  for (const auto field : json) {
    const std::string_view k = field.key;
    if (k == "roles") {
      array roles;
      if (field.value.get_array().get(roles) == simdjson::SUCCESS) set_roles(g, m, roles);
    } else if (k == "nick") {
      set_nick(g, m.user_id, text(field.value));
    } else if (k == "joined_at") {
      const std::int64_t ms = std::max<std::int64_t>(timestamp_ms(field.value), 0);
      m.joined_at_s = narrow<std::uint32_t>(static_cast<std::uint64_t>(ms / 1000));
      m.joined_at_ms = static_cast<std::uint16_t>(ms % 1000);
    } else if (k == "premium_since") {
      m.premium_since_s = unix_seconds(field.value);
    } else if (k == "communication_disabled_until") {
      m.timeout_until_s = unix_seconds(field.value);
    } else if (k == "flags") {
      m.flags = narrow<std::uint16_t>(uint(field.value));
    } else if (k == "deaf") {
      set_bit(m, CachedMember::deaf_bit, boolean(field.value));
    } else if (k == "mute") {
      set_bit(m, CachedMember::mute_bit, boolean(field.value));
    } else if (k == "pending") {
      set_bit(m, CachedMember::pending_bit, boolean(field.value));
    }
  }
}

CachedMember* find_member(CachedGuild& g, std::uint64_t user_id, std::size_t sorted_end) {
  const auto end = g.members.begin() + static_cast<std::ptrdiff_t>(sorted_end);
  const auto it = std::lower_bound(g.members.begin(), end, user_id,
                                   [](const CachedMember& m, std::uint64_t id) { return m.user_id < id; });
  return it != end && it->user_id == user_id ? &*it : nullptr;
}

// A member object (with "user") into the guild: updates the member if it is among the first
// `sorted_end` members, else appends it (taking a user reference). Returns false when it has
// no user id.
bool upsert_member(State& state, CachedGuild& g, object json, std::size_t sorted_end) {
  element user;
  if (json["user"].get(user) != simdjson::SUCCESS) return false;
  const std::uint64_t user_id = snowflake(user["id"]);
  if (user_id == 0) return false;
  if (!keeps_member(state, user_id)) {
    update_user(state, user);  // a user cached through another guild still learns the change
    return true;
  }
  if (CachedMember* m = find_member(g, user_id, sorted_end)) {
    update_user(state, user);
    read_member_fields(g, *m, json);
    return true;
  }
  acquire_user(state, user);
  CachedMember& m = g.members.emplace_back();
  m.user_id = user_id;
  read_member_fields(g, m, json);
  return true;
}

// Sorts the members appended after `sorted_end` into place; a user listed twice keeps its
// last entry.
void merge_tail(State& state, CachedGuild& g, std::size_t sorted_end) {
  const auto mid = g.members.begin() + static_cast<std::ptrdiff_t>(sorted_end);
  std::stable_sort(mid, g.members.end(), by_user);
  std::inplace_merge(g.members.begin(), mid, g.members.end(), by_user);
  auto out = g.members.begin();
  for (auto it = g.members.begin(); it != g.members.end(); ++it) {
    if (out != g.members.begin() && (out - 1)->user_id == it->user_id) {
      g.member_role_holes += (out - 1)->role_count;
      release_user(state, it->user_id);
      *(out - 1) = std::move(*it);
    } else {
      if (out != it) *out = std::move(*it);
      ++out;
    }
  }
  g.members.erase(out, g.members.end());
}

}  // namespace

bool keeps_member(const State& state, std::uint64_t user_id) {
  switch (state.options.members) {
    case MemberCache::all: return true;
    case MemberCache::own: return user_id == state.self_id;
    case MemberCache::none: return false;
  }
  return false;
}

void load_members(State& state, CachedGuild& g, array members) {
  std::vector<CachedMember> old = std::move(g.members);
  g.members.clear();
  g.member_role_pool.clear();
  g.member_role_holes = 0;
  g.nicks.clear();
  if (state.options.members == MemberCache::all) g.members.reserve(members.size());
  for (const element m : members) {
    object o;
    if (m.get_object().get(o) != simdjson::SUCCESS || !upsert_member(state, g, o, 0)) ++state.malformed;
  }
  merge_tail(state, g, 0);
  // The pool grew by doubling; a guild keeps this size until members change.
  g.members.shrink_to_fit();
  g.member_role_pool.shrink_to_fit();
  g.nicks.shrink_to_fit();
  // After the new references are taken, so users in both lists are never freed in between.
  for (const CachedMember& m : old) release_user(state, m.user_id);
}

void release_members(State& state, CachedGuild& g) {
  for (const CachedMember& m : g.members) release_user(state, m.user_id);
  g.members = {};
  g.nicks = {};
  g.member_role_pool = {};
  g.member_role_holes = 0;
}

void strip_role_from_members(CachedGuild& g, std::uint64_t role_id) {
  for (CachedMember& m : g.members) {
    auto* first = g.member_role_pool.data() + m.roles_offset;
    auto* last = first + m.role_count;
    auto* kept = std::remove(first, last, role_id);
    if (kept != last) {
      g.member_role_holes += static_cast<std::uint32_t>(last - kept);
      m.role_count = static_cast<std::uint8_t>(kept - first);
    }
  }
}

void apply_member_add(State& state, element data) {
  object o;
  CachedGuild* g = nullptr;
  if (data.get_object().get(o) != simdjson::SUCCESS || !(g = state.available_guild(snowflake(o["guild_id"])))) return;
  ++g->member_count;
  const std::size_t sorted = g->members.size();
  if (!upsert_member(state, *g, o, sorted)) ++state.malformed;
  merge_tail(state, *g, sorted);
  compact_role_pool(*g);
}

void apply_member_update(State& state, element data) {
  // Discord sends it for members the cache may not hold yet: then it adds them (the payload
  // has every member field), without touching member_count.
  object o;
  CachedGuild* g = nullptr;
  if (data.get_object().get(o) != simdjson::SUCCESS || !(g = state.available_guild(snowflake(o["guild_id"])))) return;
  const std::size_t sorted = g->members.size();
  if (!upsert_member(state, *g, o, sorted)) ++state.malformed;
  merge_tail(state, *g, sorted);
  compact_role_pool(*g);
}

void apply_member_remove(State& state, element data) {
  object o;
  CachedGuild* g = nullptr;
  if (data.get_object().get(o) != simdjson::SUCCESS || !(g = state.available_guild(snowflake(o["guild_id"])))) return;
  if (g->member_count > 0) --g->member_count;
  const std::uint64_t user_id = snowflake(o["user"]["id"]);
  if (user_id == 0) {
    ++state.malformed;
    return;
  }
  if (CachedMember* m = find_member(*g, user_id, g->members.size())) {
    g->member_role_holes += m->role_count;
    set_nick(*g, user_id, {});
    g->members.erase(g->members.begin() + (m - g->members.data()));
    release_user(state, user_id);
    compact_role_pool(*g);
  }
}

void apply_members_chunk(State& state, element data) {
  object o;
  array members;
  CachedGuild* g = nullptr;
  if (data.get_object().get(o) != simdjson::SUCCESS || !(g = state.available_guild(snowflake(o["guild_id"]))) ||
      o["members"].get_array().get(members) != simdjson::SUCCESS) {
    return;
  }
  const std::size_t sorted = g->members.size();
  for (const element m : members) {
    object mo;
    if (m.get_object().get(mo) != simdjson::SUCCESS || !upsert_member(state, *g, mo, sorted)) ++state.malformed;
  }
  merge_tail(state, *g, sorted);
  compact_role_pool(*g);
}

}  // namespace megane::cache
