// Fetching guilds, channels and users across clusters through the real meganed: fakecord's
// guilds cached by two clusters of the fetch fixture bot (tests/fixtures/fetch_bot), fetched
// by one cluster from the other through the SDK, by a control client and by meganectl; misses,
// a restarting or stopped owner, the [cache] section, and the all_members_cached event.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/fetch_messages.hpp>
#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "fetch_support.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;


TEST_CASE("fetch: a guild from its owning cluster, users and channels from any cluster, misses not found",
          "[integration][fetch]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, fetch_config(fc, ""));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const Ids zero = ids_of(c, 0), one = ids_of(c, 1);
  REQUIRE_FALSE(zero.guilds.empty());
  REQUIRE_FALSE(one.guilds.empty());

  // Cluster 0 fetches a guild of cluster 1 through the SDK, with and without its members.
  const std::string gid = one.guilds.front();
  const std::string with = fetch_via(c, 0, "guild", {gid}, true);
  INFO(with);
  CHECK(with.find(R"("status":"ok","cluster":1)") != std::string::npos);
  CHECK(with.find(R"("id":")" + gid + "\"") != std::string::npos);
  CHECK(with.find(R"("members":[)") != std::string::npos);
  CHECK(count_of(with, R"("deaf":)") == 5);  // fakecord: 5 members per guild
  const std::string without = fetch_via(c, 0, "guild", {gid}, false);
  CHECK(without.find(R"("status":"ok","cluster":1)") != std::string::npos);
  CHECK(without.find(R"("members":)") == std::string::npos);

  // A user only cluster 1 has, asked of every cluster: cluster 1's answer wins.
  const std::set<std::string> zero_users(zero.users.begin(), zero.users.end());
  const auto only_one = std::find_if(one.users.begin(), one.users.end(), [&](const std::string& u) { return !zero_users.contains(u); });
  REQUIRE(only_one != one.users.end());
  const std::string user = fetch_via(c, 0, "user", {*only_one});
  CHECK(user.find(R"("status":"ok","cluster":1,"data":{"id":")" + *only_one + "\"") != std::string::npos);

  // A channel, from a control client; a missing id is "not found", quickly.
  auto channel = fetch_direct(c, proto::FetchKind::channel, {id_of(one.channels.front())});
  CHECK(channel[0].status == proto::FetchStatus::found);
  CHECK(channel[0].cluster_id == 1);
  CHECK(channel[0].json.find(R"("guild_id")") != std::string::npos);
  const auto start = Clock::now();
  auto missing = fetch_direct(c, proto::FetchKind::user, {42});
  CHECK(missing[0].status == proto::FetchStatus::not_found);
  CHECK(since(start) < 2s);  // every cluster answered at once; the 3 s deadline never came
  const std::string missing_guild = fetch_via(c, 1, "guild", {"42"});
  CHECK(missing_guild.find(R"("status":"not found")") != std::string::npos);

  // A batch: one request, one answer per id, in the order asked.
  const std::string batch = fetch_via(c, 1, "user", {zero.users.front(), "42", *only_one});
  INFO(batch);
  const auto first = batch.find(R"("id":")" + zero.users.front() + R"(","status":"ok")");
  const auto second = batch.find(R"("id":"42","status":"not found")");
  const auto third = batch.find(R"("id":")" + *only_one + R"(","status":"ok")");
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(third != std::string::npos);
  CHECK((first < second && second < third));
  const std::string guilds = fetch_via(c, 0, "guild", {zero.guilds.front(), gid, "42"});
  CHECK(count_of(guilds, R"("status":"ok")") == 2);
  CHECK(count_of(guilds, R"("status":"not found")") == 1);

  // A service fetches too.
  REQUIRE(wait_until([&] { auto st = d.status(); return st && st->service_state("svc") == "ready"; }, 20s));
  auto svc = c.request(proto::MessageType::service_command,
                       proto::encode(proto::ServiceCommand{"svc", true, 5000, R"({"fetch_user":")" + *only_one + "\"}"}), 8s);
  REQUIRE(svc);
  CHECK(svc->text() == R"({"status":"ok","cluster":1})");

  // meganectl fetch.
  auto found = run_meganectl(dir, {"--socket", d.socket().string(), "fetch", "guild", gid, "--members", "--json"});
  INFO(found.output);
  CHECK(found.exit_code == 0);
  CHECK(found.output.find(R"({"kind":"guild","id":")" + gid + R"(","status":"found","cluster":1,"data":{)") == 0);
  CHECK(found.output.find(R"("members":[)") != std::string::npos);
  auto plain = run_meganectl(dir, {"--socket", d.socket().string(), "fetch", "user", *only_one});
  CHECK(plain.exit_code == 0);
  CHECK(plain.output.find(R"({"id":")" + *only_one + "\"") == 0);
  auto none = run_meganectl(dir, {"--socket", d.socket().string(), "fetch", "channel", "42"});
  CHECK(none.exit_code == 1);
  CHECK(none.output.find("meganectl: channel 42: not found") != std::string::npos);
  auto usage = run_meganectl(dir, {"--socket", d.socket().string(), "fetch", "user", "42", "--members"});
  CHECK(usage.exit_code == 2);
  CHECK(d.log().find(fakecord_token) == std::string::npos);
}

TEST_CASE("fetch: an owner that is restarting, stopped or dies answers an error, never hangs", "[integration][fetch]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  // A killed cluster waits ~5 s in backoff: long enough to fetch from it meanwhile.
  Daemon d(dir, fetch_config(fc, "", slow_restart));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const Ids zero = ids_of(c, 0), one = ids_of(c, 1);
  const std::uint64_t gid = id_of(one.guilds.front());
  const std::set<std::string> zero_users(zero.users.begin(), zero.users.end());
  const auto only_one = std::find_if(one.users.begin(), one.users.end(), [&](const std::string& u) { return !zero_users.contains(u); });
  REQUIRE(only_one != one.users.end());

  SECTION("restarting: not running") {
    const pid_t pid = cluster_pid(d, 1);
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, SIGKILL) == 0);
    REQUIRE(wait_until([&] { auto st = d.status(); return st && st->clusters[1].state == "backoff"; }, 5s));
    const auto start = Clock::now();
    auto guild = fetch_direct(c, proto::FetchKind::guild, {gid}, true, 5000);
    CHECK(guild[0].status == proto::FetchStatus::failed);
    CHECK(guild[0].failure == proto::TargetStatus::unavailable);
    CHECK(guild[0].message.find("not running") != std::string::npos);
    // The user may be on cluster 1, which cannot say: an error, not "not found".
    auto user = fetch_direct(c, proto::FetchKind::user, {id_of(*only_one)}, false, 5000);
    CHECK(user[0].status == proto::FetchStatus::failed);
    CHECK(since(start) < 2s);
    // Through the SDK and meganectl the same.
    const std::string via = fetch_via(c, 0, "guild", {one.guilds.front()});
    CHECK(via.find(R"("status":"unavailable")") != std::string::npos);
    auto ctl = run_meganectl(dir, {"--socket", d.socket().string(), "fetch", "guild", one.guilds.front()});
    CHECK(ctl.exit_code == 1);
    CHECK(ctl.output.find("not running") != std::string::npos);
    // And once it is back, the owner answers again: with the guild when its RESUME replayed the
    // GUILD_CREATE (meganed still had READY's seq), else, since a killed process leaves no
    // cache snapshot, with the honest "cannot tell" (which of the two depends on whether a
    // heartbeat reported a later seq before the kill).
    REQUIRE(d.wait_all_ready(30s));
    CHECK(wait_until([&] {
      const proto::FetchOutcome r = fetch_direct(c, proto::FetchKind::guild, {gid}, false, 5000)[0];
      return r.status == proto::FetchStatus::found ||
             (r.status == proto::FetchStatus::failed && r.message.find("cannot tell") != std::string::npos);
    }, 20s));
  }
  SECTION("stopped: timeout at the deadline; killed while asked: target exited at once") {
    const pid_t pid = cluster_pid(d, 1);
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, SIGSTOP) == 0);
    auto start = Clock::now();
    auto late = fetch_direct(c, proto::FetchKind::guild, {gid}, false, 1000);
    CHECK(late[0].status == proto::FetchStatus::failed);
    CHECK(late[0].failure == proto::TargetStatus::timeout);
    CHECK(since(start) < 3s);

    // Asked with a long deadline, then the owner dies: the answer comes at its death.
    proto::FetchRequest req{proto::FetchKind::guild, false, 20000, {gid}};
    c.send(proto::MessageType::fetch, 77, proto::encode(req));
    std::this_thread::sleep_for(200ms);
    start = Clock::now();
    REQUIRE(::kill(pid, SIGKILL) == 0);
    std::optional<Reply> r;
    while ((r = c.read(10s)) && r->header.request_id != 77) {
    }
    REQUIRE(r);
    CHECK(since(start) < 3s);
    proto::BroadcastReply b;
    REQUIRE(proto::decode(r->payload, b));
    REQUIRE(b.results.size() == 1);
    CHECK(b.results[0].status == proto::TargetStatus::exited);
  }
}

TEST_CASE("fetch: [cache] in meganed's config decides what clusters cache", "[integration][fetch]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, fetch_config(fc, "[cache]\nmembers = \"own\"\nchannels = false\n"));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const Ids one = ids_of(c, 1);
  CHECK(one.users.empty());     // only the bot's own member is kept (and IDS leaves it out)
  CHECK(one.channels.empty());
  auto guild = fetch_direct(c, proto::FetchKind::guild, {id_of(one.guilds.front())}, true);
  REQUIRE(guild[0].status == proto::FetchStatus::found);
  CHECK(count_of(guild[0].json, R"("deaf":)") == 1);  // the bot alone
  CHECK(d.log().find("cache settings from meganed's [cache] section") != std::string::npos);
}

TEST_CASE("fetch: all_members_cached arrives once, after every cluster has its members", "[integration][fetch]") {
  Fakecord fc({"--identify-window-ms", "100", "--members-per-guild", "30"});
  TempDir dir;
  Daemon d(dir, fetch_config(fc, "[cache]\ncache_all_members = true\n", "", 515));  // + GUILD_MEMBERS
  Client early(d.socket());
  REQUIRE(early.hello_control());
  auto sub = early.request(proto::MessageType::subscribe,
                           proto::encode(proto::Subscribe{proto::event_bit(proto::EventKind::all_members_cached)}));
  REQUIRE(sub);
  REQUIRE_FALSE(sub->is_error());
  REQUIRE(d.wait_all_ready(30s));
  std::vector<proto::Event> seen;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    auto r = early.read(seen.empty() ? 1s : 300ms);
    if (!r) {
      if (!seen.empty()) break;
      continue;
    }
    proto::Event e;
    if (r->header.type == proto::MessageType::event && proto::decode(r->payload, e)) seen.push_back(e);
  }
  INFO(d.log());
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].kind == proto::EventKind::all_members_cached);
  CHECK(seen[0].json == R"({"type":"all_members_cached","clusters":2})");
  const fs::path record = dir.path() / "record.txt";
  REQUIRE(wait_until([&] { return count_of(file_text(record), "all_clusters_members_cached") == 2; }, 5s));
  // Each cluster's own callback ran (perhaps more than once: it runs whenever the guilds asked
  // for so far are complete, and a shard's READY may come after another's guilds).
  const std::string text = file_text(record);
  CHECK(count_of(text, "cluster 0 all_members_cached") >= 1);
  CHECK(count_of(text, "cluster 1 all_members_cached") >= 1);

  // A restarted cluster: no second event; a late subscriber gets the first at once.
  auto restart = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "1"});
  REQUIRE(restart.exit_code == 0);
  CHECK_FALSE(early.read(1500ms));
  {
    // Its shards RESUMEd with no GUILD_CREATEs, but from the cache snapshot the stopping
    // process wrote (cache_snapshot_test.cpp): its cache is complete, so a miss is an answer.
    Client c(d.socket());
    REQUIRE(c.hello_control());
    auto unknown = fetch_direct(c, proto::FetchKind::user, {42});
    CHECK(unknown[0].status == proto::FetchStatus::not_found);
  }
  Client late(d.socket());
  REQUIRE(late.hello_control());
  auto again = late.request(proto::MessageType::subscribe,
                            proto::encode(proto::Subscribe{proto::event_bit(proto::EventKind::all_members_cached)}));
  REQUIRE(again);
  auto replayed = late.read(2s);
  REQUIRE(replayed);
  proto::Event e;
  REQUIRE(proto::decode(replayed->payload, e));
  CHECK(e.kind == proto::EventKind::all_members_cached);
  CHECK(e.unix_ms == seen[0].unix_ms);
  // The members of another cluster's guild are all there.
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const Ids zero = ids_of(c, 0);
  auto guild = fetch_direct(c, proto::FetchKind::guild, {id_of(zero.guilds.front())}, true);
  REQUIRE(guild[0].status == proto::FetchStatus::found);
  CHECK(count_of(guild[0].json, R"("deaf":)") == 30);
}
