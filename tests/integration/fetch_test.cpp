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
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

using Clock = std::chrono::steady_clock;

// 4 shards over 2 clusters of the fetch bot: cluster 0 has shards 0-1, cluster 1 shards 2-3.
std::string fetch_config(const Fakecord& fc, const std::string& cache_section, const std::string& extra = "",
                         int intents = 513) {
  return "name = \"fetch-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-fetch-bot\"\n"
         "env = { FETCH_BOT_RECORD = \"@DIR@/record.txt\" }\n"
         "[[services]]\n"
         "name = \"svc\"\n"
         "executable = \"@BIN@/megane-test-service\"\n"
         "[sharding]\n"
         "shards = 4\n"
         "clusters = 2\n"
         + fc.gateway_section() +
         "intents = " + std::to_string(intents) + "\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n" + cache_section + extra;
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

struct Ids {
  std::vector<std::string> guilds, channels, users;
};

// What cluster `cluster` has cached, from the bot's IDS command.
Ids ids_of(Client& c, std::uint32_t cluster) {
  auto r = c.request(proto::MessageType::cluster_command,
                     proto::encode(proto::ClusterCommand{proto::CommandTarget::cluster, cluster, true, 5000, R"({"op":"IDS"})"}),
                     8s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  REQUIRE(b.results.size() == 1);
  REQUIRE(b.results[0].status == proto::TargetStatus::ok);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(b.results[0].data);
  Ids out;
  for (auto [key, list] : {std::pair{"guilds", &out.guilds}, std::pair{"channels", &out.channels}, std::pair{"users", &out.users}}) {
    for (simdjson::dom::element v : doc[key].get_array()) list->emplace_back(std::string_view(v));
  }
  return out;
}

// Asks cluster `from` to fetch through the SDK; its answer: one object per id.
std::string fetch_via(Client& c, std::uint32_t from, const std::string& kind, const std::vector<std::string>& ids,
                      bool members = false, int timeout_ms = 3000) {
  std::string list;
  for (const auto& id : ids) list += (list.empty() ? "\"" : ",\"") + id + "\"";
  const std::string data = R"({"op":"FETCH","kind":")" + kind + R"(","ids":[)" + list + R"(],"members":)" +
                           (members ? "true" : "false") + R"(,"timeout_ms":)" + std::to_string(timeout_ms) + "}";
  auto r = c.request(proto::MessageType::cluster_command,
                     proto::encode(proto::ClusterCommand{proto::CommandTarget::cluster, from, true, 20000, data}), 25s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  REQUIRE(b.results.size() == 1);
  INFO(b.results[0].data);
  REQUIRE(b.results[0].status == proto::TargetStatus::ok);
  return b.results[0].data;
}

// A fetch from the control client itself, merged as the SDK and meganectl merge it.
std::vector<proto::FetchOutcome> fetch_direct(Client& c, proto::FetchKind kind, std::vector<std::uint64_t> ids,
                                              bool members = false, std::uint32_t timeout_ms = 3000) {
  proto::FetchRequest req{kind, members, timeout_ms, ids};
  auto r = c.request(proto::MessageType::fetch, proto::encode(req), std::chrono::milliseconds(timeout_ms) + 3s);
  REQUIRE(r);
  INFO(r->text());
  REQUIRE_FALSE(r->is_error());
  CHECK(r->header.type == proto::MessageType::fetch);
  proto::BroadcastReply b;
  REQUIRE(proto::decode(r->payload, b));
  std::vector<proto::FetchOutcome> out;
  REQUIRE(proto::resolve_fetch(ids, b, out));
  return out;
}

std::uint64_t id_of(const std::string& text) { return std::stoull(text); }

// GUILD_CREATEs follow READY: waits until the two clusters hold all of fakecord's 40 guilds.
void wait_cached(Client& c) {
  const bool all = wait_until([&] { return ids_of(c, 0).guilds.size() + ids_of(c, 1).guilds.size() == 40; }, 20s);
  REQUIRE(all);
}

std::size_t count_of(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

std::string file_text(const fs::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The pid of cluster `id`, once it has one.
pid_t cluster_pid(Daemon& d, std::uint32_t id) {
  auto st = d.status();
  return st && st->clusters.size() > id ? st->clusters[id].pid : 0;
}

}  // namespace

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
  Daemon d(dir, fetch_config(fc, "", "[supervision]\nbackoff_initial = \"5s\"\nmin_spawn_gap = \"50ms\"\n"));
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
    // And once it is back, the guild is there again.
    REQUIRE(d.wait_all_ready(30s));
    CHECK(wait_until([&] { return fetch_direct(c, proto::FetchKind::guild, {gid}, false, 5000)[0].status ==
                                  proto::FetchStatus::found; }, 20s));
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
    // Its shards RESUMEd: no GUILD_CREATEs, so it cannot tell a miss from a gap, and says so
    // rather than letting a fetch read "not found".
    Client c(d.socket());
    REQUIRE(c.hello_control());
    auto unknown = fetch_direct(c, proto::FetchKind::user, {42});
    CHECK(unknown[0].status == proto::FetchStatus::failed);
    CHECK(unknown[0].message.find("resumed an earlier process's session") != std::string::npos);
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
