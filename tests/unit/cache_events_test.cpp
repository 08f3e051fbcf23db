// The cache through scripted dispatch sequences: every entity created, updated and deleted,
// unavailable guilds, member chunks, users shared by guilds, the policies, and the JSON the
// cache writes back.
#include <string>

#include <fmt/format.h>
#include <simdjson.h>

#include "catch.hpp"
#include <megane/sdk/cache.hpp>

using megane::Cache;
using megane::CacheOptions;
using megane::MemberCache;

namespace {

constexpr std::uint64_t bot = 900, g1 = 1000, g2 = 2000;

// Feeds `cache` from the DOM, as the gateway does.
struct Feeder {
  explicit Feeder(CacheOptions options = {}) : cache(options) {}
  void operator()(std::string_view event, const std::string& json) {
    simdjson::dom::element doc;
    REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
    cache.apply(event, doc);
  }
  simdjson::dom::parser parser;
  Cache cache;
};

std::string user(std::uint64_t id, std::string_view name) {
  return fmt::format(R"({{"id":"{}","username":"{}","discriminator":"0","global_name":null,"avatar":null,"public_flags":0}})",
                     id, name);
}

std::string member(std::uint64_t id, std::string_view name, std::string_view roles = "") {
  return fmt::format(R"({{"user":{},"roles":[{}],"nick":null,"joined_at":"2020-01-02T03:04:05.678000+00:00","deaf":false,"mute":false,"flags":0}})",
                     user(id, name), roles);
}

// A guild with channels 1..3 (a category, a text channel with overwrites, a voice channel),
// roles @everyone and role `id+1`, and the members given.
std::string guild(std::uint64_t id, std::string_view name, const std::string& members, std::size_t member_count) {
  return fmt::format(
      R"({{"id":"{0}","name":"{1}","icon":"a_0123456789abcdef0123456789abcdef","owner_id":"901","member_count":{2},)"
      R"("large":false,"unavailable":false,"joined_at":"2021-05-06T07:08:09.000000+00:00","features":["COMMUNITY","NEWS"],)"
      R"("preferred_locale":"en-US","description":null,"verification_level":2,"system_channel_id":"{0}2",)"
      R"("roles":[{{"id":"{0}","name":"@everyone","color":0,"hoist":false,"position":0,"permissions":"1071698660929","managed":false,"mentionable":false,"flags":0}},)"
      R"({{"id":"{3}","name":"Moderators","color":16711680,"hoist":true,"position":1,"permissions":"1099511627775","managed":false,"mentionable":true,"flags":0}}],)"
      R"("channels":[{{"id":"{0}1","type":4,"name":"Text Channels","position":0,"parent_id":null,"permission_overwrites":[]}},)"
      R"({{"id":"{0}2","type":0,"name":"general","position":1,"parent_id":"{0}1","topic":"Talk about anything at all here","nsfw":false,"rate_limit_per_user":0,)"
      R"("permission_overwrites":[{{"id":"{0}","type":0,"allow":"0","deny":"2048"}},{{"id":"{3}","type":0,"allow":"2048","deny":"0"}}]}},)"
      R"({{"id":"{0}3","type":2,"name":"Voice","position":2,"parent_id":"{0}1","bitrate":64000,"user_limit":5,"permission_overwrites":[]}}],)"
      R"("members":[{4}],"threads":[],"presences":[]}})",
      id, name, member_count, id + 1, members);
}

std::string ready(std::string_view guild_ids) {
  return fmt::format(R"({{"v":10,"user":{},"session_id":"s","guilds":[{}]}})", user(bot, "Megane Bot"), guild_ids);
}

// Two guilds sharing users 11 and 12; the bot is in both.
void two_guilds(Feeder& feed) {
  feed("READY", ready(fmt::format(R"({{"id":"{}","unavailable":true}},{{"id":"{}","unavailable":true}})", g1, g2)));
  feed("GUILD_CREATE", guild(g1, "One",
                             member(11, "alice", R"("1001")") + "," + member(12, "bob") + "," + member(bot, "Megane Bot"), 3));
  feed("GUILD_CREATE", guild(g2, "Two",
                             member(12, "bob", R"("2001")") + "," + member(11, "alice") + "," + member(13, "carol") + "," +
                                 member(bot, "Megane Bot"),
                             40));
}

}  // namespace

TEST_CASE("cache: READY names unavailable guilds, GUILD_CREATE fills them in", "[cache]") {
  Feeder feed;
  feed("READY", ready(fmt::format(R"({{"id":"{}","unavailable":true}})", g1)));
  CHECK(feed.cache.self_id() == bot);
  REQUIRE(feed.cache.guild(g1));
  CHECK(feed.cache.guild(g1)->unavailable);
  CHECK(feed.cache.user(bot));
  CHECK(feed.cache.guild_json(g1, false) == fmt::format(R"({{"id":"{}","unavailable":true}})", g1));

  feed("GUILD_CREATE", guild(g1, "One", member(11, "alice", R"("1001")") + "," + member(bot, "Megane Bot"), 2));
  const megane::CachedGuild* g = feed.cache.guild(g1);
  REQUIRE(g);
  CHECK(!g->unavailable);
  CHECK(g->name == "One");
  CHECK(g->icon.str() == "a_0123456789abcdef0123456789abcdef");
  CHECK(g->owner_id == 901);
  CHECK(g->member_count == 2);
  CHECK(g->features == "COMMUNITY,NEWS");
  CHECK(g->verification_level == 2);
  CHECK(g->system_channel_id == g1 * 10 + 2);
  CHECK(g->joined_at_ms == 1620284889000);
  CHECK(g->channel_ids.size() == 3);
  CHECK(g->roles.size() == 2);
  CHECK(g->members.size() == 2);

  const megane::CachedChannel* general = feed.cache.channel(g1 * 10 + 2);
  REQUIRE(general);
  CHECK(general->guild_id == g1);
  CHECK(general->name == "general");
  CHECK(general->topic == "Talk about anything at all here");
  CHECK(general->parent_id == g1 * 10 + 1);
  const auto ows = g->overwrites_of(*general);
  REQUIRE(ows.size() == 2);
  CHECK(ows[0].id == g1);
  CHECK(ows[0].deny == 2048);
  CHECK(ows[1].allow == 2048);
  const megane::CachedChannel* voice = feed.cache.channel(g1 * 10 + 3);
  REQUIRE(voice);
  CHECK(voice->bitrate == 64000);
  CHECK(voice->user_limit == 5);

  const megane::CachedRole* mods = feed.cache.role(g1, g1 + 1);
  REQUIRE(mods);
  CHECK(mods->name == "Moderators");
  CHECK(mods->permissions == 1099511627775ull);
  CHECK(mods->hoist());
  CHECK(mods->color == 16711680);

  const megane::CachedMember* alice = feed.cache.member(g1, 11);
  REQUIRE(alice);
  CHECK(alice->joined_at() == 1577934245678);
  REQUIRE(g->roles_of(*alice).size() == 1);
  CHECK(g->roles_of(*alice)[0] == 1001);
  REQUIRE(feed.cache.user(11));
  CHECK(feed.cache.user(11)->username == "alice");
}

TEST_CASE("cache: users are shared by guilds and freed with their last member", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  auto counts = feed.cache.counts();
  CHECK(counts.guilds == 2);
  CHECK(counts.members == 7);
  CHECK(counts.users == 4);  // alice, bob, carol, the bot
  CHECK(counts.channels == 6);
  CHECK(counts.roles == 4);
  CHECK(feed.cache.user(11)->refs == 2);
  CHECK(feed.cache.user(bot)->refs == 3);  // two members + READY's pin

  // A member update in one guild renames the user everywhere.
  feed("GUILD_MEMBER_UPDATE", fmt::format(R"({{"guild_id":"{}","roles":[],"user":{},"nick":"Al"}})", g2, user(11, "alice2")));
  CHECK(feed.cache.user(11)->username == "alice2");
  CHECK(feed.cache.guild(g2)->nick(*feed.cache.member(g2, 11)) == "Al");
  CHECK(feed.cache.guild(g1)->nick(*feed.cache.member(g1, 11)).empty());
  CHECK(feed.cache.guild(g2)->nicks.size() == 1);
  CHECK(feed.cache.user(11)->refs == 2);

  feed("GUILD_DELETE", fmt::format(R"({{"id":"{}"}})", g2));  // the bot left guild 2
  CHECK(feed.cache.guild(g2) == nullptr);
  CHECK(feed.cache.user(13) == nullptr);  // carol was only there
  CHECK(feed.cache.user(11)->refs == 1);
  CHECK(feed.cache.channel(g2 * 10 + 2) == nullptr);
  counts = feed.cache.counts();
  CHECK(counts.users == 3);
  CHECK(counts.channels == 3);

  feed("GUILD_DELETE", fmt::format(R"({{"id":"{}"}})", g1));
  counts = feed.cache.counts();
  CHECK(counts.guilds == 0);
  CHECK(counts.users == 1);  // the bot's own user stays
  CHECK(counts.channels == 0);
  REQUIRE(feed.cache.user(bot));
  CHECK(feed.cache.user(bot)->refs == 1);
}

TEST_CASE("cache: an outage drops a guild's contents until it is available again", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  feed("GUILD_DELETE", fmt::format(R"({{"id":"{}","unavailable":true}})", g1));
  const megane::CachedGuild* g = feed.cache.guild(g1);
  REQUIRE(g);
  CHECK(g->unavailable);
  CHECK(g->members.empty());
  CHECK(g->channel_ids.empty());
  CHECK(feed.cache.channel(g1 * 10 + 2) == nullptr);
  CHECK(feed.cache.counts().unavailable_guilds == 1);
  CHECK(feed.cache.user(11)->refs == 1);  // still in guild 2
  // Events for an unavailable guild change nothing.
  feed("GUILD_MEMBER_ADD", fmt::format(R"({{"guild_id":"{}",{})", g1, member(14, "dave").substr(1)));
  CHECK(feed.cache.user(14) == nullptr);

  feed("GUILD_CREATE", guild(g1, "One again", member(11, "alice") + "," + member(bot, "Megane Bot"), 2));
  g = feed.cache.guild(g1);
  CHECK(!g->unavailable);
  CHECK(g->name == "One again");
  CHECK(g->members.size() == 2);
  CHECK(feed.cache.user(11)->refs == 2);
  CHECK(feed.cache.counts().channels == 6);
}

TEST_CASE("cache: a second GUILD_CREATE replaces the guild's contents exactly", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  feed("GUILD_CREATE", guild(g1, "One", member(12, "bob") + "," + member(bot, "Megane Bot"), 2));
  CHECK(feed.cache.member(g1, 11) == nullptr);
  CHECK(feed.cache.user(11)->refs == 1);
  CHECK(feed.cache.user(12)->refs == 2);
  CHECK(feed.cache.user(bot)->refs == 3);
  const auto counts = feed.cache.counts();
  CHECK(counts.members == 6);
  CHECK(counts.channels == 6);
  CHECK(counts.users == 4);
}

TEST_CASE("cache: guild, channel and role updates and deletes", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  feed("GUILD_UPDATE", fmt::format(R"({{"id":"{}","name":"Renamed","icon":null,"owner_id":"12"}})", g1));
  const megane::CachedGuild* g = feed.cache.guild(g1);
  CHECK(g->name == "Renamed");
  CHECK(g->icon.empty());
  CHECK(g->owner_id == 12);
  CHECK(g->member_count == 3);     // not in the update: kept
  CHECK(g->members.size() == 3);

  // Channels.
  feed("CHANNEL_CREATE", fmt::format(R"({{"id":"77","type":0,"guild_id":"{}","name":"new-channel","position":9,"parent_id":null,"permission_overwrites":[{{"id":"11","type":1,"allow":"1024","deny":"0"}}]}})", g1));
  REQUIRE(feed.cache.channel(77));
  CHECK(feed.cache.channel(77)->name == "new-channel");
  CHECK(g->channel_ids.size() == 4);
  CHECK(g->overwrites_of(*feed.cache.channel(77)).size() == 1);
  feed("CHANNEL_UPDATE", fmt::format(R"({{"id":"77","type":0,"guild_id":"{}","name":"renamed-channel","topic":"now with a topic that is long","permission_overwrites":[]}})", g1));
  CHECK(feed.cache.channel(77)->name == "renamed-channel");
  CHECK(feed.cache.channel(77)->topic == "now with a topic that is long");
  CHECK(feed.cache.channel(77)->position == 9);
  CHECK(g->overwrites_of(*feed.cache.channel(77)).empty());
  feed("CHANNEL_DELETE", fmt::format(R"({{"id":"77","type":0,"guild_id":"{}"}})", g1));
  CHECK(feed.cache.channel(77) == nullptr);
  CHECK(g->channel_ids.size() == 3);
  // Threads and DMs are not cached.
  feed("CHANNEL_CREATE", fmt::format(R"({{"id":"78","type":11,"guild_id":"{}","name":"a thread"}})", g1));
  feed("CHANNEL_CREATE", R"({"id":"79","type":1,"recipients":[]})");
  CHECK(feed.cache.channel(78) == nullptr);
  CHECK(feed.cache.channel(79) == nullptr);

  // Roles: a deleted role leaves its members too (Discord sends no member update for it).
  feed("GUILD_ROLE_CREATE", fmt::format(R"({{"guild_id":"{}","role":{{"id":"1005","name":"New","color":1,"position":2,"permissions":"8","managed":false,"mentionable":false,"hoist":false,"flags":0}}}})", g1));
  REQUIRE(feed.cache.role(g1, 1005));
  CHECK(feed.cache.role(g1, 1005)->permissions == 8);
  feed("GUILD_ROLE_UPDATE", fmt::format(R"({{"guild_id":"{}","role":{{"id":"1005","name":"Newer","color":2,"position":2,"permissions":"9","managed":false,"mentionable":true,"hoist":false,"flags":0}}}})", g1));
  CHECK(feed.cache.role(g1, 1005)->name == "Newer");
  CHECK(feed.cache.role(g1, 1005)->mentionable());
  CHECK(g->roles.size() == 3);
  REQUIRE(g->roles_of(*g->member(11)).size() == 1);
  feed("GUILD_ROLE_DELETE", fmt::format(R"({{"guild_id":"{}","role_id":"1001"}})", g1));
  CHECK(feed.cache.role(g1, 1001) == nullptr);
  CHECK(g->roles_of(*g->member(11)).empty());
  feed("GUILD_ROLE_DELETE", fmt::format(R"({{"guild_id":"{}","role_id":"1005"}})", g1));
  CHECK(g->roles.size() == 1);
}

TEST_CASE("cache: members join, change and leave, member_count follows", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  const megane::CachedGuild* g = feed.cache.guild(g1);
  feed("GUILD_MEMBER_ADD", fmt::format(R"({{"guild_id":"{}",{})", g1, member(5, "eve", R"("1001","1002")").substr(1)));
  CHECK(g->member_count == 4);
  REQUIRE(feed.cache.member(g1, 5));
  CHECK(g->members.front().user_id == 5);  // kept sorted
  CHECK(g->roles_of(*g->member(5)).size() == 2);
  CHECK(feed.cache.user(5)->refs == 1);

  // More roles than before: the member's list moves within the pool.
  feed("GUILD_MEMBER_UPDATE", fmt::format(R"({{"guild_id":"{}","roles":["1001","{}","1003"],"user":{},"nick":"E","premium_since":"2022-01-01T00:00:00+00:00","pending":true}})",
                                          g1, g1 + 1, user(5, "eve")));
  const megane::CachedMember* eve = feed.cache.member(g1, 5);
  REQUIRE(g->roles_of(*eve).size() == 3);
  CHECK(g->roles_of(*eve)[2] == 1003);
  CHECK(g->nick(*eve) == "E");
  CHECK(eve->pending());
  CHECK(eve->premium_since_s == 1640995200);
  CHECK(g->member_count == 4);

  feed("GUILD_MEMBER_REMOVE", fmt::format(R"({{"guild_id":"{}","user":{}}})", g1, user(5, "eve")));
  CHECK(feed.cache.member(g1, 5) == nullptr);
  CHECK(feed.cache.user(5) == nullptr);
  CHECK(g->nicks.empty());  // the nickname went with the member
  CHECK(g->member_count == 3);
  // Alice leaves guild 1 but stays cached for guild 2.
  feed("GUILD_MEMBER_REMOVE", fmt::format(R"({{"guild_id":"{}","user":{}}})", g1, user(11, "alice")));
  CHECK(feed.cache.user(11)->refs == 1);
  CHECK(g->members.size() == 2);

  // Churn: the role pool is compacted and stays exact.
  for (int round = 0; round < 300; ++round) {
    const std::string roles = round % 2 == 0 ? R"("1","2","3","4")" : R"("5")";
    feed("GUILD_MEMBER_UPDATE", fmt::format(R"({{"guild_id":"{}","roles":[{}],"user":{}}})", g1, roles, user(12, "bob")));
  }
  CHECK(g->roles_of(*g->member(12)).size() == 1);
  CHECK(g->roles_of(*g->member(12))[0] == 5);
  CHECK(g->member_role_pool.size() < 300);
}

TEST_CASE("cache: GUILD_MEMBERS_CHUNK adds and updates members", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  std::string members;
  for (std::uint64_t id = 100; id < 400; ++id) members += (members.empty() ? "" : ",") + member(id, fmt::format("u{}", id));
  members += "," + member(12, "bob-renamed", R"("1001")");  // already cached: updated
  feed("GUILD_MEMBERS_CHUNK", fmt::format(R"({{"guild_id":"{}","members":[{}],"chunk_index":0,"chunk_count":2,"not_found":[]}})", g1, members));
  members.clear();
  for (std::uint64_t id = 50; id < 120; ++id) members += (members.empty() ? "" : ",") + member(id, fmt::format("u{}", id));
  feed("GUILD_MEMBERS_CHUNK", fmt::format(R"({{"guild_id":"{}","members":[{}],"chunk_index":1,"chunk_count":2}})", g1, members));
  const megane::CachedGuild* g = feed.cache.guild(g1);
  CHECK(g->members.size() == 3 + 350);
  CHECK(std::is_sorted(g->members.begin(), g->members.end(),
                       [](const auto& a, const auto& b) { return a.user_id < b.user_id; }));
  CHECK(feed.cache.user(12)->username == "bob-renamed");
  CHECK(feed.cache.user(12)->refs == 2);
  CHECK(feed.cache.user(110)->refs == 1);  // in both chunks, one member
  CHECK(g->roles_of(*g->member(12)).size() == 1);
  CHECK(g->member_count == 3);  // chunks do not change the guild's count
}

TEST_CASE("cache: USER_UPDATE changes the bot's own user", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  feed("USER_UPDATE", fmt::format(R"({{"id":"{}","username":"Renamed Bot","discriminator":"0001","avatar":"0123456789abcdef0123456789abcdef","bot":true}})", bot));
  const megane::CachedUser* u = feed.cache.user(bot);
  REQUIRE(u);
  CHECK(u->username == "Renamed Bot");
  CHECK(u->discriminator == 1);
  CHECK(u->bot);
  CHECK(feed.cache.user_json(bot) ==
        fmt::format(R"({{"id":"{}","username":"Renamed Bot","discriminator":"0001","global_name":null,"avatar":"0123456789abcdef0123456789abcdef","bot":true,"public_flags":0}})", bot));
}

TEST_CASE("cache: member policies own and none, channels and roles off", "[cache]") {
  SECTION("own") {
    Feeder feed(CacheOptions{.members = MemberCache::own});
    two_guilds(feed);
    CHECK(feed.cache.counts().members == 2);
    CHECK(feed.cache.counts().users == 1);
    CHECK(feed.cache.member(g1, bot));
    CHECK(feed.cache.member(g1, 11) == nullptr);
    feed("GUILD_MEMBER_ADD", fmt::format(R"({{"guild_id":"{}",{})", g1, member(5, "eve").substr(1)));
    CHECK(feed.cache.user(5) == nullptr);
    CHECK(feed.cache.guild(g1)->member_count == 4);
  }
  SECTION("none") {
    Feeder feed(CacheOptions{.members = MemberCache::none});
    two_guilds(feed);
    CHECK(feed.cache.counts().members == 0);
    CHECK(feed.cache.counts().users == 1);  // the bot's own, from READY
    CHECK(feed.cache.counts().channels == 6);
  }
  SECTION("channels and roles off") {
    Feeder feed(CacheOptions{.channels = false, .roles = false});
    two_guilds(feed);
    CHECK(feed.cache.counts().channels == 0);
    CHECK(feed.cache.counts().roles == 0);
    CHECK(feed.cache.counts().members == 7);
  }
  SECTION("disabled") {
    Feeder feed(CacheOptions{.enabled = false});
    two_guilds(feed);
    CHECK(feed.cache.counts().guilds == 0);
  }
}

TEST_CASE("cache: JSON written back reads as the same guild", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  const auto json = feed.cache.guild_json(g1, true);
  REQUIRE(json);
  // Feed it back into a fresh cache: the same guild comes out.
  Feeder again;
  again("READY", ready(""));
  again("GUILD_CREATE", *json);
  CHECK(again.cache.guild_json(g1, true) == json);
  const megane::CachedGuild* g = again.cache.guild(g1);
  REQUIRE(g);
  CHECK(g->name == "One");
  CHECK(g->members.size() == 3);
  CHECK(g->channel_ids.size() == 3);
  CHECK(again.cache.channel(g1 * 10 + 2)->topic == "Talk about anything at all here");
  CHECK(again.cache.channel_json(g1 * 10 + 2) == feed.cache.channel_json(g1 * 10 + 2));
  CHECK(feed.cache.channel_json(g1 * 10 + 3) ==
        fmt::format(R"({{"id":"{0}3","type":2,"guild_id":"{0}","name":"Voice","position":2,"flags":0,"parent_id":"{0}1","permission_overwrites":[],"nsfw":false,"rate_limit_per_user":0,"bitrate":64000,"user_limit":5}})", g1));
  CHECK(feed.cache.member_json(g1, 11) ==
        fmt::format(R"({{"user":{},"nick":null,"roles":["1001"],"joined_at":"2020-01-02T03:04:05.678000+00:00","premium_since":null,"communication_disabled_until":null,"deaf":false,"mute":false,"pending":false,"flags":0}})",
                    user(11, "alice")));
  CHECK(!feed.cache.guild_json(42, false));
  CHECK(!feed.cache.user_json(42));
  CHECK(!feed.cache.channel_json(42));
  // Without members, and with a name that needs escaping.
  feed("GUILD_UPDATE", fmt::format(R"({{"id":"{}","name":"Quote \" and \\ back"}})", g2));
  const auto small = feed.cache.guild_json(g2, false);
  REQUIRE(small);
  CHECK(small->find("\"members\"") == std::string::npos);
  CHECK(small->find(R"("name":"Quote \" and \\ back")") != std::string::npos);
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  CHECK(p.parse(*small).get(doc) == simdjson::SUCCESS);
}

TEST_CASE("cache: payloads without ids are counted, not fatal", "[cache]") {
  Feeder feed;
  two_guilds(feed);
  feed("GUILD_CREATE", R"({"name":"no id"})");
  feed("GUILD_MEMBER_REMOVE", fmt::format(R"({{"guild_id":"{}","user":{{}}}})", g1));
  feed("GUILD_ROLE_CREATE", fmt::format(R"({{"guild_id":"{}","role":{{"name":"x"}}}})", g1));
  feed("MESSAGE_CREATE", R"({"id":"1","content":"hi"})");
  CHECK(feed.cache.counts().malformed == 3);
  CHECK(feed.cache.counts().guilds == 2);
}
