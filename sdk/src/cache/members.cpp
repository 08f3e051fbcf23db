// Guild members, kept per guild in a vector sorted by user id, with every member's role ids in
// one pool per guild (a member holds an offset and a count, not a vector of its own). What is
// kept follows CacheOptions::members.
#include <algorithm>
#include <optional>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

bool by_user(const CachedMember& a, const CachedMember& b) noexcept { return a.user_id < b.user_id; }

template <class Value>
std::uint32_t unix_seconds(Value& value) noexcept {
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

// At most 255 role ids per member (role_count is a byte; Discord caps a guild at 250 roles).
constexpr std::size_t max_member_roles = 255;

void store_roles(CachedGuild& g, CachedMember& m, const std::uint64_t* ids, std::size_t n) {
  if (n > m.role_count) {  // does not fit where the old list was: append, leave a hole
    g.member_role_holes += m.role_count;
    m.roles_offset = static_cast<std::uint32_t>(g.member_role_pool.size());
    g.member_role_pool.resize(g.member_role_pool.size() + n);
  } else {
    g.member_role_holes += static_cast<std::uint32_t>(m.role_count - n);
  }
  std::copy(ids, ids + n, g.member_role_pool.begin() + m.roles_offset);
  m.role_count = static_cast<std::uint8_t>(n);
}

// The ids are gathered first, then stored where they fit (store_roles).
template <class Array>
void set_roles(CachedGuild& g, CachedMember& m, Array& roles) {
  std::uint64_t ids[max_member_roles];
  std::size_t n = 0;
  for_each_element(roles, [&](auto& r) {
    if (n < max_member_roles) ids[n++] = snowflake(r);
  });
  store_roles(g, m, ids, n);
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

// One of a member's own fields ("user" and others are left alone).
template <class Value>
void read_member_field(CachedGuild& g, CachedMember& m, std::string_view k, Value& value) {
  if (k == "roles") {
    typename json_types<std::remove_cvref_t<Value>>::array_type roles;
    if (as_array(value, roles)) set_roles(g, m, roles);
  } else if (k == "nick") {
    set_nick(g, m.user_id, text(value));
  } else if (k == "joined_at") {
    const std::int64_t ms = std::max<std::int64_t>(timestamp_ms(value), 0);
    m.joined_at_s = narrow<std::uint32_t>(static_cast<std::uint64_t>(ms / 1000));
    m.joined_at_ms = static_cast<std::uint16_t>(ms % 1000);
  } else if (k == "premium_since") {
    m.premium_since_s = unix_seconds(value);
  } else if (k == "communication_disabled_until") {
    m.timeout_until_s = unix_seconds(value);
  } else if (k == "flags") {
    m.flags = narrow<std::uint16_t>(uint(value));
  } else if (k == "deaf") {
    set_bit(m, CachedMember::deaf_bit, boolean(value));
  } else if (k == "mute") {
    set_bit(m, CachedMember::mute_bit, boolean(value));
  } else if (k == "pending") {
    set_bit(m, CachedMember::pending_bit, boolean(value));
  }
}

// Every key present in `json` overwrites its field; the others stay (member updates may be
// partial).
template <class Object>
void read_member_fields(CachedGuild& g, CachedMember& m, Object& json) {
  for_each_field(json, [&](std::string_view k, auto& value) { read_member_field(g, m, k, value); });
}

// A member of a fresh list whose users go through the pipeline, in a single walk over the
// object: the user's fields are read where "user" stands, the member's own around it; the
// nickname, filed under the user id, is set once that is known. False (and nothing changed)
// when there is no user id.
template <class Object>
bool load_member(CachedGuild& g, Object& json, UserPipeline& users) {
  const std::size_t pool_size = g.member_role_pool.size();
  CachedMember& m = g.members.emplace_back();
  UserFields& u = users.next();
  u.id = 0;
  bool user_seen = false, nick_seen = false;
  std::string_view nick;  // lives in the DOM's string buffer
  for_each_field(json, [&](std::string_view k, auto& value) {
    if (k == "user") {
      typename json_types<std::remove_cvref_t<decltype(value)>>::object_type user;
      if (!user_seen && as_object(value, user)) read_user_fields(u, user);  // the first "user" counts
      user_seen = true;
    } else if (k == "nick") {
      nick = text(value);
      nick_seen = true;
    } else {
      read_member_field(g, m, k, value);
    }
  });
  if (u.id == 0) {
    g.members.pop_back();
    g.member_role_pool.resize(pool_size);  // its roles, appended to the pool
    return false;
  }
  m.user_id = u.id;
  if (nick_seen) set_nick(g, m.user_id, nick);
  users.push();
  return true;
}

CachedMember* find_member(CachedGuild& g, std::uint64_t user_id, std::size_t sorted_end) {
  const auto end = g.members.begin() + static_cast<std::ptrdiff_t>(sorted_end);
  const auto it = std::lower_bound(g.members.begin(), end, user_id,
                                   [](const CachedMember& m, std::uint64_t id) { return m.user_id < id; });
  return it != end && it->user_id == user_id ? &*it : nullptr;
}

// The member's "user" object and its id.
bool member_user(object json, object& user, std::uint64_t& id) {
  element e;
  if (json["user"].get(e) != simdjson::SUCCESS) return false;
  if (!as_object(e, user)) {  // not an object: no id, as snowflake(user["id"]) reads it
    id = 0;
    return true;
  }
  id = object_id(user);
  return true;
}

// A member object (with "user") into the guild: updates the member if it is among the first
// `sorted_end` members, else appends it (taking a user reference). Returns false when it has
// no user id.
template <class Object>
bool upsert_member(State& state, CachedGuild& g, Object& json, std::size_t sorted_end) {
  Object user;
  std::uint64_t user_id = 0;
  if (!member_user(json, user, user_id) || user_id == 0) return false;
  if (!keeps_member(state, user_id)) {
    update_user(state, user, user_id);  // a user cached through another guild still learns the change
    return true;
  }
  if (CachedMember* m = find_member(g, user_id, sorted_end)) {
    update_user(state, user, user_id);
    read_member_fields(g, *m, json);
    return true;
  }
  acquire_user(state, user, user_id);
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

namespace {

template <class Array>
void load_members_from(State& state, CachedGuild& g, Array& members, std::size_t expected) {
  std::vector<CachedMember> old = std::move(g.members);
  g.members.clear();
  g.member_role_pool.clear();
  g.member_role_holes = 0;
  g.nicks.clear();
  std::optional<UserPipeline> users;
  if (state.options.members == MemberCache::all) {
    g.members.reserve(expected);
    users.emplace(state);
  }
  for_each_element(members, [&](auto& m) {
    typename json_types<std::remove_cvref_t<decltype(m)>>::object_type o;
    const bool loaded = as_object(m, o) && (users ? load_member(g, o, *users) : upsert_member(state, g, o, 0));
    if (!loaded) ++state.malformed;
  });
  if (users) users->flush();
  merge_tail(state, g, 0);
  // The pool grew by doubling; a guild keeps this size until members change.
  g.members.shrink_to_fit();
  g.member_role_pool.shrink_to_fit();
  g.nicks.shrink_to_fit();
  // After the new references are taken, so users in both lists are never freed in between.
  for (const CachedMember& m : old) release_user(state, m.user_id);
}

}  // namespace

void load_members(State& state, CachedGuild& g, array members) { load_members_from(state, g, members, members.size()); }

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
