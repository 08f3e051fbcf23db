#include "fakecord/message_template.hpp"

#include <cstring>

#include <fmt/format.h>

#include "fakecord/guild_json.hpp"
#include "fakecord/json_out.hpp"
#include "fakecord/snowflake.hpp"

namespace fakecord {

namespace {

constexpr std::uint64_t burst_epoch_ms = 283'000'000'000ull;  // ~2023-12 since the Discord epoch

constexpr const char* sentences[] = {
    "Has anyone tried the new update yet? The patch notes look huge.",
    "I think the raid tonight starts at 9, bring potions and snacks.",
    "Check out this build, it finally compiles without warnings!",
    "Reminder: the community meeting is moved to Thursday this week.",
    "lol that clip from yesterday is still the funniest thing ever",
    "Can a moderator pin the rules? New folks keep asking the same questions.",
};

std::size_t digit_count(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

std::string make_tail(const Population& pop, std::size_t guild, std::uint32_t variant,
                      bool message_content) {
  const PopulationSpec& spec = pop.spec();
  const std::uint64_t r = hash3(spec.seed, 0x6d7367, guild * 64 + variant);
  const std::uint32_t humans = spec.members_per_guild > 1 ? spec.members_per_guild - 1 : 0;
  const std::uint32_t author_j = humans > 0 ? static_cast<std::uint32_t>(r % humans) : 0;
  const std::uint32_t mention_j = humans > 1 ? (author_j + 1) % humans : author_j;
  const UserInfo author = humans > 0 ? pop.user(pop.member_user_index(guild, author_j)) : pop.bot_user();
  const std::uint64_t channel = pop.first_text_channel(guild);
  const std::uint64_t sent_ms = discord_epoch_ms + burst_epoch_ms + r % 86'400'000ull;

  std::string content;
  std::string out = "\",\"type\":0,\"content\":";
  if (message_content) {
    content = fmt::format("<@{}> {}", pop.user(pop.member_user_index(guild, mention_j)).id,
                          sentences[r % std::size(sentences)]);
  }
  json::str(out, content);
  out.append(",\"channel_id\":");
  json::id(out, channel);
  out.append(",\"author\":");
  append_user(out, author);
  out.append(",\"attachments\":[],\"embeds\":[");
  if (message_content && variant % 4 == 0) {  // one message in four has an embed
    out.append("{\"type\":\"rich\",\"title\":");
    json::str(out, fmt::format("Patch notes {}.{}", r % 9 + 1, (r >> 4) % 20));
    out.append(",\"description\":");
    json::str(out, sentences[(r >> 12) % std::size(sentences)]);
    out.append(",\"color\":");
    json::num(out, (r >> 20) & 0xFFFFFF);
    out.append(",\"fields\":[{\"name\":\"Status\",\"value\":\"Live\",\"inline\":true},"
               "{\"name\":\"Region\",\"value\":\"EU\",\"inline\":true}],\"footer\":{\"text\":\"fakecord\"}}");
  }
  out.append("],\"mentions\":[");
  if (humans > 1 || message_content) {
    const std::uint32_t j = humans > 0 ? mention_j : spec.members_per_guild - 1;
    UserInfo mentioned = humans > 0 ? pop.user(pop.member_user_index(guild, j)) : pop.bot_user();
    append_user(out, mentioned);
    out.pop_back();
    out.append(",\"member\":");
    append_member(out, pop, guild, j, false);
    out.push_back('}');
  }
  out.append("],\"mention_roles\":[],\"mention_everyone\":false,\"pinned\":false,\"tts\":false,\"timestamp\":");
  json::timestamp(out, sent_ms);
  out.append(",\"edited_timestamp\":null,\"flags\":0,\"components\":[],\"nonce\":");
  json::str(out, fmt::format("{}", r % 100'000'000'000'000'000ull));
  out.append(",\"guild_id\":");
  json::id(out, pop.guild_id(guild));
  out.append(",\"member\":");
  append_member(out, pop, guild, author_j, false);
  out.append("}}");
  return out;
}

}  // namespace

std::size_t MessageTemplate::size(std::uint64_t seq, std::uint64_t message_id) const {
  return head.size() + digit_count(seq) + mid.size() + digit_count(message_id) + tail_.size();
}

void MessageTemplate::render_to(char* dst, std::uint64_t seq, std::uint64_t message_id) const {
  std::memcpy(dst, head.data(), head.size());
  dst += head.size();
  dst += json::digits(dst, seq);
  std::memcpy(dst, mid.data(), mid.size());
  dst += mid.size();
  dst += json::digits(dst, message_id);
  std::memcpy(dst, tail_.data(), tail_.size());
}

std::size_t MessageTemplate::render(std::string& out, std::uint64_t seq, std::uint64_t message_id) const {
  const std::size_t n = size(seq, message_id);
  const std::size_t at = out.size();
  out.resize(at + n);
  render_to(out.data() + at, seq, message_id);
  return n;
}

std::vector<MessageTemplate> build_message_templates(const Population& pop, std::uint32_t shard,
                                                     std::uint32_t num_shards, bool message_content,
                                                     std::size_t variants) {
  std::vector<MessageTemplate> out;
  const std::vector<std::uint32_t> guilds = pop.guilds_for_shard(shard, num_shards);
  std::vector<std::uint32_t> usable;
  for (const std::uint32_t g : guilds) {
    if (pop.first_text_channel(g) != 0) usable.push_back(g);
  }
  if (usable.empty()) return out;
  out.reserve(variants);
  for (std::size_t v = 0; v < variants; ++v) {
    out.emplace_back(make_tail(pop, usable[v % usable.size()], static_cast<std::uint32_t>(v), message_content));
  }
  return out;
}

std::uint64_t burst_message_id(std::uint64_t counter) {
  return make_snowflake(burst_epoch_ms + counter / 4096, 0, static_cast<std::uint32_t>(counter % 4096));
}

}  // namespace fakecord
