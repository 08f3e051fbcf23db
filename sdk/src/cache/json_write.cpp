// Cached entries back to Discord-shaped JSON (API v10 field names, snowflakes and permissions
// as strings, null for absent values), so a process that fetches them can build the same
// objects it would from the gateway. Only the fields the cache keeps are written.
#include <algorithm>
#include <ctime>
#include <iterator>

#include <fmt/format.h>

#include "cache_state.hpp"

namespace megane {
namespace {

void str(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void str_or_null(std::string& out, std::string_view s) {
  if (s.empty()) {
    out.append("null");
  } else {
    str(out, s);
  }
}

void hash_or_null(std::string& out, const ImageHash& h) {
  if (h.empty()) {
    out.append("null");
    return;
  }
  out.push_back('"');
  const std::size_t start = out.size();
  h.append_to(out);
  // A hash of no known shape is kept as text and may hold anything: escape it then.
  const bool plain = std::all_of(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), [](char c) {
    return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
  });
  if (!plain) {
    const std::string raw = out.substr(start);
    out.resize(start - 1);
    str(out, raw);
    return;
  }
  out.push_back('"');
}

void id(std::string& out, std::uint64_t v) { fmt::format_to(std::back_inserter(out), "\"{}\"", v); }
void id_or_null(std::string& out, std::uint64_t v) {
  if (v == 0) {
    out.append("null");
  } else {
    id(out, v);
  }
}
void num(std::string& out, std::uint64_t v) { fmt::format_to(std::back_inserter(out), "{}", v); }
void boolean(std::string& out, bool b) { out.append(b ? "true" : "false"); }

// Discord's own timestamp shape: microseconds and an explicit +00:00.
void timestamp(std::string& out, std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  const std::int64_t ms = unix_ms - static_cast<std::int64_t>(secs) * 1000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000+00:00\"", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}
void timestamp_or_null(std::string& out, std::int64_t unix_ms) {
  if (unix_ms == 0) {
    out.append("null");
  } else {
    timestamp(out, unix_ms);
  }
}

void user_object(std::string& out, const CachedUser& u) {
  out.append("{\"id\":");
  id(out, u.id);
  out.append(",\"username\":");
  str(out, u.username);
  out.append(",\"discriminator\":");
  if (u.discriminator == 0) {
    out.append("\"0\"");
  } else {
    fmt::format_to(std::back_inserter(out), "\"{:04}\"", u.discriminator);
  }
  out.append(",\"global_name\":");
  str_or_null(out, u.global_name);
  out.append(",\"avatar\":");
  hash_or_null(out, u.avatar);
  if (u.bot) out.append(",\"bot\":true");
  if (u.system) out.append(",\"system\":true");
  out.append(",\"public_flags\":");
  num(out, u.public_flags);
  out.push_back('}');
}

void member_object(std::string& out, const Cache::State& s, const CachedGuild& g, const CachedMember& m) {
  out.append("{\"user\":");
  if (const CachedUser* u = s.users.find(m.user_id)) {
    user_object(out, *u);
  } else {
    out.append("{\"id\":");
    id(out, m.user_id);
    out.push_back('}');
  }
  out.append(",\"nick\":");
  str_or_null(out, g.nick(m));
  out.append(",\"roles\":[");
  bool first = true;
  for (const std::uint64_t r : g.roles_of(m)) {
    if (!first) out.push_back(',');
    first = false;
    id(out, r);
  }
  out.append("],\"joined_at\":");
  timestamp_or_null(out, m.joined_at());
  out.append(",\"premium_since\":");
  timestamp_or_null(out, std::int64_t{m.premium_since_s} * 1000);
  out.append(",\"communication_disabled_until\":");
  timestamp_or_null(out, std::int64_t{m.timeout_until_s} * 1000);
  out.append(",\"deaf\":");
  boolean(out, m.deaf());
  out.append(",\"mute\":");
  boolean(out, m.mute());
  out.append(",\"pending\":");
  boolean(out, m.pending());
  out.append(",\"flags\":");
  num(out, m.flags);
  out.push_back('}');
}

void role_object(std::string& out, const CachedRole& r) {
  out.append("{\"id\":");
  id(out, r.id);
  out.append(",\"name\":");
  str(out, r.name);
  out.append(",\"color\":");
  num(out, r.color);
  out.append(",\"hoist\":");
  boolean(out, r.hoist());
  out.append(",\"position\":");
  num(out, r.position);
  out.append(",\"permissions\":");
  id(out, r.permissions);
  out.append(",\"managed\":");
  boolean(out, r.managed());
  out.append(",\"mentionable\":");
  boolean(out, r.mentionable());
  if (r.bot_id != 0) {
    out.append(",\"tags\":{\"bot_id\":");
    id(out, r.bot_id);
    out.push_back('}');
  }
  out.append(",\"flags\":");
  num(out, r.flags);
  out.push_back('}');
}

bool is_voice(std::uint8_t type) noexcept { return type == 2 || type == 13; }

void channel_object(std::string& out, const CachedGuild* g, const CachedChannel& c) {
  out.append("{\"id\":");
  id(out, c.id);
  out.append(",\"type\":");
  num(out, c.type);
  out.append(",\"guild_id\":");
  id(out, c.guild_id);
  out.append(",\"name\":");
  str(out, c.name);
  out.append(",\"position\":");
  num(out, c.position);
  out.append(",\"flags\":");
  num(out, c.flags);
  out.append(",\"parent_id\":");
  id_or_null(out, c.parent_id);
  out.append(",\"permission_overwrites\":[");
  if (g) {
    bool first = true;
    for (const PermissionOverwrite& ow : g->overwrites_of(c)) {
      if (!first) out.push_back(',');
      first = false;
      out.append("{\"id\":");
      id(out, ow.id);
      out.append(",\"type\":");
      num(out, ow.type);
      out.append(",\"allow\":");
      id(out, ow.allow);
      out.append(",\"deny\":");
      id(out, ow.deny);
      out.push_back('}');
    }
  }
  out.append("],\"nsfw\":");
  boolean(out, c.nsfw);
  out.append(",\"rate_limit_per_user\":");
  num(out, c.rate_limit_per_user);
  // Discord's fields by channel type; what the cache holds beyond them is written too, so a
  // snapshot (snapshot_write.cpp) reads back into the same cache.
  if (is_voice(c.type) || c.bitrate != 0 || c.user_limit != 0) {
    out.append(",\"bitrate\":");
    num(out, c.bitrate);
    out.append(",\"user_limit\":");
    num(out, c.user_limit);
  }
  if (!is_voice(c.type) || !c.topic.empty()) {
    out.append(",\"topic\":");
    str_or_null(out, c.topic);
  }
  out.push_back('}');
}

void guild_object(std::string& out, const Cache::State& s, const CachedGuild& g, bool include_members) {
  out.append("{\"id\":");
  id(out, g.id);
  if (g.unavailable) {
    out.append(",\"unavailable\":true}");
    return;
  }
  out.append(",\"name\":");
  str(out, g.name);
  out.append(",\"icon\":");
  hash_or_null(out, g.icon);
  out.append(",\"description\":");
  str_or_null(out, g.description);
  out.append(",\"owner_id\":");
  id(out, g.owner_id);
  out.append(",\"afk_channel_id\":");
  id_or_null(out, g.afk_channel_id);
  out.append(",\"afk_timeout\":");
  num(out, g.afk_timeout);
  out.append(",\"verification_level\":");
  num(out, g.verification_level);
  out.append(",\"default_message_notifications\":");
  num(out, g.default_message_notifications);
  out.append(",\"explicit_content_filter\":");
  num(out, g.explicit_content_filter);
  out.append(",\"mfa_level\":");
  num(out, g.mfa_level);
  out.append(",\"nsfw_level\":");
  num(out, g.nsfw_level);
  out.append(",\"premium_tier\":");
  num(out, g.premium_tier);
  out.append(",\"premium_subscription_count\":");
  num(out, g.premium_subscription_count);
  out.append(",\"system_channel_id\":");
  id_or_null(out, g.system_channel_id);
  out.append(",\"system_channel_flags\":");
  num(out, g.system_channel_flags);
  out.append(",\"rules_channel_id\":");
  id_or_null(out, g.rules_channel_id);
  out.append(",\"preferred_locale\":");
  str(out, g.preferred_locale);
  out.append(",\"features\":[");
  std::string_view features = g.features;
  while (!features.empty()) {
    const std::size_t comma = features.find(',');
    str(out, features.substr(0, comma));
    if (comma == std::string_view::npos) break;
    out.push_back(',');
    features.remove_prefix(comma + 1);
  }
  out.append("],\"joined_at\":");
  timestamp_or_null(out, g.joined_at_ms);
  out.append(",\"large\":");
  boolean(out, g.large);
  out.append(",\"unavailable\":false,\"member_count\":");
  num(out, g.member_count);
  out.append(",\"roles\":[");
  for (std::size_t i = 0; i < g.roles.size(); ++i) {
    if (i > 0) out.push_back(',');
    role_object(out, g.roles[i]);
  }
  out.append("],\"channels\":[");
  bool first = true;
  for (const std::uint64_t cid : g.channel_ids) {
    const CachedChannel* c = s.channels.find(cid);
    if (!c) continue;
    if (!first) out.push_back(',');
    first = false;
    channel_object(out, &g, *c);
  }
  out.push_back(']');
  if (include_members) {
    out.append(",\"members\":[");
    for (std::size_t i = 0; i < g.members.size(); ++i) {
      if (i > 0) out.push_back(',');
      member_object(out, s, g, g.members[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

}  // namespace

std::optional<std::string> Cache::guild_json(std::uint64_t guild_id, bool include_members) const {
  const CachedGuild* g = state_->find_guild(guild_id);
  if (!g) return std::nullopt;
  std::string out;
  out.reserve(include_members ? 512 + g->members.size() * 300 : 4096);
  guild_object(out, *state_, *g, include_members);
  return out;
}

std::optional<std::string> Cache::channel_json(std::uint64_t channel_id) const {
  const CachedChannel* c = state_->channels.find(channel_id);
  if (!c) return std::nullopt;
  std::string out;
  channel_object(out, state_->find_guild(c->guild_id), *c);
  return out;
}

std::optional<std::string> Cache::user_json(std::uint64_t user_id) const {
  const CachedUser* u = state_->users.find(user_id);
  if (!u) return std::nullopt;
  std::string out;
  user_object(out, *u);
  return out;
}

std::optional<std::string> Cache::member_json(std::uint64_t guild_id, std::uint64_t user_id) const {
  const CachedGuild* g = state_->find_guild(guild_id);
  const CachedMember* m = g ? g->member(user_id) : nullptr;
  if (!m) return std::nullopt;
  std::string out;
  member_object(out, *state_, *g, *m);
  return out;
}

}  // namespace megane
