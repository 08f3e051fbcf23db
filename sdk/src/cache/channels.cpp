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

// Overwrites are read into a scratch list first: where they go in the pool depends on how many
// there are.
template <class Value>
PermissionOverwrite read_overwrite(Value& e) {
  typename json_types<std::remove_cvref_t<Value>>::object_type o;
  PermissionOverwrite ow;
  if (!as_object(e, o)) return ow;
  unsigned seen = 0;
  for_each_field(o, [&](std::string_view k, auto& value) {
    // The first of a repeated key wins, as a DOM lookup by key does.
    if (k == "id") {
      if (!(seen & 1)) ow.id = snowflake(value);
      seen |= 1;
    } else if (k == "allow") {
      if (!(seen & 2)) ow.allow = snowflake(value);  // decimal strings, like snowflakes
      seen |= 2;
    } else if (k == "deny") {
      if (!(seen & 4)) ow.deny = snowflake(value);
      seen |= 4;
    } else if (k == "type") {
      if (!(seen & 8)) ow.type = narrow<std::uint8_t>(uint(value));
      seen |= 8;
    }
  });
  return ow;
}

template <class Array>
void set_overwrites(CachedGuild& g, CachedChannel& c, Array& overwrites) {
  thread_local std::vector<PermissionOverwrite> scratch;
  scratch.clear();
  for_each_element(overwrites, [&](auto& e) {
    if (scratch.size() < 0xFFFF) scratch.push_back(read_overwrite(e));
  });
  const std::size_t n = scratch.size();
  if (n > c.overwrite_count) {
    g.overwrite_holes += c.overwrite_count;
    c.overwrites_offset = static_cast<std::uint32_t>(g.overwrite_pool.size());
    g.overwrite_pool.resize(g.overwrite_pool.size() + n);
  } else {
    g.overwrite_holes += static_cast<std::uint32_t>(c.overwrite_count - n);
  }
  std::copy(scratch.begin(), scratch.end(), g.overwrite_pool.begin() + c.overwrites_offset);
  c.overwrite_count = static_cast<std::uint16_t>(n);
}

template <class Object>
void read_channel_fields(CachedGuild& g, CachedChannel& c, Object& json) {
  for_each_field(json, [&](std::string_view k, auto& value) {
    if (k == "name") {
      c.name.assign(text(value));
    } else if (k == "type") {
      c.type = narrow<std::uint8_t>(uint(value));
    } else if (k == "position") {
      c.position = narrow<std::uint16_t>(uint(value));
    } else if (k == "parent_id") {
      c.parent_id = snowflake(value);
    } else if (k == "topic") {
      c.topic.assign(text(value));
    } else if (k == "nsfw") {
      c.nsfw = boolean(value);
    } else if (k == "rate_limit_per_user") {
      c.rate_limit_per_user = narrow<std::uint16_t>(uint(value));
    } else if (k == "bitrate") {
      c.bitrate = narrow<std::uint32_t>(uint(value));
    } else if (k == "user_limit") {
      c.user_limit = narrow<std::uint16_t>(uint(value));
    } else if (k == "flags") {
      c.flags = narrow<std::uint32_t>(uint(value));
    } else if (k == "permission_overwrites") {
      typename json_types<std::remove_cvref_t<decltype(value)>>::array_type ows;
      if (as_array(value, ows)) set_overwrites(g, c, ows);
    }
  });
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

namespace {

template <class Array>
void load_channels_from(State& state, CachedGuild& g, Array& channels, std::size_t expected) {
  release_channels(state, g);
  g.channel_ids.reserve(expected);
  for_each_element(channels, [&](auto& e) {
    typename json_types<std::remove_cvref_t<decltype(e)>>::object_type o;
    std::uint64_t id = 0;
    if (!as_object(e, o) || (id = object_id(o)) == 0) {
      ++state.malformed;
      return;
    }
    // GUILD_CREATE's channels carry no guild_id. g's own were released above, so a record
    // already on g is a duplicate in this list: listed once, the last copy wins.
    CachedChannel& c = claim_channel(state, g, id);
    read_channel_fields(g, c, o);
  });
  g.overwrite_pool.shrink_to_fit();  // grown by doubling
}

}  // namespace

void load_channels(State& state, CachedGuild& g, array channels) { load_channels_from(state, g, channels, channels.size()); }

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
