// The On-Demand GUILD_CREATE path (Cache::apply_ondemand, one pass without a DOM) against the
// DOM path (Cache::apply) on payloads that are not the usual shape: keys in other orders,
// unknown fields, missing and null optional fields, wrong types, escapes, numbers for ids,
// unavailable guilds (also with contents before the flag), entries without ids, and member
// chunks after an On-Demand create. Both caches must end in exactly the same state.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cache_snapshot.hpp"
#include "catch.hpp"
#include <megane/sdk/cache.hpp>

using megane::Cache;
using megane::CacheOptions;
using megane::MemberCache;

namespace {

struct Event {
  std::string name;
  std::string json;
};

// Applies the events to a DOM-fed cache and to one fed GUILD_CREATE by On-Demand; returns the
// DOM cache's snapshot after checking the other matches it after every event.
std::string feed_both(const std::vector<Event>& events, CacheOptions options = {}) {
  simdjson::dom::parser dom;
  simdjson::ondemand::parser ondemand;
  Cache by_dom(options), by_ondemand(options);
  for (const Event& e : events) {
    INFO(e.name << " " << e.json);
    simdjson::dom::element doc;
    REQUIRE(dom.parse(e.json).get(doc) == simdjson::SUCCESS);
    by_dom.apply(e.name, doc);
    if (Cache::reads_ondemand(e.name)) {
      const simdjson::padded_string padded(e.json);
      simdjson::ondemand::document od;
      simdjson::ondemand::value d;
      REQUIRE(ondemand.iterate(padded).get(od) == simdjson::SUCCESS);
      REQUIRE(od.get_value().get(d) == simdjson::SUCCESS);
      by_ondemand.apply_ondemand(e.name, d);
    } else {
      by_ondemand.apply(e.name, doc);
    }
    REQUIRE(megane::test::cache_snapshot(by_ondemand) == megane::test::cache_snapshot(by_dom));
  }
  return megane::test::cache_snapshot(by_dom);
}

const std::string ready = R"({"v":10,"user":{"id":"900","username":"bot","discriminator":"0","bot":true},"session_id":"s","guilds":[{"id":"1000","unavailable":true},{"id":"2000","unavailable":true}]})";

std::string user(std::uint64_t id, std::string_view name) {
  return fmt::format(R"({{"id":"{}","username":"{}","discriminator":"0","global_name":null,"avatar":null,"public_flags":0}})", id, name);
}

}  // namespace

TEST_CASE("cache on-demand: the usual payload, then the same guild again", "[cache]") {
  const std::string g = fmt::format(
      R"({{"id":"1000","name":"One","icon":"0123456789abcdef0123456789abcdef","owner_id":"901","member_count":2,)"
      R"("roles":[{{"id":"1000","name":"@everyone","permissions":"1071698660929","position":0,"color":0,"hoist":false,"managed":false,"mentionable":false,"flags":0}},)"
      R"({{"id":"1001","name":"Bots","permissions":"8","position":1,"color":255,"hoist":true,"managed":true,"mentionable":false,"flags":1,"tags":{{"bot_id":"900"}}}}],)"
      R"("unavailable":false,"members":[{{"user":{},"roles":["1001"],"nick":"Botty","joined_at":"2021-01-01T00:00:00.500000+00:00","deaf":false,"mute":true,"flags":2,"pending":false}},)"
      R"({{"user":{},"roles":[],"nick":null,"joined_at":"2022-02-02T02:02:02+00:00","premium_since":"2023-03-03T03:03:03.000000+00:00","communication_disabled_until":null}}],)"
      R"("channels":[{{"id":"10001","type":0,"name":"general","position":0,"topic":"hi","nsfw":true,"rate_limit_per_user":5,"parent_id":null,)"
      R"("permission_overwrites":[{{"id":"1000","type":0,"allow":"0","deny":"2048"}},{{"id":"901","type":1,"allow":"2048","deny":"0"}}]}},)"
      R"({{"id":"10002","type":2,"name":"voice","bitrate":64000,"user_limit":5,"permission_overwrites":[]}}],"features":["COMMUNITY","NEWS"]}})",
      user(900, "bot"), user(901, "owner"));
  const std::string snapshot = feed_both({{"READY", ready}, {"GUILD_CREATE", g}, {"GUILD_CREATE", g}});
  CHECK(snapshot.find("Botty") != std::string::npos);
  CHECK(snapshot.find("malformed=0") != std::string::npos);
}

TEST_CASE("cache on-demand: keys in another order, unknown and nested fields", "[cache]") {
  // "id" last, "user" after the member's own fields, unknown objects and arrays everywhere.
  const std::string g = fmt::format(
      R"({{"lazy":true,"x":{{"roles":[1,2],"members":{{"id":"5"}}}},"members":[{{"nick":"n","roles":["1001","1002"],"avatar_decoration_data":{{"a":[{{}}]}},"user":{{"username":"late","id":"905","public_flags":64}}}}],)"
      R"("channels":[{{"permission_overwrites":[{{"type":1,"deny":"1","allow":"2","id":"905","extra":[null]}}],"name":"c","id":"10003"}}],)"
      R"("threads":[{{"id":"777","type":11}}],"presences":[{{"user":{{"id":"905"}}}}],"roles":[{{"name":"r","id":"1002","colors":{{"primary_color":1}}}}],)"
      R"("name":"Late id","id":"1000"}})");
  feed_both({{"READY", ready}, {"GUILD_CREATE", g}});
}

TEST_CASE("cache on-demand: missing, null and wrongly typed fields", "[cache]") {
  const std::string snapshot = feed_both({{"READY", ready},
             // No lists at all, nulls, a number for a string, a string for a number.
             {"GUILD_CREATE", R"({"id":"1000","name":null,"icon":5,"member_count":"7","large":"yes","features":null,"description":null})"},
             // Lists of the wrong type, entries that are not objects, entries without ids.
             {"GUILD_CREATE", R"({"id":"2000","roles":"none","channels":[1,{"name":"no id"},{"id":"20001","permission_overwrites":[7,{"id":"2000"}]}],)"
                              R"("members":[null,{"roles":[]},{"user":"x"},{"user":{"username":"no id"}},{"user":{"id":"906"},"roles":"x","joined_at":"garbage"}]})"},
             // Ids as JSON numbers, escapes in strings, a snowflake with an escape.
             {"GUILD_CREATE", R"({"id":1000,"name":"caf\u00e9 \"quoted\"","owner_id":"\u0039\u0030\u0031","members":[{"user":{"id":907,"username":"\ttab"},"nick":"\u00e9"}]})"},
             // Not an object, no id.
             {"GUILD_CREATE", R"([1,2,3])"},
             {"GUILD_CREATE", R"({"name":"no id"})"}});
  // 4 members without a user id, 2 channels without an id, 2 guilds without one.
  CHECK(snapshot.find("malformed=8") != std::string::npos);
  CHECK(snapshot.find("user 906:") != std::string::npos);
  CHECK(snapshot.find("user 907:") != std::string::npos);
}

TEST_CASE("cache on-demand: unavailable guilds, also with contents before the flag", "[cache]") {
  const std::string full = fmt::format(
      R"({{"id":"1000","name":"One","member_count":1,"members":[{{"user":{},"roles":[]}}],"channels":[{{"id":"10001","name":"a"}}],"roles":[{{"id":"1000","name":"@everyone"}}],"unavailable":false}})",
      user(901, "owner"));
  // The outage payload carries fields and lists before "unavailable": true; none may stick.
  const std::string outage = fmt::format(
      R"({{"id":"1000","name":"Renamed","members":[{{"user":{},"roles":[]}}],"channels":[{{"id":"10009","name":"b"}}],"unavailable":true,"member_count":9}})",
      user(902, "other"));
  const std::string snapshot = feed_both({{"READY", ready},
                                          {"GUILD_CREATE", full},
                                          {"GUILD_CREATE", outage},
                                          {"GUILD_CREATE", R"({"id":"2000","unavailable":true})"},
                                          {"GUILD_CREATE", R"({"unavailable":true,"id":"2000"})"},
                                          {"GUILD_CREATE", full}});
  CHECK(snapshot.find("Renamed") == std::string::npos);
  CHECK(snapshot.find("10009") == std::string::npos);
}

TEST_CASE("cache on-demand: member chunks and member events after an On-Demand create", "[cache]") {
  const std::string g = fmt::format(R"({{"id":"1000","name":"One","member_count":2,"members":[{{"user":{},"roles":["1"],"nick":"a"}},{{"user":{},"roles":[]}}]}})",
                                    user(901, "a"), user(902, "b"));
  const std::string chunk = fmt::format(
      R"({{"guild_id":"1000","chunk_index":0,"chunk_count":1,"members":[{{"user":{},"roles":["1","2","3"],"nick":null}},{{"user":{},"roles":["2"],"nick":"c"}}]}})",
      user(902, "b2"), user(903, "c"));
  feed_both({{"READY", ready},
             {"GUILD_CREATE", g},
             {"GUILD_MEMBERS_CHUNK", chunk},
             {"GUILD_MEMBER_REMOVE", R"({"guild_id":"1000","user":{"id":"901"}})"},
             {"GUILD_CREATE", g}});
}

TEST_CASE("cache on-demand: member policies and lists turned off", "[cache]") {
  const std::string g = fmt::format(R"({{"id":"1000","roles":[{{"id":"1000"}}],"channels":[{{"id":"10001"}}],"members":[{{"user":{}}},{{"user":{}}}]}})",
                                    user(900, "bot"), user(901, "a"));
  const std::vector<Event> events{{"READY", ready}, {"GUILD_CREATE", g}};
  CacheOptions own, none, no_lists, off;
  own.members = MemberCache::own;
  none.members = MemberCache::none;
  no_lists.channels = false;
  no_lists.roles = false;
  off.enabled = false;
  feed_both(events, own);
  feed_both(events, none);
  feed_both(events, no_lists);
  feed_both(events, off);
}
