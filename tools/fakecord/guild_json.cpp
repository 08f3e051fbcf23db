#include "fakecord/guild_json.hpp"

#include <fmt/format.h>

#include "fakecord/json_out.hpp"
#include "fakecord/snowflake.hpp"

namespace fakecord {

namespace {

// Permission sets as Discord sends them: decimal strings.
constexpr const char* everyone_permissions = "\"1071698660929\"";
constexpr const char* member_permissions = "\"1071698665025\"";
constexpr const char* moderator_permissions = "\"1099511627775\"";
constexpr const char* bot_permissions = "\"534723950656\"";

}  // namespace

void append_user(std::string& out, const UserInfo& user) {
  out.append("{\"id\":");
  json::id(out, user.id);
  out.append(",\"username\":");
  json::str(out, user.username);
  out.append(",\"discriminator\":");
  out.append(user.bot ? "\"0001\"" : "\"0\"");
  out.append(",\"global_name\":");
  if (user.global_name.empty()) {
    out.append("null");
  } else {
    json::str(out, user.global_name);
  }
  out.append(",\"avatar\":");
  if (user.avatar.empty()) {
    out.append("null");
  } else {
    json::str(out, user.avatar);
  }
  if (user.bot) out.append(",\"bot\":true");
  out.append(",\"public_flags\":0,\"avatar_decoration_data\":null,\"primary_guild\":null}");
}

void append_member(std::string& out, const Population& pop, std::size_t guild, std::uint32_t j,
                   bool with_user) {
  out.push_back('{');
  if (with_user) {
    out.append("\"user\":");
    append_user(out, pop.member_is_bot_self(j) ? pop.bot_user() : pop.user(pop.member_user_index(guild, j)));
    out.push_back(',');
  }
  out.append("\"roles\":[");
  bool first = true;
  for (const std::uint32_t k : pop.member_roles(guild, j)) {
    if (!first) out.push_back(',');
    first = false;
    json::id(out, pop.role_id(guild, k));
  }
  out.append("],\"nick\":");
  if (!pop.member_is_bot_self(j) && hash3(pop.spec().seed, 0x6e69636b, guild * 65536 + j) % 10 == 0) {
    json::str(out, fmt::format("nick{}", j));
  } else {
    out.append("null");
  }
  out.append(",\"avatar\":null,\"banner\":null,\"joined_at\":");
  json::timestamp(out, pop.member_joined_ms(guild, j));
  out.append(
      ",\"premium_since\":null,\"deaf\":false,\"mute\":false,\"flags\":0,\"pending\":false,"
      "\"communication_disabled_until\":null,\"avatar_decoration_data\":null}");
}

void append_role(std::string& out, const Population& pop, std::size_t guild, std::uint32_t k) {
  const std::uint64_t r = hash3(pop.spec().seed, 0x726c, guild * 4096 + k);
  const bool everyone = k == 0;
  const bool managed = pop.role_is_bot_managed(k);
  const std::uint32_t color = everyone || managed ? 0 : static_cast<std::uint32_t>(r & 0xFFFFFF);
  out.append("{\"id\":");
  json::id(out, pop.role_id(guild, k));
  out.append(",\"name\":");
  if (everyone) {
    out.append("\"@everyone\"");
  } else if (managed) {
    json::str(out, pop.bot_user().username);
  } else {
    json::str(out, fmt::format("Role {}", k));
  }
  out.append(",\"description\":null,\"color\":");
  json::num(out, std::uint64_t{color});
  out.append(",\"colors\":{\"primary_color\":");
  json::num(out, std::uint64_t{color});
  out.append(",\"secondary_color\":null,\"tertiary_color\":null},\"hoist\":");
  json::boolean(out, !everyone && !managed && (r >> 24) % 3 == 0);
  out.append(",\"icon\":null,\"unicode_emoji\":null,\"position\":");
  json::num(out, std::uint64_t{k});
  out.append(",\"permissions\":");
  if (everyone) {
    out.append(everyone_permissions);
  } else if (managed) {
    out.append(bot_permissions);
  } else {
    out.append(k == 1 ? moderator_permissions : member_permissions);
  }
  out.append(",\"managed\":");
  json::boolean(out, managed);
  out.append(",\"mentionable\":");
  json::boolean(out, !everyone && !managed && (r >> 28) % 2 == 0);
  if (managed) {
    out.append(",\"tags\":{\"bot_id\":");
    json::id(out, pop.bot_user_id());
    out.push_back('}');
  }
  out.append(",\"flags\":");
  out.append(managed ? "1" : "0");
  out.push_back('}');
}

void append_channel(std::string& out, const Population& pop, std::size_t guild, std::uint32_t k,
                    bool with_guild_id) {
  const ChannelKind kind = pop.channel_kind(k);
  out.append("{\"id\":");
  json::id(out, pop.channel_id(guild, k));
  out.append(",\"type\":");
  json::num(out, std::uint64_t{static_cast<std::uint8_t>(kind)});
  if (with_guild_id) {
    out.append(",\"guild_id\":");
    json::id(out, pop.guild_id(guild));
  }
  out.append(",\"name\":");
  json::str(out, pop.channel_name(guild, k));
  out.append(",\"position\":");
  json::num(out, std::uint64_t{k});
  out.append(",\"flags\":0,\"parent_id\":");
  json::id_or_null(out, pop.channel_parent(guild, k));
  out.append(",\"permission_overwrites\":[");
  if (k % 3 == 1 && pop.spec().roles_per_guild > 1) {
    // Deny @everyone from sending, allow the first role: a typical announcements setup.
    out.append("{\"id\":");
    json::id(out, pop.role_id(guild, 0));
    out.append(",\"type\":0,\"allow\":\"0\",\"deny\":\"2048\"},{\"id\":");
    json::id(out, pop.role_id(guild, 1));
    out.append(",\"type\":0,\"allow\":\"2048\",\"deny\":\"0\"}");
  }
  out.push_back(']');
  switch (kind) {
    case ChannelKind::text:
      out.append(",\"topic\":");
      if (k % 2 == 0) {
        json::str(out, fmt::format("Talk about {} here. Be nice.", pop.channel_name(guild, k)));
      } else {
        out.append("null");
      }
      out.append(",\"nsfw\":false,\"rate_limit_per_user\":0,\"last_message_id\":");
      json::id(out, make_snowflake((pop.guild_id(guild) >> 22) + 86'400'000ull * (k + 1), 4, k));
      out.append(",\"last_pin_timestamp\":null,\"default_thread_rate_limit_per_user\":0}");
      return;
    case ChannelKind::voice:
      out.append(
          ",\"nsfw\":false,\"rate_limit_per_user\":0,\"last_message_id\":null,\"bitrate\":64000,"
          "\"user_limit\":0,\"rtc_region\":null,\"video_quality_mode\":1}");
      return;
    case ChannelKind::category: out.push_back('}'); return;
  }
}

void append_guild_create(std::string& out, const Population& pop, std::size_t guild,
                         std::uint32_t large_threshold) {
  const PopulationSpec& spec = pop.spec();
  const std::uint64_t gid = pop.guild_id(guild);
  const std::uint64_t r = hash3(spec.seed, 0x67637265, guild);
  const std::uint64_t text_channel = pop.first_text_channel(guild);
  out.append("{\"id\":");
  json::id(out, gid);
  out.append(",\"name\":");
  json::str(out, pop.guild_name(guild));
  out.append(",\"icon\":");
  if (r % 4 != 0) {
    json::str(out, fmt::format("{:016x}{:016x}", hash3(spec.seed, 0x69636f6e, guild), r));
  } else {
    out.append("null");
  }
  out.append(",\"splash\":null,\"discovery_splash\":null,\"banner\":null,\"description\":null,\"owner_id\":");
  json::id(out, pop.guild_owner_id(guild));
  out.append(",\"application_id\":null,\"afk_channel_id\":null,\"afk_timeout\":300,"
             "\"widget_enabled\":false,\"widget_channel_id\":null,\"verification_level\":");
  json::num(out, r % 5);
  out.append(",\"default_message_notifications\":1,\"explicit_content_filter\":2,\"mfa_level\":0,"
             "\"nsfw_level\":0,\"premium_tier\":");
  const std::uint64_t boosts = (r >> 8) % 20 == 0 ? (r >> 16) % 30 : 0;
  json::num(out, std::uint64_t{boosts >= 14 ? 3u : boosts >= 7 ? 2u : boosts >= 2 ? 1u : 0u});
  out.append(",\"premium_subscription_count\":");
  json::num(out, boosts);
  out.append(",\"premium_progress_bar_enabled\":false,\"system_channel_id\":");
  json::id_or_null(out, text_channel);
  out.append(",\"system_channel_flags\":0,\"rules_channel_id\":null,\"public_updates_channel_id\":null,"
             "\"safety_alerts_channel_id\":null,\"vanity_url_code\":null,\"preferred_locale\":\"en-US\","
             "\"max_members\":500000,\"max_presences\":null,\"max_video_channel_users\":25,"
             "\"max_stage_video_channel_users\":50,\"features\":[");
  if ((r >> 20) % 3 == 0) out.append("\"COMMUNITY\",\"NEWS\"");
  out.append("],\"emojis\":[],\"stickers\":[],\"roles\":[");
  for (std::uint32_t k = 0; k < spec.roles_per_guild; ++k) {
    if (k > 0) out.push_back(',');
    append_role(out, pop, guild, k);
  }
  out.append("],\"joined_at\":");
  json::timestamp(out, pop.member_joined_ms(guild, spec.members_per_guild > 0 ? spec.members_per_guild - 1 : 0));
  out.append(",\"large\":");
  json::boolean(out, spec.members_per_guild > large_threshold);
  out.append(",\"unavailable\":false,\"member_count\":");
  json::num(out, std::uint64_t{spec.members_per_guild});
  out.append(",\"members\":[");
  for (std::uint32_t j = 0; j < spec.members_per_guild; ++j) {
    if (j > 0) out.push_back(',');
    append_member(out, pop, guild, j, true);
  }
  out.append("],\"channels\":[");
  for (std::uint32_t k = 0; k < spec.channels_per_guild; ++k) {
    if (k > 0) out.push_back(',');
    append_channel(out, pop, guild, k, false);
  }
  out.append("],\"threads\":[],\"presences\":[],\"voice_states\":[],\"stage_instances\":[],"
             "\"guild_scheduled_events\":[],\"soundboard_sounds\":[],\"incidents_data\":null,"
             "\"embedded_activities\":[],\"activity_instances\":[],\"lazy\":true}");
}

}  // namespace fakecord
