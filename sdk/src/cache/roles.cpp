// Guild roles, kept in the guild sorted by id (a guild has at most 250).
#include <algorithm>
#include <charconv>
#include <iterator>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

// Permissions arrive as a decimal string ("1071698660929").
template <class Value>
std::uint64_t permission_bits(Value& value) noexcept { return snowflake(value); }

void set_bit(CachedRole& r, std::uint8_t bit, bool on) noexcept {
  r.bits = static_cast<std::uint8_t>(on ? r.bits | bit : r.bits & ~bit);
}

std::uint64_t tags_bot_id(element value) noexcept {
  object tags;
  return as_object(value, tags) ? snowflake(tags["bot_id"]) : 0;
}

template <class Object>
void read_role_fields(CachedRole& role, Object& json) {
  for_each_field(json, [&](std::string_view k, auto& value) {
    if (k == "name") {
      role.name.assign(text(value));
    } else if (k == "permissions") {
      role.permissions = permission_bits(value);
    } else if (k == "color") {
      role.color = narrow<std::uint32_t>(uint(value));
    } else if (k == "position") {
      role.position = narrow<std::uint16_t>(uint(value));
    } else if (k == "hoist") {
      set_bit(role, CachedRole::hoist_bit, boolean(value));
    } else if (k == "managed") {
      set_bit(role, CachedRole::managed_bit, boolean(value));
    } else if (k == "mentionable") {
      set_bit(role, CachedRole::mentionable_bit, boolean(value));
    } else if (k == "flags") {
      role.flags = narrow<std::uint8_t>(uint(value));
    } else if (k == "tags") {
      role.bot_id = tags_bot_id(value);
    }
  });
}

bool by_id(const CachedRole& a, const CachedRole& b) noexcept { return a.id < b.id; }

}  // namespace

namespace {

template <class Array>
void load_roles_from(CachedGuild& g, Array& roles, std::size_t expected) {
  g.roles.clear();
  g.roles.reserve(expected);
  for_each_element(roles, [&](auto& r) {
    typename json_types<std::remove_cvref_t<decltype(r)>>::object_type o;
    if (!as_object(r, o)) return;
    CachedRole role;
    role.id = object_id(o);
    if (role.id == 0) return;
    read_role_fields(role, o);
    g.roles.push_back(std::move(role));
  });
  // Lookups binary-search by id and updates change the first match, so a role listed twice
  // (Discord never does; a malformed payload can, found by fuzzing) would leave a stale copy
  // that counts and shows: keep one, the last listed, as members do.
  std::stable_sort(g.roles.begin(), g.roles.end(), by_id);
  auto out = g.roles.begin();
  for (auto it = g.roles.begin(); it != g.roles.end(); ++it) {
    if (std::next(it) != g.roles.end() && std::next(it)->id == it->id) continue;
    if (out != it) *out = std::move(*it);
    ++out;
  }
  g.roles.erase(out, g.roles.end());
}

}  // namespace

void load_roles(CachedGuild& g, array roles) { load_roles_from(g, roles, roles.size()); }

void apply_role_upsert(State& state, element data) {
  object o, ro;
  CachedGuild* g = nullptr;
  if (!state.options.roles || data.get_object().get(o) != simdjson::SUCCESS ||
      !(g = state.available_guild(snowflake(o["guild_id"])))) {
    return;
  }
  std::uint64_t id = 0;
  if (o["role"].get_object().get(ro) != simdjson::SUCCESS || (id = snowflake(ro["id"])) == 0) {
    ++state.malformed;
    return;
  }
  auto it = std::lower_bound(g->roles.begin(), g->roles.end(), id,
                             [](const CachedRole& r, std::uint64_t v) { return r.id < v; });
  if (it == g->roles.end() || it->id != id) {
    it = g->roles.insert(it, CachedRole{});
    it->id = id;
  }
  read_role_fields(*it, ro);
}

void apply_role_delete(State& state, element data) {
  object o;
  CachedGuild* g = nullptr;
  if (!state.options.roles || data.get_object().get(o) != simdjson::SUCCESS ||
      !(g = state.available_guild(snowflake(o["guild_id"])))) {
    return;
  }
  const std::uint64_t id = snowflake(o["role_id"]);
  std::erase_if(g->roles, [&](const CachedRole& r) { return r.id == id; });
  // Discord sends no member updates for a deleted role: members lose it here.
  strip_role_from_members(*g, id);
}

}  // namespace megane::cache
