// fakecord's generated world: deterministic, spread over shards by (guild_id >> 22) % n like
// Discord's guilds, and serialized with the v10 field names.
#include <set>
#include <string>

#include <simdjson.h>

#include "catch.hpp"
#include "fakecord/guild_json.hpp"
#include "fakecord/message_template.hpp"
#include "fakecord/payloads.hpp"
#include "fakecord/population.hpp"
#include "fakecord/snowflake.hpp"

using namespace fakecord;

TEST_CASE("fakecord population: guilds spread over shards by (id >> 22) % n", "[fakecord]") {
  const Population pop(PopulationSpec{1000, 10, 5, 3, 42});
  for (const std::uint32_t shards : {1u, 2u, 7u, 16u}) {
    std::size_t total = 0;
    for (std::uint32_t s = 0; s < shards; ++s) {
      const auto guilds = pop.guilds_for_shard(s, shards);
      total += guilds.size();
      for (const std::uint32_t g : guilds) CHECK(((pop.guild_id(g) >> 22) % shards) == s);
      // Roughly even: no shard gets less than half or more than twice its share.
      CHECK(guilds.size() * 2 * shards >= 1000);
      CHECK(guilds.size() * shards <= 2000);
    }
    CHECK(total == 1000);
  }
}

TEST_CASE("fakecord population: ids are unique, dated snowflakes, the same for the same seed", "[fakecord]") {
  const Population a(PopulationSpec{500, 20, 8, 5, 7});
  const Population b(PopulationSpec{500, 20, 8, 5, 7});
  const Population c(PopulationSpec{500, 20, 8, 5, 8});
  std::set<std::uint64_t> ids;
  for (std::size_t g = 0; g < a.guild_count(); ++g) {
    CHECK(a.guild_id(g) == b.guild_id(g));
    ids.insert(a.guild_id(g));
    const std::uint64_t ms = snowflake_unix_ms(a.guild_id(g));
    CHECK(ms > 1'451'606'400'000ull);  // after 2016-01-01
    CHECK(ms < 1'704'067'200'000ull);  // before 2024-01-01
    CHECK(a.guild_index(a.guild_id(g)) == g);
    CHECK(a.guild_of_channel(a.channel_id(g, 3)) == g);
    CHECK(a.role_id(g, 0) == a.guild_id(g));  // @everyone
  }
  CHECK(ids.size() == 500);
  CHECK(a.guild_id(0) != c.guild_id(0));
  CHECK_FALSE(a.guild_of_channel(12345).has_value());
  CHECK(a.user(17).username == b.user(17).username);
  // Users are shared between guilds, as on Discord.
  CHECK(a.user_pool_size() < 500u * 19u);
}

TEST_CASE("fakecord population: GUILD_CREATE is valid JSON with Discord's fields", "[fakecord]") {
  const Population pop(PopulationSpec{20, 12, 14, 6, 3});
  std::string text;
  append_guild_create(text, pop, 5, 10);
  simdjson::dom::parser parser;
  simdjson::dom::element g;
  REQUIRE(parser.parse(text).get(g) == simdjson::SUCCESS);
  CHECK(std::string_view(g["id"]) == std::to_string(pop.guild_id(5)));
  CHECK(std::string_view(g["name"]).size() > 3);
  CHECK(std::string_view(g["owner_id"]).size() > 5);
  CHECK(bool(g["large"]));  // 12 members > large_threshold 10
  CHECK(bool(g["unavailable"]) == false);
  CHECK(std::uint64_t(g["member_count"]) == 12);
  CHECK(simdjson::dom::array(g["members"]).size() == 12);
  CHECK(simdjson::dom::array(g["channels"]).size() == 14);
  CHECK(simdjson::dom::array(g["roles"]).size() == 6);
  for (const char* key : {"features", "emojis", "stickers", "threads", "presences", "voice_states",
                          "stage_instances", "guild_scheduled_events", "joined_at", "premium_tier",
                          "verification_level", "system_channel_id", "preferred_locale"}) {
    CHECK(g[key].error() == simdjson::SUCCESS);
  }
  simdjson::dom::element member = simdjson::dom::array(g["members"]).at(0);
  for (const char* key : {"id", "username", "global_name", "avatar", "discriminator"}) {
    CHECK(member["user"][key].error() == simdjson::SUCCESS);
  }
  CHECK(member["roles"].is_array());
  CHECK(member["joined_at"].is_string());
  // The bot is the last member and has the managed role.
  simdjson::dom::element bot = simdjson::dom::array(g["members"]).at(11);
  CHECK(bool(bot["user"]["bot"]));
  simdjson::dom::element managed = simdjson::dom::array(g["roles"]).at(5);
  CHECK(bool(managed["managed"]));
  CHECK(std::string_view(managed["tags"]["bot_id"]) == std::to_string(pop.bot_user_id()));
  simdjson::dom::element channel = simdjson::dom::array(g["channels"]).at(1);
  CHECK(std::uint64_t(channel["type"]) == 0);
  CHECK(channel["parent_id"].is_string());
  CHECK(channel["guild_id"].error() == simdjson::NO_SUCH_FIELD);  // absent inside GUILD_CREATE
}

TEST_CASE("fakecord population: READY lists this shard's guilds as unavailable", "[fakecord]") {
  const Population pop(PopulationSpec{50, 3, 3, 3, 9});
  const std::string d = ready_d(pop, ReadyInfo{"abc", "ws://127.0.0.1:9", 2, 4, 0});
  simdjson::dom::parser parser;
  simdjson::dom::element r = parser.parse(d);
  CHECK(std::int64_t(r["v"]) == 10);
  CHECK(std::string_view(r["session_id"]) == "abc");
  CHECK(std::string_view(r["resume_gateway_url"]) == "ws://127.0.0.1:9");
  CHECK(bool(r["user"]["bot"]));
  CHECK(std::string_view(r["application"]["id"]) == std::to_string(pop.application_id()));
  simdjson::dom::array guilds = r["guilds"];
  CHECK(guilds.size() == pop.guilds_for_shard(2, 4).size());
  for (simdjson::dom::element g : guilds) CHECK(bool(g["unavailable"]));
}

TEST_CASE("fakecord population: message templates render like a freshly built payload", "[fakecord]") {
  const Population pop(PopulationSpec{40, 10, 5, 3, 1});
  const auto templates = build_message_templates(pop, 1, 2, true, 4);
  REQUIRE(templates.size() == 4);
  std::string text;
  const std::size_t n = templates[2].render(text, 123456, burst_message_id(77));
  CHECK(n == text.size());
  CHECK(n == templates[2].size(123456, burst_message_id(77)));
  simdjson::dom::parser parser;
  simdjson::dom::element p;
  REQUIRE(parser.parse(text).get(p) == simdjson::SUCCESS);
  CHECK(std::string_view(p["t"]) == "MESSAGE_CREATE");
  CHECK(std::int64_t(p["s"]) == 123456);
  CHECK(std::string_view(p["d"]["id"]) == std::to_string(burst_message_id(77)));
  const auto guild = pop.guild_index(std::stoull(std::string(std::string_view(p["d"]["guild_id"]))));
  REQUIRE(guild.has_value());
  CHECK(shard_for_guild(pop.guild_id(*guild), 2) == 1);
  CHECK(pop.guild_of_channel(std::stoull(std::string(std::string_view(p["d"]["channel_id"])))) == guild);
  CHECK(p["d"]["member"]["roles"].is_array());
  CHECK(p["d"]["author"]["id"].is_string());
  CHECK(burst_message_id(78) > burst_message_id(77));
}
