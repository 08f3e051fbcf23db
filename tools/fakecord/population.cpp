#include "fakecord/population.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "fakecord/snowflake.hpp"

namespace fakecord {

namespace {

// Guilds are created between 2016 and 2023; users between 2015 and 2023. Each id gets its own
// millisecond slot (index * step + jitter), so ids are unique and sorted by index, while the
// jitter makes `(id >> 22) % n` look random, as with real guilds.
constexpr std::uint64_t guild_span_start_ms = 31'536'000'000ull;   // ~2016-01-01 since epoch
constexpr std::uint64_t guild_span_ms = 220'000'000'000ull;         // ~7 years
constexpr std::uint64_t user_span_ms = 250'000'000'000ull;          // ~8 years

constexpr std::array<const char*, 24> adjectives = {
    "quiet", "brave", "lucky", "sunny", "rapid", "cosmic", "gentle", "silver", "wild", "mellow",
    "crimson", "frosty", "golden", "hidden", "jolly", "lunar", "misty", "noble", "polar", "rusty",
    "sleepy", "tidal", "velvet", "witty"};
constexpr std::array<const char*, 24> nouns = {
    "otter", "falcon", "maple", "comet", "badger", "harbor", "pixel", "raven", "cactus", "lagoon",
    "meadow", "nebula", "orchid", "panda", "quartz", "river", "summit", "tiger", "walrus", "yeti",
    "ember", "fjord", "glacier", "koala"};
constexpr std::array<const char*, 8> topics = {
    "gaming", "music", "art", "coding", "anime", "books", "fitness", "memes"};
constexpr std::array<const char*, 10> text_names = {
    "general", "off-topic", "announcements", "help", "media", "bot-commands", "introductions",
    "showcase", "feedback", "events"};

std::string capitalized(const char* word) {
  std::string s(word);
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string hex32(std::uint64_t a, std::uint64_t b) { return fmt::format("{:016x}{:016x}", a, b); }

}  // namespace

Population::Population(const PopulationSpec& spec) : spec_(spec) {
  guild_ids_.reserve(spec_.guilds);
  index_of_.reserve(spec_.guilds);
  const std::uint64_t step = std::max<std::uint64_t>(1, guild_span_ms / std::max(1u, spec_.guilds));
  for (std::uint32_t i = 0; i < spec_.guilds; ++i) {
    const std::uint64_t ms = guild_span_start_ms + i * step + h(0x6775696c64, i) % step;
    const std::uint64_t id = make_snowflake(ms, 0, 0);
    guild_ids_.push_back(id);
    index_of_.emplace(id, i);
  }
  const std::uint64_t humans = spec_.members_per_guild > 0 ? spec_.members_per_guild - 1 : 0;
  // Half as many distinct users as member slots: users share guilds, as on Discord.
  user_pool_ = std::max<std::uint64_t>({1, humans, std::uint64_t{spec_.guilds} * humans / 2});
  bot_user_id_ = make_snowflake(guild_span_start_ms + h(0x626f74) % guild_span_ms, 0, 1);
}

std::uint64_t Population::h(std::uint64_t a, std::uint64_t b) const { return hash3(spec_.seed, a, b); }

std::optional<std::size_t> Population::guild_index(std::uint64_t guild_id) const {
  const auto it = index_of_.find(guild_id);
  if (it == index_of_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> Population::guild_of_channel(std::uint64_t channel_id) const {
  const auto guild = guild_index(make_snowflake(channel_id >> 22, 0, 0));
  if (!guild) return std::nullopt;
  const std::uint64_t low = channel_id & 0x3FFFFFu;
  if ((low >> 17) != 1 || (low & 0x1FFFFu) >= spec_.channels_per_guild) return std::nullopt;
  return guild;
}

std::vector<std::uint32_t> Population::guilds_for_shard(std::uint32_t shard,
                                                        std::uint32_t num_shards) const {
  std::vector<std::uint32_t> out;
  if (num_shards == 0) return out;
  for (std::uint32_t i = 0; i < guild_ids_.size(); ++i) {
    if (shard_for_guild(guild_ids_[i], num_shards) == shard) out.push_back(i);
  }
  return out;
}

std::string Population::guild_name(std::size_t guild) const {
  const std::uint64_t r = h(0x6e616d65, guild);
  return fmt::format("The {} {} {}", capitalized(adjectives[r % adjectives.size()]),
                     capitalized(nouns[(r >> 8) % nouns.size()]),
                     capitalized(topics[(r >> 16) % topics.size()]));
}

std::uint64_t Population::guild_owner_id(std::size_t guild) const {
  if (spec_.members_per_guild <= 1) return bot_user_id_;
  return user(member_user_index(guild, 0)).id;
}

std::uint64_t Population::channel_id(std::size_t guild, std::uint32_t k) const {
  return make_snowflake(guild_ids_[guild] >> 22, 1, k);
}

ChannelKind Population::channel_kind(std::uint32_t k) const {
  // A category heads every block of ten when there are enough channels to need one.
  if (spec_.channels_per_guild >= 3 && k % 10 == 0) return ChannelKind::category;
  if (k % 5 == 4) return ChannelKind::voice;
  return ChannelKind::text;
}

std::uint64_t Population::channel_parent(std::size_t guild, std::uint32_t k) const {
  const std::uint32_t head = k - k % 10;
  if (head == k || channel_kind(head) != ChannelKind::category) return 0;
  return channel_id(guild, head);
}

std::string Population::channel_name(std::size_t guild, std::uint32_t k) const {
  switch (channel_kind(k)) {
    case ChannelKind::category: return k == 0 ? "Text Channels" : fmt::format("Section {}", k / 10 + 1);
    case ChannelKind::voice: return fmt::format("Voice {}", k / 5 + 1);
    case ChannelKind::text: break;
  }
  // Text channels take the common names in a per-guild rotation, then numbered topic channels.
  const std::uint32_t categories_before = spec_.channels_per_guild >= 3 ? (k + 9) / 10 : 0;
  const std::uint32_t nth = k - categories_before - k / 5;  // text channels before this one
  if (nth < text_names.size()) return text_names[(nth + h(0x6368616e, guild)) % text_names.size()];
  return fmt::format("{}-{}", topics[h(0x746f7063, guild * 4096 + k) % topics.size()], k);
}

std::uint64_t Population::first_text_channel(std::size_t guild) const {
  for (std::uint32_t k = 0; k < spec_.channels_per_guild; ++k) {
    if (channel_kind(k) == ChannelKind::text) return channel_id(guild, k);
  }
  return 0;
}

std::uint64_t Population::role_id(std::size_t guild, std::uint32_t k) const {
  // As on Discord, the @everyone role's id is the guild's id.
  if (k == 0) return guild_ids_[guild];
  return make_snowflake(guild_ids_[guild] >> 22, 2, k);
}

bool Population::role_is_bot_managed(std::uint32_t k) const {
  return spec_.roles_per_guild >= 3 && k + 1 == spec_.roles_per_guild;
}

std::uint64_t Population::member_user_index(std::size_t guild, std::uint32_t j) const {
  // A contiguous run of the pool from a per-guild offset: distinct within the guild, overlapping
  // with other guilds.
  return (h(0x6d656d62, guild) + j) % user_pool_;
}

std::uint64_t Population::member_joined_ms(std::size_t guild, std::uint32_t j) const {
  const std::uint64_t created = snowflake_unix_ms(guild_ids_[guild]);
  return created + h(0x6a6f696e, guild * 65536 + j) % 50'000'000'000ull;
}

std::vector<std::uint32_t> Population::member_roles(std::size_t guild, std::uint32_t j) const {
  std::vector<std::uint32_t> roles;
  const std::uint32_t total = spec_.roles_per_guild;
  if (member_is_bot_self(j)) {
    if (total >= 3) roles.push_back(total - 1);
    return roles;
  }
  const std::uint32_t assignable = total >= 3 ? total - 2 : (total >= 2 ? total - 1 : 0);
  if (assignable == 0) return roles;
  const std::uint64_t r = h(0x726f6c65, guild * 65536 + j);
  const std::uint32_t count = static_cast<std::uint32_t>(r % 4);  // 0-3 roles
  for (std::uint32_t i = 0; i < count && i < assignable; ++i) {
    const auto k = static_cast<std::uint32_t>(1 + (r / 4 + i * 7) % assignable);
    if (std::find(roles.begin(), roles.end(), k) == roles.end()) roles.push_back(k);
  }
  return roles;
}

UserInfo Population::user(std::uint64_t user_index) const {
  const std::uint64_t r = h(0x75736572, user_index);
  const std::uint64_t step = std::max<std::uint64_t>(1, user_span_ms / user_pool_);
  UserInfo u;
  u.id = make_snowflake(user_index * step + r % step, 0, 3);
  const char* adjective = adjectives[(r >> 8) % adjectives.size()];
  const char* noun = nouns[(r >> 16) % nouns.size()];
  u.username = fmt::format("{}{}{}", adjective, noun, user_index % 1000);
  u.bot = (r >> 24) % 100 < 3;
  if (!u.bot) u.global_name = fmt::format("{} {}", capitalized(adjective), capitalized(noun));
  const std::uint64_t avatar_roll = (r >> 32) % 100;
  if (avatar_roll >= 20) {
    u.avatar = hex32(h(0x617661, user_index), r);
    if (avatar_roll >= 95) u.avatar = "a_" + u.avatar;  // animated avatar
  }
  return u;
}

UserInfo Population::bot_user() const {
  UserInfo u;
  u.id = bot_user_id_;
  u.username = "Fakecord Bot";
  u.avatar = hex32(h(0x626f7461), h(0x626f7462));
  u.bot = true;
  return u;
}

}  // namespace fakecord
