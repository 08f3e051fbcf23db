// Guilds: READY names them (unavailable until their GUILD_CREATE), GUILD_CREATE fills them in
// whole, GUILD_UPDATE changes the guild's own fields, GUILD_DELETE either marks an outage
// (unavailable: true; the contents are dropped until the next GUILD_CREATE) or removes the
// guild (the bot left or was removed).
#include <algorithm>
#include <string>
#include <utility>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

template <class Value>
void read_features(CachedGuild& g, Value& value) {
  typename json_types<std::remove_cvref_t<Value>>::array_type features;
  if (!as_array(value, features)) return;
  std::string joined;
  for_each_element(features, [&](auto& f) {
    if (!joined.empty()) joined.push_back(',');
    joined.append(text(f));
  });
  g.features.assign(joined);
}

// One of the guild's own fields; other keys are left alone.
template <class Value>
void read_guild_field(CachedGuild& g, std::string_view k, Value& value) {
  if (k == "name") {
    g.name.assign(text(value));
  } else if (k == "icon") {
    g.icon.assign(text(value));
  } else if (k == "owner_id") {
    g.owner_id = snowflake(value);
  } else if (k == "member_count") {
    g.member_count = narrow<std::uint32_t>(uint(value));
  } else if (k == "large") {
    g.large = boolean(value);
  } else if (k == "joined_at") {
    g.joined_at_ms = timestamp_ms(value);
  } else if (k == "description") {
    g.description.assign(text(value));
  } else if (k == "preferred_locale") {
    g.preferred_locale.assign(text(value));
  } else if (k == "features") {
    read_features(g, value);
  } else if (k == "afk_channel_id") {
    g.afk_channel_id = snowflake(value);
  } else if (k == "afk_timeout") {
    g.afk_timeout = narrow<std::uint32_t>(uint(value));
  } else if (k == "system_channel_id") {
    g.system_channel_id = snowflake(value);
  } else if (k == "system_channel_flags") {
    g.system_channel_flags = narrow<std::uint32_t>(uint(value));
  } else if (k == "rules_channel_id") {
    g.rules_channel_id = snowflake(value);
  } else if (k == "verification_level") {
    g.verification_level = narrow<std::uint8_t>(uint(value));
  } else if (k == "default_message_notifications") {
    g.default_message_notifications = narrow<std::uint8_t>(uint(value));
  } else if (k == "explicit_content_filter") {
    g.explicit_content_filter = narrow<std::uint8_t>(uint(value));
  } else if (k == "mfa_level") {
    g.mfa_level = narrow<std::uint8_t>(uint(value));
  } else if (k == "nsfw_level") {
    g.nsfw_level = narrow<std::uint8_t>(uint(value));
  } else if (k == "premium_tier") {
    g.premium_tier = narrow<std::uint8_t>(uint(value));
  } else if (k == "premium_subscription_count") {
    g.premium_subscription_count = narrow<std::uint32_t>(uint(value));
  }
}

// The guild's own fields; every key present overwrites its field (GUILD_UPDATE sends them all,
// but a partial object must not erase the rest).
void read_guild_fields(CachedGuild& g, object json) {
  for_each_field(json, [&](std::string_view k, const element& value) { read_guild_field(g, k, value); });
}

// Everything under the guild (members, channels, roles), as for an outage.
void drop_contents(State& state, CachedGuild& g) {
  release_members(state, g);
  release_channels(state, g);
  g.roles = {};
}

}  // namespace

void apply_ready(State& state, element data) {
  object o;
  if (data.get_object().get(o) != simdjson::SUCCESS) return;
  element user;
  if (o["user"].get(user) == simdjson::SUCCESS) {
    const std::uint64_t id = snowflake(user["id"]);
    if (id != 0 && (!state.self_pinned || id != state.self_id)) {
      if (state.self_pinned) release_user(state, state.self_id);
      state.self_id = acquire_user(state, user);
      state.self_pinned = state.self_id != 0;
    } else {
      update_user(state, user);
    }
  }
  array guilds;
  if (o["guilds"].get_array().get(guilds) != simdjson::SUCCESS) return;
  for (const element e : guilds) {
    const std::uint64_t id = snowflake(e["id"]);
    if (id == 0) continue;
    auto [it, created] = state.guilds.try_emplace(id);
    if (created) it->second.id = id;  // unavailable until its GUILD_CREATE
  }
}

void apply_guild_create(State& state, element data) {
  object o;
  std::uint64_t id = 0;
  if (data.get_object().get(o) != simdjson::SUCCESS || (id = snowflake(o["id"])) == 0) {
    ++state.malformed;
    return;
  }
  CachedGuild& g = state.guilds.try_emplace(id).first->second;
  g.id = id;
  element flag;
  if (o["unavailable"].get(flag) == simdjson::SUCCESS && boolean(flag)) {
    drop_contents(state, g);  // still in an outage
    g.unavailable = true;
    return;
  }
  g.unavailable = false;
  read_guild_fields(g, o);
  array list;
  if (state.options.roles && o["roles"].get_array().get(list) == simdjson::SUCCESS) load_roles(g, list);
  if (state.options.channels && o["channels"].get_array().get(list) == simdjson::SUCCESS) {
    load_channels(state, g, list);
  }
  if (o["members"].get_array().get(list) == simdjson::SUCCESS) load_members(state, g, list);
}

void apply_guild_update(State& state, element data) {
  object o;
  if (data.get_object().get(o) != simdjson::SUCCESS) return;
  if (CachedGuild* g = state.available_guild(snowflake(o["id"]))) read_guild_fields(*g, o);
}

void apply_guild_delete(State& state, element data) {
  object o;
  if (data.get_object().get(o) != simdjson::SUCCESS) return;
  const std::uint64_t id = snowflake(o["id"]);
  CachedGuild* g = state.find_guild(id);
  if (!g) return;
  drop_contents(state, *g);
  element flag;
  if (o["unavailable"].get(flag) == simdjson::SUCCESS && boolean(flag)) {
    g->unavailable = true;  // an outage: the guild comes back with a GUILD_CREATE
  } else {
    state.guilds.erase(id);
  }
}

}  // namespace megane::cache
