// The cache fed by the SDK's real gateway client against fakecord: the whole generated
// population cached with the right counts, then dispatches injected with /dispatch applied,
// also across a RESUME.
#include <set>
#include <string>

#include <fmt/format.h>

#include "catch.hpp"
#include "gateway_rig.hpp"
#include <megane/sdk/cache.hpp>

#include "cache/member_requests.hpp"

using namespace megane::test;

namespace {

constexpr std::uint32_t guilds = 30, members = 20, channels = 12, roles = 6;

std::uint64_t some_guild(const megane::Cache& cache) {
  std::uint64_t id = 0;
  cache.for_each_guild([&](const megane::CachedGuild& g) { id = std::max(id, g.id); });
  return id;
}

}  // namespace

TEST_CASE("gateway cache: fakecord's population is cached whole, then kept current", "[gateway][cache]") {
  Fakecord fc({"--guilds", std::to_string(guilds), "--members-per-guild", std::to_string(members),
               "--channels-per-guild", std::to_string(channels), "--roles-per-guild", std::to_string(roles)});
  GatewayRig rig(fc, {});
  megane::Cache cache;
  rig.gateway->before_handlers = [&](const megane::Dispatch& d) { cache.apply(d); };
  // The bot's own handlers run after the cache: a GUILD_CREATE handler finds its guild.
  std::size_t found_in_handler = 0;
  rig.api->on("GUILD_CREATE", [&](const megane::Dispatch& d) {
    std::string_view id;
    if (d.data["id"].get(id) == simdjson::SUCCESS && cache.guild(std::stoull(std::string(id)))) ++found_in_handler;
  });
  REQUIRE(rig.run_until([&] {
    const auto c = cache.counts();
    return rig.all_ready() && c.guilds == guilds && c.unavailable_guilds == 0;
  }));
  CHECK(found_in_handler == guilds);

  const megane::CacheCounts counts = cache.counts();
  CHECK(counts.channels == guilds * channels);
  CHECK(counts.roles == guilds * roles);
  CHECK(counts.members == guilds * members);
  CHECK(counts.malformed == 0);
  // Users are deduplicated: exactly the distinct users of all members.
  std::set<std::uint64_t> distinct;
  const std::uint64_t self = cache.self_id();
  REQUIRE(self != 0);
  cache.for_each_guild([&](const megane::CachedGuild& g) {
    CHECK(g.member_count == members);
    CHECK(g.members.size() == members);
    CHECK(g.channel_ids.size() == channels);
    CHECK(g.roles.size() == roles);
    CHECK(g.member(g.owner_id) != nullptr);
    const megane::CachedMember* me = g.member(self);
    REQUIRE(me);
    REQUIRE(g.roles_of(*me).size() == 1);
    const megane::CachedRole* managed = g.role(g.roles_of(*me)[0]);
    REQUIRE(managed);
    CHECK(managed->managed());
    CHECK(managed->bot_id == self);
    for (const std::uint64_t id : g.channel_ids) {
      const megane::CachedChannel* c = cache.channel(id);
      REQUIRE(c);
      CHECK(c->guild_id == g.id);
    }
    for (const megane::CachedMember& m : g.members) {
      distinct.insert(m.user_id);
      CHECK(cache.user(m.user_id) != nullptr);
    }
  });
  CHECK(counts.users == distinct.size());
  CHECK(counts.users < counts.members);  // fakecord puts users in several guilds

  const std::uint64_t gid = some_guild(cache);
  const megane::CachedGuild* g = cache.guild(gid);
  REQUIRE(g);
  const std::uint64_t leaving = g->members.front().user_id == self ? g->members.back().user_id : g->members.front().user_id;
  const std::uint64_t old_role = g->roles.back().id;
  std::size_t updates = 0;
  rig.api->on_any([&](const megane::Dispatch&) { ++updates; });
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"GUILD_UPDATE","d":{{"id":"{}","name":"renamed"}}}})", gid));
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"CHANNEL_CREATE","d":{{"id":"4242","type":0,"guild_id":"{}","name":"fresh","position":99,"permission_overwrites":[]}}}})", gid));
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"GUILD_MEMBER_REMOVE","d":{{"guild_id":"{}","user":{{"id":"{}","username":"x"}}}}}})", gid, leaving));
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"GUILD_ROLE_DELETE","d":{{"guild_id":"{}","role_id":"{}"}}}})", gid, old_role));
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"GUILD_MEMBER_ADD","d":{{"guild_id":"{}","user":{{"id":"77","username":"newcomer"}},"roles":[],"joined_at":"2026-11-26T10:00:00.000000+00:00"}}}})", gid));
  REQUIRE(rig.run_until([&] { return updates == 5; }));
  g = cache.guild(gid);
  CHECK(g->name == "renamed");
  REQUIRE(cache.channel(4242));
  CHECK(cache.channel(4242)->name == "fresh");
  CHECK(g->channel_ids.size() == channels + 1);
  CHECK(g->member(leaving) == nullptr);
  CHECK(g->role(old_role) == nullptr);
  CHECK(g->roles.size() == roles - 1);
  CHECK(g->member(77) != nullptr);
  CHECK(cache.user(77)->username == "newcomer");
  CHECK(g->member_count == members);  // one left, one joined

  // Events sent while the shard is away arrive with the RESUME and are applied.
  fc.control("/fault", R"({"shard":0,"kind":"drop"})");
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"CHANNEL_DELETE","d":{{"id":"4242","type":0,"guild_id":"{}"}}}})", gid));
  fc.control("/dispatch", fmt::format(R"({{"shard":0,"t":"GUILD_DELETE","d":{{"id":"{}","unavailable":true}}}})", gid));
  REQUIRE(rig.run_until([&] { return fc.stat("resumes", "total") == 1 && rig.all_ready() && cache.guild(gid)->unavailable; }));
  CHECK(cache.channel(4242) == nullptr);
  CHECK(cache.guild(gid)->members.empty());
  CHECK(cache.counts().channels == (guilds - 1) * channels);
  CHECK(cache.counts().unavailable_guilds == 1);

  // Another guild written back as JSON has all its members.
  std::uint64_t other = 0;
  cache.for_each_guild([&](const megane::CachedGuild& x) { if (!x.unavailable) other = x.id; });
  const auto json = cache.guild_json(other, true);
  REQUIRE(json);
  simdjson::dom::parser parser;
  simdjson::dom::array list;
  REQUIRE(parser.parse(*json)["members"].get_array().get(list) == simdjson::SUCCESS);
  CHECK(list.size() == members);
}

TEST_CASE("gateway cache: cache_all_members asks for every guild's members (op 8) and sees every chunk", "[gateway][cache]") {
  Fakecord fc({"--guilds", "6", "--members-per-guild", "1500", "--channels-per-guild", "3", "--roles-per-guild", "3"});
  GatewayRig rig(fc, {.intents = 513 | 2});  // GUILDS, GUILD_MESSAGES, GUILD_MEMBERS
  megane::Cache cache;
  std::size_t all_cached = 0, chunks = 0;
  megane::cache::MemberRequests requests(
      [&](std::uint32_t shard, std::string payload) { return rig.api->send(shard, std::move(payload)); },
      [&] { ++all_cached; });
  rig.gateway->before_handlers = [&](const megane::Dispatch& d) {
    cache.apply(d);
    requests.on_dispatch(d);
  };
  rig.api->on("GUILD_MEMBERS_CHUNK", [&](const megane::Dispatch&) { ++chunks; });
  REQUIRE(rig.run_until([&] { return all_cached == 1; }, std::chrono::seconds(20)));
  CHECK(chunks == 6 * 2);  // 1,500 members: chunks of 1,000 and 500
  CHECK(requests.requested() == 6);
  CHECK(requests.pending() == 0);
  CHECK(cache.counts().members == 6 * 1500);
  CHECK(cache.counts().malformed == 0);
}
