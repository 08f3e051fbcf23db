// Cache snapshots on disk (sdk/src/cache/snapshot.hpp): a cache written and read back into an
// empty cache is the same cache (fakecord's generated guilds plus hand-made odd ones); only the
// shards the reader accepts are applied; another shard total, a cut, garbage or miscounted
// file, an oversized file or a passed deadline never yield a half cache.
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cache_snapshot.hpp"
#include "catch.hpp"
#include "scratch_dir.hpp"
#include "fakecord/guild_json.hpp"
#include "fakecord/population.hpp"
#include "src/cache/snapshot.hpp"

using megane::Cache;
using megane::CacheOptions;
using megane::cache::SnapshotHeader;
using megane::cache::SnapshotLoaded;
using megane::cache::SnapshotShard;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::uint32_t total_shards = 2;
constexpr std::uint64_t no_limit = std::uint64_t{1} << 40;

struct ScratchDir : megane::test::ScratchDir {
  ScratchDir() : megane::test::ScratchDir("megane-snapshot-test") {}
};

void apply(Cache& cache, std::string_view event, const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  cache.apply(event, doc);
}

// fakecord's guilds, then guilds with the fields the generator never uses: a nickname, a voice
// channel with a topic, a managed role, premium and timeout timestamps, escapes, an icon
// hash of no known shape; one guild still unavailable.
void fill(Cache& cache) {
  const fakecord::Population pop({.guilds = 24, .members_per_guild = 12, .channels_per_guild = 10,
                                  .roles_per_guild = 5, .seed = 7});
  const fakecord::UserInfo self = pop.bot_user();
  apply(cache, "READY",
        fmt::format(R"({{"user":{{"id":"{}","username":"{}","discriminator":"0","bot":true}},"guilds":[{{"id":"{}","unavailable":true}}]}})",
                    self.id, self.username, (std::uint64_t{1} << 40) | 5));
  for (std::size_t g = 0; g < pop.guild_count(); ++g) {
    std::string json;
    fakecord::append_guild_create(json, pop, g, 50);
    apply(cache, "GUILD_CREATE", json);
  }
  const std::uint64_t odd = (std::uint64_t{9} << 22) | 1;  // shard 1 of 2
  apply(cache, "GUILD_CREATE", fmt::format(
      R"({{"id":"{0}","name":"Odd \"quoted\"\n","icon":"not-a-hash \"x\"","owner_id":"77","member_count":2,"features":["COMMUNITY"],)"
      R"("description":"tab\there","joined_at":"2020-05-06T07:08:09.123000+00:00","large":false,)"
      R"("roles":[{{"id":"{0}","name":"@everyone","permissions":"1071698660929","position":0,"color":0,"hoist":false,"managed":false,"mentionable":false,"flags":0}},)"
      R"({{"id":"{1}","name":"Bot","permissions":"8","position":1,"color":255,"hoist":true,"managed":true,"mentionable":true,"flags":1,"tags":{{"bot_id":"{2}"}}}}],)"
      R"("members":[{{"user":{{"id":"77","username":"owner\u0001","discriminator":"1234","global_name":"Ow","avatar":"a_0123456789abcdef0123456789abcdef","public_flags":64}},)"
      R"("roles":["{1}"],"nick":"Nick","joined_at":"2021-01-01T00:00:00.500000+00:00","premium_since":"2022-01-01T00:00:00+00:00",)"
      R"("communication_disabled_until":"2030-01-01T00:00:00+00:00","deaf":true,"mute":true,"pending":true,"flags":3}},)"
      R"({{"user":{{"id":"{2}","username":"{3}","discriminator":"0","bot":true}},"roles":[],"joined_at":"2021-02-02T00:00:00+00:00"}}],)"
      R"("channels":[{{"id":"{4}","type":2,"name":"talk","topic":"voice topic","bitrate":96000,"user_limit":9,"position":1,"permission_overwrites":[]}},)"
      R"({{"id":"{5}","type":0,"name":"general","topic":null,"nsfw":true,"rate_limit_per_user":5,"parent_id":"{4}","position":0,)"
      R"("permission_overwrites":[{{"id":"{0}","type":0,"allow":"0","deny":"2048"}},{{"id":"77","type":1,"allow":"2048","deny":"0"}}]}}]}})",
      odd, odd + 1, self.id, self.username, odd + 2, odd + 3));
}

// The whole cache state as text. Pool bookkeeping (holes left by updates) is left out: a
// restored cache has none, which is the same cache.
std::string state(const Cache& cache) {
  static const std::regex pools(" role_pool=\\d+ role_holes=\\d+ overwrite_pool=\\d+ overwrite_holes=\\d+");
  return std::regex_replace(megane::test::cache_snapshot(cache), pools, "");
}

SnapshotHeader header_for(const Cache& cache, std::vector<std::uint32_t> shards) {
  SnapshotHeader h;
  h.cluster_id = 3;
  h.total_shards = total_shards;
  (void)cache;
  for (const std::uint32_t s : shards) {
    h.shards.push_back(SnapshotShard{s, megane::cache::session_fingerprint(fmt::format("session-{}", s)), 100 + s});
  }
  return h;
}

const auto accept_all = [](const SnapshotShard&) { return true; };

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("cache snapshot: written and read back, the cache is the same", "[cache][snapshot]") {
  ScratchDir dir;
  Cache original;
  fill(original);
  // Changes after the GUILD_CREATEs, as a running cluster has them.
  const megane::CachedGuild* some = nullptr;
  original.for_each_guild([&](const megane::CachedGuild& g) {
    if (!g.unavailable && g.members.size() > 3 && !some) some = &g;
  });
  REQUIRE(some != nullptr);
  const std::uint64_t gid = some->id, uid = some->members[1].user_id, gone = some->members[2].user_id;
  apply(original, "GUILD_MEMBER_UPDATE", fmt::format(R"({{"guild_id":"{}","user":{{"id":"{}","username":"renamed"}},"nick":"later","roles":[]}})", gid, uid));
  apply(original, "GUILD_MEMBER_REMOVE", fmt::format(R"({{"guild_id":"{}","user":{{"id":"{}"}}}})", gid, gone));
  apply(original, "GUILD_UPDATE", fmt::format(R"({{"id":"{}","name":"Renamed guild"}})", gid));
  REQUIRE(original.counts().malformed == 0);

  const fs::path file = dir.path / "cluster-3.jsonl";
  const auto w = megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, no_limit, Clock::now() + 60s);
  INFO(w.error);
  REQUIRE(w.ok);
  CHECK(w.guilds == original.counts().guilds);
  CHECK(w.bytes == fs::file_size(file));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(fs::exists(fs::path(file) += ".tmp"));
  const std::string text = read_text(file);
  CHECK(text.find("session-0") == std::string::npos);  // only a fingerprint of the session id
  CHECK(text.rfind(R"({"megane_cache_snapshot":1,"cluster":3,"total_shards":2,)", 0) == 0);

  Cache restored;
  const SnapshotLoaded r = megane::cache::load_snapshot(restored, file, total_shards, accept_all, no_limit);
  INFO(r.detail);
  REQUIRE(r.outcome == SnapshotLoaded::Outcome::loaded);
  CHECK(r.shards == std::vector<std::uint32_t>{0, 1});
  CHECK(r.guilds == original.counts().guilds);
  CHECK(state(restored) == state(original));
  CHECK(restored.guild(gid)->name.view() == "Renamed guild");
  CHECK(restored.self_id() == original.self_id());

  // And again: a snapshot of the restored cache is the same file but for its time stamp.
  const fs::path again = dir.path / "again.jsonl";
  REQUIRE(megane::cache::write_snapshot(restored, header_for(restored, {0, 1}), again, no_limit, Clock::now() + 60s).ok);
  const auto body = [](const std::string& t) { return t.substr(t.find('\n')); };
  CHECK(body(read_text(again)) == body(text));
}

TEST_CASE("cache snapshot: only the shards the reader accepts, and only of the same shard total", "[cache][snapshot]") {
  ScratchDir dir;
  Cache original;
  fill(original);
  const fs::path file = dir.path / "cluster-3.jsonl";
  REQUIRE(megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, no_limit, Clock::now() + 60s).ok);

  Cache one;
  const auto r = megane::cache::load_snapshot(one, file, total_shards, [](const SnapshotShard& s) {
    return s.shard_id == 1 && s.seq == 101 && s.session == megane::cache::session_fingerprint("session-1");
  }, no_limit);
  REQUIRE(r.outcome == SnapshotLoaded::Outcome::loaded);
  CHECK(r.shards == std::vector<std::uint32_t>{1});
  std::size_t expected = 0;
  original.for_each_guild([&](const megane::CachedGuild& g) { expected += megane::cache::shard_of(g.id, total_shards) == 1; });
  CHECK(r.guilds == expected);
  CHECK(one.counts().guilds == expected);
  one.for_each_guild([&](const megane::CachedGuild& g) { CHECK(megane::cache::shard_of(g.id, total_shards) == 1); });

  Cache none;
  const auto stale = megane::cache::load_snapshot(none, file, total_shards, [](const SnapshotShard&) { return false; }, no_limit);
  CHECK(stale.outcome == SnapshotLoaded::Outcome::mismatch);
  CHECK(none.counts().guilds == 0);
  const auto resharded = megane::cache::load_snapshot(none, file, 4, accept_all, no_limit);
  CHECK(resharded.outcome == SnapshotLoaded::Outcome::mismatch);
  CHECK(none.counts().guilds == 0);
  const auto absent = megane::cache::load_snapshot(none, dir.path / "nothing.jsonl", total_shards, accept_all, no_limit);
  CHECK(absent.outcome == SnapshotLoaded::Outcome::absent);

  // A header with no shard is no snapshot (a cluster with nothing complete writes none).
  Cache small;
  fill(small);
  const fs::path only_zero = dir.path / "zero.jsonl";
  REQUIRE(megane::cache::write_snapshot(small, header_for(small, {0}), only_zero, no_limit, Clock::now() + 60s).ok);
  Cache zero;
  REQUIRE(megane::cache::load_snapshot(zero, only_zero, total_shards, accept_all, no_limit).outcome ==
          SnapshotLoaded::Outcome::loaded);
  zero.for_each_guild([&](const megane::CachedGuild& g) { CHECK(megane::cache::shard_of(g.id, total_shards) == 0); });
}

TEST_CASE("cache snapshot: a cut, corrupt or miscounted file fails whole", "[cache][snapshot]") {
  ScratchDir dir;
  Cache original;
  fill(original);
  const fs::path file = dir.path / "cluster-3.jsonl";
  REQUIRE(megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, no_limit, Clock::now() + 60s).ok);
  const std::string good = read_text(file);
  const std::size_t second_guild = good.find("\n{\"t\":\"GUILD_CREATE\"", good.find("GUILD_CREATE") + 1) + 1;

  struct Variant {
    const char* what;
    std::string text;
  };
  const std::vector<Variant> variants{
      {"cut in the middle of a line", good.substr(0, good.size() / 2)},
      {"cut after a whole line", good.substr(0, second_guild)},
      {"a line of garbage", good.substr(0, second_guild) + "{\"t\":\"GUILD_CREATE\",\"d\":{\"id\":\n" + good.substr(second_guild)},
      {"an extra guild", good + good.substr(second_guild, good.find('\n', second_guild) + 1 - second_guild)},
      {"another dispatch", good + "{\"t\":\"MESSAGE_CREATE\",\"d\":{}}\n"},
      {"not a snapshot", "{\"hello\":1}\n"},
      {"another version", "{\"megane_cache_snapshot\":2}\n"},
      {"empty", ""},
      {"binary", std::string("\x00\x01\xff\n", 4)},
  };
  for (const Variant& v : variants) {
    INFO(v.what);
    write_text(file, v.text);
    Cache target;
    const auto r = megane::cache::load_snapshot(target, file, total_shards, accept_all, no_limit);
    CHECK(r.outcome == SnapshotLoaded::Outcome::failed);
    CHECK_FALSE(r.detail.empty());
    CHECK(r.shards.empty());
  }
}

TEST_CASE("cache snapshot: the size limit and the deadline leave no file", "[cache][snapshot]") {
  ScratchDir dir;
  Cache original;
  fill(original);
  const fs::path file = dir.path / "cluster-3.jsonl";

  auto w = megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, 1000, Clock::now() + 60s);
  CHECK_FALSE(w.ok);
  CHECK(w.error.find("limit") != std::string::npos);
  CHECK_FALSE(fs::exists(file));
  CHECK_FALSE(fs::exists(fs::path(file) += ".tmp"));

  w = megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, no_limit, Clock::now() - 1ms);
  CHECK_FALSE(w.ok);
  CHECK(w.error.find("deadline") != std::string::npos);
  CHECK_FALSE(fs::exists(file));

  REQUIRE(megane::cache::write_snapshot(original, header_for(original, {0, 1}), file, no_limit, Clock::now() + 60s).ok);
  Cache target;
  const auto r = megane::cache::load_snapshot(target, file, total_shards, accept_all, fs::file_size(file) - 1);
  CHECK(r.outcome == SnapshotLoaded::Outcome::failed);
  CHECK(r.detail.find("over the limit") != std::string::npos);
  CHECK(target.counts().guilds == 0);
}
