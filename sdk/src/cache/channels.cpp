// Guild channels: stored once in the cache's channel table (found by id from anywhere), listed
// by id in their guild, with their permission overwrites in a pool per guild.
#include <algorithm>

#include "cache_state.hpp"

namespace megane::cache {
namespace {

// Threads come through THREAD_* events and are not cached.
bool is_thread(std::uint64_t type) noexcept { return type == 10 || type == 11 || type == 12; }

void compact_overwrite_pool(State& state, CachedGuild& g) {
  if (g.overwrite_holes < 64 || g.overwrite_holes * 2 < g.overwrite_pool.size()) return;
  std::vector<PermissionOverwrite> pool;
  pool.reserve(g.overwrite_pool.size() - g.overwrite_holes);
  for (const std::uint64_t id : g.channel_ids) {
    CachedChannel* c = state.channels.find(id);
    if (!c) continue;
    const auto ows = g.overwrites_of(*c);
    c->overwrites_offset = static_cast<std::uint32_t>(pool.size());
    pool.insert(pool.end(), ows.begin(), ows.end());
  }
  g.overwrite_pool = std::move(pool);
  g.overwrite_holes = 0;
}

void set_overwrites(CachedGuild& g, CachedChannel& c, array overwrites) {
  const std::size_t n = std::min<std::size_t>(overwrites.size(), 0xFFFF);
  if (n > c.overwrite_count) {
    g.overwrite_holes += c.overwrite_count;
    c.overwrites_offset = static_cast<std::uint32_t>(g.overwrite_pool.size());
    g.overwrite_pool.resize(g.overwrite_pool.size() + n);
  } else {
    g.overwrite_holes += static_cast<std::uint32_t>(c.overwrite_count - n);
  }
  std::size_t i = 0;
  for (const element e : overwrites) {
    if (i == n) break;
    PermissionOverwrite& ow = g.overwrite_pool[c.overwrites_offset + i++];
    object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) {
      ow = {};
      continue;
    }
    ow.id = snowflake(o["id"]);
    ow.allow = snowflake(o["allow"]);  // decimal strings, like snowflakes
    ow.deny = snowflake(o["deny"]);
    element type;
    ow.type = o["type"].get(type) == simdjson::SUCCESS ? narrow<std::uint8_t>(uint(type)) : 0;
  }
  c.overwrite_count = static_cast<std::uint16_t>(n);
}

void read_channel_fields(CachedGuild& g, CachedChannel& c, object json) {
  for (const auto field : json) {
    const std::string_view k = field.key;
    if (k == "name") {
      c.name.assign(text(field.value));
    } else if (k == "type") {
      c.type = narrow<std::uint8_t>(uint(field.value));
    } else if (k == "position") {
      c.position = narrow<std::uint16_t>(uint(field.value));
    } else if (k == "parent_id") {
      c.parent_id = snowflake(field.value);
    } else if (k == "topic") {
      c.topic.assign(text(field.value));
    } else if (k == "nsfw") {
      c.nsfw = boolean(field.value);
    } else if (k == "rate_limit_per_user") {
      c.rate_limit_per_user = narrow<std::uint16_t>(uint(field.value));
    } else if (k == "bitrate") {
      c.bitrate = narrow<std::uint32_t>(uint(field.value));
    } else if (k == "user_limit") {
      c.user_limit = narrow<std::uint16_t>(uint(field.value));
    } else if (k == "flags") {
      c.flags = narrow<std::uint32_t>(uint(field.value));
    } else if (k == "permission_overwrites") {
      array ows;
      if (field.value.get_array().get(ows) == simdjson::SUCCESS) set_overwrites(g, c, ows);
    }
  }
}

// The channel record `id` as one of g's, created if new. Channel ids are global, so a payload
// may name a channel the cache holds for another guild (Discord never moves channels, but a
// malformed or hostile payload can): its overwrite range then points into the other guild's
// pool, and writing through it overran g's (a fuzz finding). The other guild lets it go and g
// gets a clean record.
CachedChannel& claim_channel(State& state, CachedGuild& g, std::uint64_t id) {
  bool created = false;
  CachedChannel& c = state.channels.upsert(id, &created);
  if (!created && c.guild_id == g.id) return c;
  if (!created) {
    if (CachedGuild* old = state.find_guild(c.guild_id)) {
      std::erase(old->channel_ids, id);
      old->overwrite_holes += c.overwrite_count;
    }
    c = CachedChannel{};
    c.id = id;
  }
  c.guild_id = g.id;
  g.channel_ids.push_back(id);
  return c;
}

void remove_channel(State& state, std::uint64_t id) {
  if (const CachedChannel* c = state.channels.find(id)) {
    if (CachedGuild* g = state.find_guild(c->guild_id)) g->overwrite_holes += c->overwrite_count;
  }
  state.channels.erase(id);
}

}  // namespace

void load_channels(State& state, CachedGuild& g, array channels) {
  release_channels(state, g);
  g.channel_ids.reserve(channels.size());
  for (const element e : channels) {
    object o;
    std::uint64_t id = 0;
    if (e.get_object().get(o) != simdjson::SUCCESS || (id = snowflake(o["id"])) == 0) {
      ++state.malformed;
      continue;
    }
    // GUILD_CREATE's channels carry no guild_id. g's own were released above, so a record
    // already on g is a duplicate in this list: listed once, the last copy wins.
    CachedChannel& c = claim_channel(state, g, id);
    read_channel_fields(g, c, o);
  }
  g.overwrite_pool.shrink_to_fit();  // grown by doubling
}

void release_channels(State& state, CachedGuild& g) {
  for (const std::uint64_t id : g.channel_ids) state.channels.erase(id);
  g.channel_ids = {};
  g.overwrite_pool = {};
  g.overwrite_holes = 0;
}

void apply_channel_upsert(State& state, element data) {
  object o;
  if (!state.options.channels || data.get_object().get(o) != simdjson::SUCCESS) return;
  const std::uint64_t id = snowflake(o["id"]);
  element type;
  if (o["type"].get(type) == simdjson::SUCCESS && is_thread(uint(type))) return;
  CachedGuild* g = state.available_guild(snowflake(o["guild_id"]));
  if (!g) return;  // a DM, or a guild this process does not hold
  if (id == 0) {
    ++state.malformed;
    return;
  }
  CachedChannel& c = claim_channel(state, *g, id);
  read_channel_fields(*g, c, o);
  compact_overwrite_pool(state, *g);
}

void apply_channel_delete(State& state, element data) {
  object o;
  if (!state.options.channels || data.get_object().get(o) != simdjson::SUCCESS) return;
  const std::uint64_t id = snowflake(o["id"]);
  const CachedChannel* c = state.channels.find(id);
  if (!c) return;
  CachedGuild* g = state.find_guild(c->guild_id);
  remove_channel(state, id);
  if (g) {
    std::erase(g->channel_ids, id);
    compact_overwrite_pool(state, *g);
  }
}

}  // namespace megane::cache
