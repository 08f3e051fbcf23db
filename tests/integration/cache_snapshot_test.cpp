// Cache snapshots through the real meganed, fakecord and the fetch fixture bot: a cluster
// restarted with `meganectl restart` RESUMEs (no IDENTIFY) and answers fetches from the
// snapshot its previous process wrote, with the events it missed meanwhile applied on top; a
// cluster killed with SIGKILL wrote none and keeps saying it cannot tell; a corrupt snapshot
// is logged and not used, and the cluster runs on.
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <megane/proto/fetch_messages.hpp>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "fetch_support.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

// Heartbeats once a minute: a connection made silent below is not noticed as a zombie
// during the test.
std::vector<std::string> fakecord_flags() { return {"--identify-window-ms", "100", "--hello-interval-ms", "60000"}; }

fs::path snapshot_dir(const TempDir& dir) { return dir.path() / "fetch-test.cache"; }  // next to the store

std::uint32_t shard_of(const std::string& guild) { return static_cast<std::uint32_t>((id_of(guild) >> 22) % 4); }

std::string guild_json(Client& c, const std::string& id) {
  auto r = fetch_direct(c, proto::FetchKind::guild, {id_of(id)}, true, 5000);
  INFO(r[0].message);
  REQUIRE(r[0].status == proto::FetchStatus::found);
  CHECK(r[0].cluster_id == 1);
  return r[0].json;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// SIGTERM from outside to cluster 1: a graceful stop, so it writes its snapshot. Waits until
// it has exited and the file is there; `pid` is the stopped process.
fs::path stop_gracefully(Daemon& d, const TempDir& dir, pid_t& pid) {
  pid = cluster_pid(d, 1);
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGTERM) == 0);
  const fs::path file = snapshot_dir(dir) / "cluster-1.jsonl";
  const pid_t stopped = pid;
  REQUIRE(wait_until([&] { return fs::exists(file) && !alive(stopped); }, 10s));
  return file;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("cache snapshot: a restarted cluster RESUMEs with its cache, and what it missed on top",
          "[integration][fetch][snapshot]") {
  Fakecord fc(fakecord_flags());
  TempDir dir;
  Daemon d(dir, fetch_config(fc, ""));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const Ids before = ids_of(c, 1);
  REQUIRE(before.guilds.size() >= 2);
  const std::string changed = before.guilds[0];
  const std::string* untouched = nullptr;
  for (const std::string& g : before.guilds) {
    if (shard_of(g) != shard_of(changed)) untouched = &g;
  }
  if (!untouched) untouched = &before.guilds[1];
  const std::string untouched_before = guild_json(c, *untouched);
  const std::string changed_before = guild_json(c, changed);
  CHECK(count_of(untouched_before, R"("deaf":)") == 5);
  CHECK(mode_of(snapshot_dir(dir)) == 0700);
  const std::uint64_t identifies = fc.stat("identifies", "total");
  const std::uint64_t resumes = fc.stat("resumes", "total");

  // Events the running process never sees: its connection goes silent, fakecord keeps them
  // for the session, and the next process's RESUME replays them.
  const std::string shard = std::to_string(shard_of(changed));
  fc.control("/fault", R"({"shard":)" + shard + R"(,"kind":"silent"})");
  fc.control("/dispatch", R"({"shard":)" + shard + R"(,"t":"GUILD_UPDATE","d":{"id":")" + changed +
                              R"(","name":"Renamed while down"}})");
  fc.control("/dispatch", R"({"shard":)" + shard + R"(,"t":"GUILD_MEMBER_ADD","d":{"guild_id":")" + changed +
                              R"(","user":{"id":"4242","username":"newcomer","discriminator":"0"},"roles":[],)"
                              R"("joined_at":"2025-01-01T00:00:00+00:00","deaf":false,"mute":false}})");

  auto restart = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "1"});
  INFO(restart.output);
  REQUIRE(restart.exit_code == 0);
  REQUIRE(d.wait_all_ready(30s));
  INFO(d.log());
  CHECK(fc.stat("identifies", "total") == identifies);  // RESUMEd, not re-identified
  CHECK(fc.stat("resumes", "total") >= resumes + 2);
  CHECK(d.log().find("cache snapshot written: ") != std::string::npos);
  CHECK(d.log().find("cache restored from the snapshot: ") != std::string::npos);

  // The same guild as before the restart, members and all, without one GUILD_CREATE.
  CHECK(guild_json(c, *untouched) == untouched_before);
  const Ids after = ids_of(c, 1);
  CHECK(sorted(after.guilds) == sorted(before.guilds));
  CHECK(sorted(after.channels) == sorted(before.channels));
  // The missed events, replayed onto the snapshot.
  const std::string changed_after = guild_json(c, changed);
  CHECK(changed_after.find(R"("name":"Renamed while down")") != std::string::npos);
  CHECK(changed_after.find(R"("id":"4242","username":"newcomer")") != std::string::npos);
  CHECK(count_of(changed_after, R"("deaf":)") == count_of(changed_before, R"("deaf":)") + 1);
  // The cache is complete again: a miss is "not found", not "cannot tell".
  auto unknown = fetch_direct(c, proto::FetchKind::user, {42});
  CHECK(unknown[0].status == proto::FetchStatus::not_found);
  CHECK_FALSE(fs::exists(snapshot_dir(dir) / "cluster-1.jsonl"));  // read once, then removed
  CHECK(d.log().find(fakecord_token) == std::string::npos);
}

TEST_CASE("cache snapshot: a cluster killed with SIGKILL wrote none: its next process cannot tell",
          "[integration][fetch][snapshot]") {
  Fakecord fc(fakecord_flags());
  TempDir dir;
  // A snapshot left by an earlier meganed: its sessions are gone, so meganed removes it at start.
  fs::create_directories(snapshot_dir(dir));
  fs::permissions(snapshot_dir(dir), fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  dir.write("fetch-test.cache/cluster-1.jsonl", "{\"megane_cache_snapshot\":1}\n");
  Daemon d(dir, fetch_config(fc, "", "[supervision]\nbackoff_initial = \"100ms\"\nmin_spawn_gap = \"50ms\"\n"));
  REQUIRE(d.wait_all_ready(30s));
  CHECK(d.log().find("cache snapshots: removed 1 left by an earlier meganed") != std::string::npos);
  CHECK(mode_of(snapshot_dir(dir)) == 0700);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const std::uint64_t identifies = fc.stat("identifies", "total");
  const pid_t pid = cluster_pid(d, 1);
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);
  REQUIRE(wait_until([&] { return cluster_pid(d, 1) != pid && cluster_pid(d, 1) > 0; }, 10s));
  REQUIRE(d.wait_all_ready(30s));
  INFO(d.log());
  CHECK(fc.stat("identifies", "total") == identifies);
  CHECK(d.log().find("no cache snapshot: 2 shards RESUME with an empty cache") != std::string::npos);
  // A guild id of shard 2 that no guild has: what the RESUME replayed may be cached, but a miss
  // cannot be told from a gap.
  auto guild = fetch_direct(c, proto::FetchKind::guild, {std::uint64_t{2} << 22}, false, 5000);
  CHECK(guild[0].status == proto::FetchStatus::failed);
  CHECK(guild[0].message.find("resumed an earlier process's session") != std::string::npos);
  auto unknown = fetch_direct(c, proto::FetchKind::user, {42});
  CHECK(unknown[0].status == proto::FetchStatus::failed);
  CHECK(unknown[0].message.find("cannot tell") != std::string::npos);
}

TEST_CASE("cache snapshot: a corrupt snapshot is not used: a warning, error answers, the cluster runs",
          "[integration][fetch][snapshot]") {
  Fakecord fc(fakecord_flags());
  TempDir dir;
  // The cluster waits out the backoff after its graceful stop: long enough to damage the file.
  Daemon d(dir, fetch_config(fc, "", slow_restart));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  const Ids one = ids_of(c, 1);
  pid_t pid = 0;
  const fs::path file = stop_gracefully(d, dir, pid);
  CHECK(mode_of(file) == 0600);
  const std::string text = file_text(file);
  const std::size_t header_end = text.find('\n');
  REQUIRE(header_end != std::string::npos);
  INFO(text.substr(0, header_end));
  CHECK(text.rfind(R"({"megane_cache_snapshot":1,"cluster":1,"total_shards":4,)", 0) == 0);
  CHECK(text.find(R"("guilds":)" + std::to_string(one.guilds.size()) + "}") < header_end);
  CHECK(text.find(R"({"t":"GUILD_CREATE","d":{"id":")" + one.guilds.front() + "\"") != std::string::npos);
  CHECK(text.find(fakecord_token) == std::string::npos);
  // Cut in the middle of a guild.
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text.substr(0, header_end + 1 + (text.size() - header_end) / 2);
  }

  REQUIRE(wait_until([&] { return cluster_pid(d, 1) > 0 && cluster_pid(d, 1) != pid; }, 15s));
  REQUIRE(d.wait_all_ready(30s));
  INFO(d.log());
  CHECK(d.log().find("cache snapshot " + file.string() + " not used (") != std::string::npos);
  CHECK(d.log().find("starting with an empty cache") != std::string::npos);
  auto guild = fetch_direct(c, proto::FetchKind::guild, {std::uint64_t{2} << 22}, false, 5000);
  CHECK(guild[0].status == proto::FetchStatus::failed);
  CHECK(guild[0].message.find("cannot tell") != std::string::npos);
  CHECK_FALSE(fs::exists(file));
  auto st = d.status();
  REQUIRE(st);
  CHECK(st->clusters[1].state == "ready");
}

TEST_CASE("cache snapshot: a restored shard that must IDENTIFY again drops the guilds READY no longer lists",
          "[integration][fetch][snapshot]") {
  Fakecord fc(fakecord_flags());
  TempDir dir;
  Daemon d(dir, fetch_config(fc, "", slow_restart));
  REQUIRE(d.wait_all_ready(30s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  wait_cached(c);
  pid_t pid = 0;
  const fs::path file = stop_gracefully(d, dir, pid);
  // A guild of shard 2 that fakecord does not have, as if the bot had left it while down.
  const std::uint64_t left = std::uint64_t{1000002} << 22;
  REQUIRE(shard_of(std::to_string(left)) == 2);
  std::string text = file_text(file);
  const std::size_t header_end = text.find('\n');
  const std::size_t count_at = text.rfind(R"("guilds":)", header_end);
  REQUIRE(count_at != std::string::npos);
  const std::size_t digits = count_at + 9;
  const std::size_t count = std::stoul(text.substr(digits, header_end - 1 - digits));
  text = text.substr(0, digits) + std::to_string(count + 1) + "}\n" + text.substr(header_end + 1) +
         R"({"t":"GUILD_CREATE","d":{"id":")" + std::to_string(left) +
         R"(","name":"Left while down","owner_id":"1","roles":[],"channels":[],"members":[]}})" + "\n";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
  }

  REQUIRE(wait_until([&] { return cluster_pid(d, 1) > 0 && cluster_pid(d, 1) != pid; }, 15s));
  REQUIRE(d.wait_all_ready(30s));
  INFO(d.log());
  auto restored = fetch_direct(c, proto::FetchKind::guild, {left}, false, 5000);
  REQUIRE(restored[0].status == proto::FetchStatus::found);  // from the snapshot
  CHECK(restored[0].json.find(R"("name":"Left while down")") != std::string::npos);

  // Shard 2's session ends: it IDENTIFYs, and READY does not list that guild.
  const std::uint64_t identifies = fc.stat("identifies", "total");
  fc.control("/fault", R"({"shard":2,"kind":"invalid_session"})");
  CHECK(wait_until([&] {
    return fetch_direct(c, proto::FetchKind::guild, {left}, false, 5000)[0].status == proto::FetchStatus::not_found;
  }, 20s));
  CHECK(fc.stat("identifies", "total") == identifies + 1);
  CHECK(d.log().find("shard 2 identified again: 1 guilds of its cache snapshot are gone from READY") != std::string::npos);
  const Ids one = ids_of(c, 1);
  CHECK(std::find(one.guilds.begin(), one.guilds.end(), std::to_string(left)) == one.guilds.end());
}
