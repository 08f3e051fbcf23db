// The bot's generated world: guilds, their channels, roles and members, and a shared pool of
// users (one user can be in many guilds, as on Discord). Only the guild ids are stored; every
// other value is recomputed from (seed, guild, index) when a payload needs it, so 2,500 guilds x
// 100 members cost a few kilobytes until a GUILD_CREATE is written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace fakecord {

struct PopulationSpec {
  std::uint32_t guilds = 100;
  std::uint32_t members_per_guild = 10;  // the bot's own member is the last one
  std::uint32_t channels_per_guild = 5;
  std::uint32_t roles_per_guild = 3;  // @everyone is role 0; with >= 3 roles the last is the bot's
  std::uint64_t seed = 1;
};

struct UserInfo {
  std::uint64_t id = 0;
  std::string username;
  std::string global_name;  // empty: null (bots have none)
  std::string avatar;       // empty: null
  bool bot = false;
};

enum class ChannelKind : std::uint8_t { text = 0, voice = 2, category = 4 };

class Population {
 public:
  explicit Population(const PopulationSpec& spec);

  const PopulationSpec& spec() const noexcept { return spec_; }
  std::size_t guild_count() const noexcept { return guild_ids_.size(); }
  std::uint64_t guild_id(std::size_t guild) const { return guild_ids_[guild]; }
  std::optional<std::size_t> guild_index(std::uint64_t guild_id) const;
  // The guild a channel id of ours belongs to.
  std::optional<std::size_t> guild_of_channel(std::uint64_t channel_id) const;
  // Guild indexes with (guild_id >> 22) % num_shards == shard, in index order.
  std::vector<std::uint32_t> guilds_for_shard(std::uint32_t shard, std::uint32_t num_shards) const;

  std::string guild_name(std::size_t guild) const;
  std::uint64_t guild_owner_id(std::size_t guild) const;
  std::uint64_t channel_id(std::size_t guild, std::uint32_t k) const;
  ChannelKind channel_kind(std::uint32_t k) const;
  // The category a channel sits in (0: none).
  std::uint64_t channel_parent(std::size_t guild, std::uint32_t k) const;
  std::string channel_name(std::size_t guild, std::uint32_t k) const;
  // The first text channel (0 when the guild has none).
  std::uint64_t first_text_channel(std::size_t guild) const;
  std::uint64_t role_id(std::size_t guild, std::uint32_t k) const;
  bool role_is_bot_managed(std::uint32_t k) const;

  // Member j's user: an index into the shared pool, or the bot for the last member.
  bool member_is_bot_self(std::uint32_t j) const { return j + 1 == spec_.members_per_guild; }
  std::uint64_t member_user_index(std::size_t guild, std::uint32_t j) const;
  std::uint64_t member_joined_ms(std::size_t guild, std::uint32_t j) const;
  // Roles of member j (excluding @everyone), as role indexes.
  std::vector<std::uint32_t> member_roles(std::size_t guild, std::uint32_t j) const;

  UserInfo user(std::uint64_t user_index) const;
  UserInfo bot_user() const;
  std::uint64_t bot_user_id() const noexcept { return bot_user_id_; }
  std::uint64_t application_id() const noexcept { return bot_user_id_; }
  std::uint64_t user_pool_size() const noexcept { return user_pool_; }

 private:
  std::uint64_t h(std::uint64_t a, std::uint64_t b = 0) const;

  PopulationSpec spec_;
  std::vector<std::uint64_t> guild_ids_;
  std::unordered_map<std::uint64_t, std::uint32_t> index_of_;
  std::uint64_t user_pool_ = 1;
  std::uint64_t bot_user_id_ = 0;
};

}  // namespace fakecord
