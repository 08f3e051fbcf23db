// What the cache keeps of each Discord entity: the fields bots read, packed (snowflakes as
// integers, names as CompactString, image hashes as ImageHash, timestamps as integers). The
// fields not kept are listed in docs/sdk.md#cache. Read them through megane::Cache; pointers
// and spans stay valid until the next dispatch is applied.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <megane/sdk/cache/compact_string.hpp>
#include <megane/sdk/cache/image_hash.hpp>

namespace megane {

// One user, shared by all the guilds it is a member of (users are deduplicated).
struct CachedUser {
  std::uint64_t id = 0;
  CompactString username;
  CompactString global_name;        // empty: null
  ImageHash avatar;                 // empty: null
  std::uint16_t discriminator = 0;  // 0 is Discord's "0" (unique usernames), else legacy "0001"-"9999"
  bool bot = false;
  bool system = false;
  std::uint32_t public_flags = 0;
  std::uint32_t refs = 0;  // cached members pointing here (+1 for the bot itself); freed at 0
};

// 32 bytes: the nickname (most members have none) lives in the guild's sparse nick list.
struct CachedMember {
  static constexpr std::uint8_t deaf_bit = 1, mute_bit = 2, pending_bit = 4;

  std::uint64_t user_id = 0;           // the user: Cache::user(user_id)
  std::uint32_t joined_at_s = 0;       // Unix seconds (joined_at() adds the milliseconds)
  std::uint32_t premium_since_s = 0;   // Unix seconds; 0: null
  std::uint32_t timeout_until_s = 0;   // communication_disabled_until, Unix seconds; 0: null
  std::uint32_t roles_offset = 0;      // into CachedGuild::member_role_pool; use CachedGuild::roles_of()
  std::uint16_t joined_at_ms = 0;      // the milliseconds of joined_at
  std::uint16_t flags = 0;
  std::uint8_t role_count = 0;         // Discord caps a guild at 250 roles
  std::uint8_t bits = 0;

  std::int64_t joined_at() const noexcept { return std::int64_t{joined_at_s} * 1000 + joined_at_ms; }  // Unix ms
  bool deaf() const noexcept { return bits & deaf_bit; }
  bool mute() const noexcept { return bits & mute_bit; }
  bool pending() const noexcept { return bits & pending_bit; }
};

static_assert(sizeof(CachedMember) == 32);

struct MemberNick {
  std::uint64_t user_id = 0;
  CompactString nick;
};

struct CachedRole {
  static constexpr std::uint8_t hoist_bit = 1, managed_bit = 2, mentionable_bit = 4;

  std::uint64_t id = 0;  // @everyone's id is the guild's
  CompactString name;
  std::uint64_t permissions = 0;
  std::uint64_t bot_id = 0;  // tags.bot_id of a bot's managed role; 0: none
  std::uint32_t color = 0;
  std::uint16_t position = 0;
  std::uint8_t flags = 0;
  std::uint8_t bits = 0;

  bool hoist() const noexcept { return bits & hoist_bit; }
  bool managed() const noexcept { return bits & managed_bit; }
  bool mentionable() const noexcept { return bits & mentionable_bit; }
};

struct PermissionOverwrite {
  std::uint64_t id = 0;  // a role or a user
  std::uint64_t allow = 0;
  std::uint64_t deny = 0;
  std::uint8_t type = 0;  // 0 role, 1 member
};

// A guild channel (text, voice, category, announcement, stage, forum...). Threads and DM
// channels are not cached.
struct CachedChannel {
  std::uint64_t id = 0;
  std::uint64_t guild_id = 0;
  std::uint64_t parent_id = 0;  // the category; 0: null
  CompactString name;
  CompactString topic;          // empty: null
  std::uint32_t overwrites_offset = 0;  // into CachedGuild::overwrite_pool; use CachedGuild::overwrites_of()
  std::uint32_t bitrate = 0;            // voice; 0: absent
  std::uint32_t flags = 0;
  std::uint16_t overwrite_count = 0;
  std::uint16_t position = 0;
  std::uint16_t rate_limit_per_user = 0;
  std::uint16_t user_limit = 0;  // voice
  std::uint8_t type = 0;
  bool nsfw = false;
};

struct CachedGuild {
  std::uint64_t id = 0;
  CompactString name;
  ImageHash icon;
  bool unavailable = true;  // known only from READY or an outage: nothing else is filled in
  bool large = false;
  std::uint8_t verification_level = 0;
  std::uint8_t default_message_notifications = 0;
  std::uint8_t explicit_content_filter = 0;
  std::uint8_t mfa_level = 0;
  std::uint8_t nsfw_level = 0;
  std::uint8_t premium_tier = 0;
  std::uint64_t owner_id = 0;
  std::uint64_t afk_channel_id = 0;     // 0: null
  std::uint64_t system_channel_id = 0;  // 0: null
  std::uint64_t rules_channel_id = 0;   // 0: null
  std::int64_t joined_at_ms = 0;        // when the bot joined, Unix ms
  CompactString description;            // empty: null
  CompactString preferred_locale;
  CompactString features;               // comma-separated ("COMMUNITY,NEWS")
  std::uint32_t member_count = 0;       // from GUILD_CREATE, then +1/-1 per member add/remove
  std::uint32_t afk_timeout = 0;
  std::uint32_t premium_subscription_count = 0;
  std::uint32_t system_channel_flags = 0;

  std::vector<std::uint64_t> channel_ids;  // the guild's channels: Cache::channel(id)
  std::vector<CachedRole> roles;           // sorted by id
  std::vector<CachedMember> members;       // sorted by user id; what the member policy keeps
  std::vector<MemberNick> nicks;           // sorted by user id; only members with a nickname
  std::vector<std::uint64_t> member_role_pool;        // role ids of all members, by range
  std::vector<PermissionOverwrite> overwrite_pool;    // overwrites of all channels, by range
  std::uint32_t member_role_holes = 0;                // pool entries no member uses any more
  std::uint32_t overwrite_holes = 0;

  const CachedRole* role(std::uint64_t role_id) const noexcept;
  const CachedMember* member(std::uint64_t user_id) const noexcept;
  // The member's nickname ("" when it has none).
  std::string_view nick(const CachedMember& m) const noexcept;
  std::span<const std::uint64_t> roles_of(const CachedMember& m) const noexcept {
    return {member_role_pool.data() + m.roles_offset, m.role_count};
  }
  std::span<const PermissionOverwrite> overwrites_of(const CachedChannel& c) const noexcept {
    return {overwrite_pool.data() + c.overwrites_offset, c.overwrite_count};
  }
};

}  // namespace megane
