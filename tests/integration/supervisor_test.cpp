// meganed supervising real bots: placement, restarts, backoff, quarantine, stop, daemon death.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

// Fast supervision so tests take seconds, not minutes.
std::string config(const std::string& bot_args, const std::string& sharding,
                   const std::string& supervision_extra = "") {
  return R"(name = "itest"
[bot]
executable = "@BIN@/megane-test-bot"
args = [)" + bot_args + R"(]
[sharding]
)" + sharding + R"(
[supervision]
ready_timeout = "10s"
stop_timeout = "2s"
heartbeat_interval = "200ms"
heartbeat_timeout = "1s"
backoff_initial = "100ms"
backoff_max = "400ms"
min_spawn_gap = "50ms"
)" + supervision_extra + R"(
[ipc]
socket = "@SOCKET@"
)";
}

std::string cores_of_plan(const ClusterStatus& c) {
  std::string out;
  for (int core : c.cores) out += (out.empty() ? "" : ",") + std::to_string(core);
  return out;
}

}  // namespace

TEST_CASE("4 clusters over 8 shards: each pinned as planned, every shard once", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("", "shards = 8\nclusters = 4\ncores = [0, 1]"));
  auto st = d.wait_all_ready();
  REQUIRE(st);
  REQUIRE(st->clusters.size() == 4);
  CHECK(st->shards_total == 8);
  std::multiset<std::uint32_t> seen;
  for (const auto& c : st->clusters) {
    REQUIRE(c.pid > 0);
    CHECK(c.state == "ready");
    CHECK(c.shards.size() == 2);
    seen.insert(c.shards.begin(), c.shards.end());
    // The kernel's view of the running process matches the plan.
    CHECK(proc_status_field(c.pid, "Cpus_allowed_list") == cores_of_plan(c));
    CHECK(c.cores == std::vector<int>{static_cast<int>(c.id % 2)});
  }
  CHECK(seen == std::multiset<std::uint32_t>{0, 1, 2, 3, 4, 5, 6, 7});
}

TEST_CASE("kill -9 one cluster: it comes back ready, the others keep their pids", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("", "shards = 6\nclusters = 3"));
  auto before = d.wait_all_ready();
  REQUIRE(before);
  const pid_t victim = before->clusters[1].pid;
  REQUIRE(::kill(victim, SIGKILL) == 0);
  std::optional<Status> after;
  REQUIRE(wait_until(
      [&] {
        after = d.status();
        return after && after->all_ready && after->clusters[1].pid != victim;
      },
      15s));
  CHECK(after->clusters[0].pid == before->clusters[0].pid);
  CHECK(after->clusters[2].pid == before->clusters[2].pid);
  CHECK(after->clusters[1].restarts == 1);
  CHECK(after->clusters[1].last_exit.find("signal 9") != std::string::npos);
  CHECK_FALSE(alive(victim));
}

TEST_CASE("a cluster that always exits at once: growing backoff then quarantine while the daemon stays up",
          "[integration][supervisor]") {
  TempDir dir;
  const auto stamps = dir.path() / "spawns.txt";
  Daemon d(dir, R"(name = "itest"
[bot]
executable = "@FIXTURES@/bin/crash-bot"
env = { CRASH_BOT_STAMPS = ")" + stamps.string() + R"(" }
[sharding]
shards = 2
clusters = 2
[supervision]
backoff_initial = "200ms"
backoff_max = "1600ms"
min_spawn_gap = "10ms"
crash_window = "1m"
crash_limit = 4
quarantine_for = "0s"
[ipc]
socket = "@SOCKET@"
)");
  std::optional<Status> st;
  REQUIRE(wait_until(
      [&] {
        st = d.status();
        return st && st->clusters[0].state == "quarantined" && st->clusters[1].state == "quarantined";
      },
      20s));
  CHECK(st->clusters[0].restarts == 3);  // 4 crashes in the window: 1 spawn + 3 restarts
  CHECK(d.process().running());
  CHECK(d.log().find("quarantined after 4 failures") != std::string::npos);

  // The gaps between spawns of cluster 0 grow: the last one is at least 2x the first
  // (backoff 200 ms -> 800 ms with jitter in [half, full]).
  std::ifstream in(stamps);
  std::vector<double> times;
  for (std::string id, t; in >> id >> t;)
    if (id == "0") times.push_back(std::stod(t));
  REQUIRE(times.size() == 4);
  const double first_gap = times[1] - times[0];
  const double last_gap = times[3] - times[2];
  CHECK(first_gap >= 0.1);
  CHECK(last_gap > first_gap);

  // Still quarantined a while later: no tight loop.
  std::this_thread::sleep_for(300ms);
  auto later = d.status();
  REQUIRE(later);
  CHECK(later->clusters[0].restarts == 3);
}

TEST_CASE("a cluster and its grandchild ignoring SIGTERM: the whole group is gone after the stop timeout",
          "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("\"--ignore-sigterm\", \"--spawn-grandchild\"", "shards = 1\nclusters = 1"));
  auto st = d.wait_all_ready();
  REQUIRE(st);
  const pid_t leader = st->clusters[0].pid;
  REQUIRE(wait_until([&] { return processes_in_group(leader).size() >= 2; }, 5s));
  const auto t0 = std::chrono::steady_clock::now();
  d.process().signal(SIGTERM);
  auto exit_status = d.process().wait(15s);
  REQUIRE(exit_status);
  CHECK(WIFEXITED(*exit_status));
  CHECK(WEXITSTATUS(*exit_status) == 0);
  CHECK(processes_in_group(leader).empty());
  // Bounded: stop_timeout (2 s) plus slack, not forever.
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  CHECK(d.log().find("sending SIGKILL") != std::string::npos);
}

TEST_CASE("kill -9 the daemon: no cluster process survives it", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("", "shards = 4\nclusters = 4"));
  auto st = d.wait_all_ready();
  REQUIRE(st);
  std::vector<pid_t> pids;
  for (const auto& c : st->clusters) pids.push_back(c.pid);
  d.process().signal(SIGKILL);
  REQUIRE(d.process().wait(5s));
  const bool all_gone = wait_until(
      [&] {
        reap_orphans();
        return std::none_of(pids.begin(), pids.end(), [](pid_t p) { return alive(p); });
      },
      5s);
  CHECK(all_gone);
}

TEST_CASE("a hung cluster (ready, then deaf to heartbeats) is restarted", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("\"--hang-after\", \"300\"", "shards = 2\nclusters = 2"));
  REQUIRE(d.wait_all_ready());
  std::optional<Status> st;
  REQUIRE(wait_until(
      [&] {
        st = d.status();
        return st && st->clusters[0].restarts >= 1;
      },
      15s));
  CHECK(st->clusters[0].last_exit.find("hung") != std::string::npos);
  CHECK(d.log().find("no answer to heartbeats") != std::string::npos);
}

TEST_CASE("a cluster exiting with the do-not-restart code stays down and says why", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("\"--exit-after\", \"100\", \"--exit-code\", \"78\"", "shards = 1\nclusters = 1"));
  std::optional<Status> st;
  REQUIRE(wait_until(
      [&] {
        st = d.status();
        return st && st->clusters[0].state == "failed";
      },
      15s));
  std::this_thread::sleep_for(500ms);
  st = d.status();
  REQUIRE(st);
  CHECK(st->clusters[0].state == "failed");
  CHECK(st->clusters[0].restarts == 0);
  CHECK(d.log().find("do-not-restart") != std::string::npos);
}

TEST_CASE("children get their identity but not the daemon's NOTIFY_SOCKET", "[integration][supervisor]") {
  TempDir dir;
  Daemon d(dir, config("", "shards = 2\nclusters = 1"));
  auto st = d.wait_all_ready();
  REQUIRE(st);
  const std::string env = proc_environ(st->clusters[0].pid);
  CHECK(env.find("MEGANE_ROLE=cluster") != std::string::npos);
  CHECK(env.find("MEGANE_CLUSTER_ID=0") != std::string::npos);
  CHECK(env.find("MEGANE_SOCKET=" + d.socket().string()) != std::string::npos);
  CHECK(env.find("NOTIFY_SOCKET") == std::string::npos);
}
