// Commands through the real meganed: to services and clusters, from a control client, from a
// cluster through the SDK (the test bot's relay), and from meganectl.
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

using Clock = std::chrono::steady_clock;

// shards 4 over 2 clusters: cluster 0 has shards 0-1, cluster 1 has shards 2-3. meganed
// busy-polls here (busy_poll_us), so its spinning loop meets deadlines, deaths, broadcasts and
// meganectl end to end; the other suites run the default loop.
const char* config = R"(name = "cmd-test"
[bot]
executable = "@BIN@/megane-test-bot"
[[services]]
name = "echo"
executable = "@BIN@/megane-test-service"
args = ["--exit-on-command"]
[[services]]
name = "slow"
executable = "@BIN@/megane-test-service"
args = ["--slow-ms", "5000"]
[sharding]
shards = 4
clusters = 2
[supervision]
backoff_initial = "100ms"
min_spawn_gap = "50ms"
[ipc]
socket = "@SOCKET@"
busy_poll_us = 200
)";

// The state of every service, by name ("" when unknown or the daemon did not answer).
std::string service_state(Daemon& d, const std::string& name) {
  auto st = d.status();
  return st ? st->service_state(name) : std::string();
}

// The daemon with every cluster and both services ready.
void wait_ready(Daemon& d) {
  REQUIRE(d.wait_all_ready());
  const bool services = wait_until(
      [&] {
        return service_state(d, "echo") == "ready" && service_state(d, "slow") == "ready";
      },
      20s);
  INFO(d.log());
  REQUIRE(services);
}

std::optional<Reply> to_service(Client& c, const std::string& service, const std::string& data,
                                std::uint32_t timeout_ms = 5000) {
  return c.request(proto::MessageType::service_command,
                   proto::encode(proto::ServiceCommand{service, true, timeout_ms, data}),
                   std::chrono::milliseconds(timeout_ms) + 3s);
}

std::optional<Reply> to_clusters(Client& c, proto::CommandTarget kind, std::uint64_t target,
                                 const std::string& data, std::uint32_t timeout_ms = 5000) {
  return c.request(proto::MessageType::cluster_command,
                   proto::encode(proto::ClusterCommand{kind, target, true, timeout_ms, data}),
                   std::chrono::milliseconds(timeout_ms) + 3s);
}

proto::BroadcastReply broadcast_of(const Reply& r) {
  proto::BroadcastReply out;
  REQUIRE_FALSE(r.is_error());
  REQUIRE(proto::decode(r.payload, out));
  return out;
}

// Cluster 0 relays `json` through its own SDK (the test bot's relay) and answers with what
// the SDK gave it.
std::string relay(Client& c, const std::string& json) {
  auto r = to_clusters(c, proto::CommandTarget::cluster, 0, json, 10'000);
  REQUIRE(r);
  const proto::BroadcastReply b = broadcast_of(*r);
  REQUIRE(b.results.size() == 1);
  REQUIRE(b.results[0].status == proto::TargetStatus::ok);
  return b.results[0].data;
}

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

ToolRun meganectl(const TempDir& dir, const Daemon& d, std::vector<std::string> args) {
  args.insert(args.begin(), {"--socket", d.socket().string()});
  return run_meganectl(dir, args);
}

}  // namespace

TEST_CASE("a service command goes there and back and an error answer is 'rejected'", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());

  auto r = to_service(c, "echo", R"({"x":[1,2]})");
  REQUIRE(r);
  CHECK(r->header.type == proto::MessageType::service_command);
  CHECK(r->header.has(proto::FrameFlags::reply));
  REQUIRE_FALSE(r->is_error());
  CHECK(r->text() == R"({"echo":{"x":[1,2]},"service":"echo"})");

  auto failed = to_service(c, "echo", R"("fail")");
  REQUIRE(failed);
  REQUIRE(failed->is_error());
  CHECK(failed->error_code() == proto::ErrorCode::rejected);
  CHECK(failed->error_message().find("asked to fail") != std::string::npos);
}

TEST_CASE("fire-and-forget commands arrive in order and get no reply", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  for (int i = 0; i < 100; ++i) {
    c.send(proto::MessageType::service_command, 0,
           proto::encode(proto::ServiceCommand{"echo", false, 5000, R"({"seq":)" + std::to_string(i) + "}"}));
  }
  auto r = to_service(c, "echo", R"("count")");
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  CHECK(r->text() == R"({"received":100,"in_order":true})");
  // Nothing else arrives: no reply to any of the hundred.
  CHECK_FALSE(c.read(300ms));
}

TEST_CASE("an unknown service is not_found at once", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const auto start = Clock::now();
  auto r = to_service(c, "nope", "1");
  REQUIRE(r);
  REQUIRE(r->is_error());
  CHECK(r->error_code() == proto::ErrorCode::not_found);
  CHECK(since(start) < 2s);
}

TEST_CASE("a service dying mid-request is target_exited at once, not a timeout", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const auto start = Clock::now();
  auto r = to_service(c, "echo", R"("die")", 20'000);
  REQUIRE(r);
  REQUIRE(r->is_error());
  CHECK(r->error_code() == proto::ErrorCode::target_exited);
  CHECK(since(start) < 5s);
  // The service is restarted and answers again. (Its state alone could still read "ready"
  // from before the daemon reaped the dead process: wait for the restart itself.)
  REQUIRE(wait_until([&] {
    const auto st = d.status();
    if (!st) return false;
    for (const auto& s : st->services) {
      if (s.name == "echo") return s.restarts >= 1 && s.state == "ready";
    }
    return false;
  }, 20s));
  auto again = to_service(c, "echo", "2");
  REQUIRE(again);
  CHECK(again->text() == R"({"echo":2,"service":"echo"})");
}

TEST_CASE("a slow service times out at the request's deadline", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const auto start = Clock::now();
  auto r = to_service(c, "slow", "1", 500);
  const auto took = since(start);
  REQUIRE(r);
  REQUIRE(r->is_error());
  CHECK(r->error_code() == proto::ErrorCode::timeout);
  CHECK(took >= 400ms);
  CHECK(took < 3s);
}

TEST_CASE("a broadcast marks a cluster that answers too late 'timeout' and keeps the others' answers",
          "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  // Cluster 0 answers after 2 s; the other has 1.5 s, plenty on a loaded machine.
  auto r = to_clusters(c, proto::CommandTarget::all, 0, R"({"slow_if_cluster":0})", 1500);
  REQUIRE(r);
  const proto::BroadcastReply all = broadcast_of(*r);
  REQUIRE(all.results.size() == 2);
  CHECK(all.results[0].cluster_id == 0);
  CHECK(all.results[0].status == proto::TargetStatus::timeout);
  CHECK(all.results[1].cluster_id == 1);
  CHECK(all.results[1].status == proto::TargetStatus::ok);
  CHECK(all.results[1].data == R"({"echo":{"slow_if_cluster":0},"cluster":1})");

  // The late answer (2 s after the command) is dropped when it comes: nothing reaches the
  // requester, and a broadcast after it gets fresh answers only.
  CHECK_FALSE(c.read(1500ms));
  auto next = to_clusters(c, proto::CommandTarget::all, 0, R"("after")", 5000);
  REQUIRE(next);
  const proto::BroadcastReply fresh = broadcast_of(*next);
  REQUIRE(fresh.results.size() == 2);
  for (const proto::TargetResult& t : fresh.results) {
    CHECK(t.status == proto::TargetStatus::ok);
    CHECK(t.data == R"({"echo":"after","cluster":)" + std::to_string(t.cluster_id) + "}");
  }
}

TEST_CASE("a broadcast answers once per cluster and a cluster that dies is 'exited'", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());

  auto r = to_clusters(c, proto::CommandTarget::all, 0, R"({"n":1})");
  REQUIRE(r);
  const proto::BroadcastReply all = broadcast_of(*r);
  REQUIRE(all.results.size() == 2);
  for (std::uint32_t i = 0; i < 2; ++i) {
    CHECK(all.results[i].cluster_id == i);
    CHECK(all.results[i].status == proto::TargetStatus::ok);
    CHECK(all.results[i].data == R"({"echo":{"n":1},"cluster":)" + std::to_string(i) + "}");
  }

  const auto start = Clock::now();
  auto dying = to_clusters(c, proto::CommandTarget::all, 0, R"({"die_if_cluster":1})", 20'000);
  REQUIRE(dying);
  const proto::BroadcastReply mixed = broadcast_of(*dying);
  CHECK(since(start) < 5s);
  REQUIRE(mixed.results.size() == 2);
  CHECK(mixed.results[0].status == proto::TargetStatus::ok);
  CHECK(mixed.results[1].cluster_id == 1);
  CHECK(mixed.results[1].status == proto::TargetStatus::exited);

  auto failed = to_clusters(c, proto::CommandTarget::cluster, 0, R"("fail")");
  REQUIRE(failed);
  const proto::BroadcastReply one = broadcast_of(*failed);
  REQUIRE(one.results.size() == 1);
  CHECK(one.results[0].status == proto::TargetStatus::error);
  CHECK(one.results[0].data.find("asked to fail") != std::string::npos);

  auto unknown = to_clusters(c, proto::CommandTarget::cluster, 9, "1");
  REQUIRE(unknown);
  REQUIRE(unknown->is_error());
  CHECK(unknown->error_code() == proto::ErrorCode::not_found);
}

TEST_CASE("a guild command goes to the cluster owning the guild's shard", "[integration][commands]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  // shard = (guild >> 22) % 4: shards 2-3 are cluster 1's, 0-1 (and 5 % 4 = 1) cluster 0's.
  const std::pair<std::uint64_t, std::uint32_t> cases[] = {
      {3ull << 22, 1}, {(1ull << 22) + 12345, 0}, {5ull << 22, 0}, {81384788765712384ull, 1}};
  for (const auto& [guild, cluster] : cases) {
    INFO("guild " << guild);
    auto r = to_clusters(c, proto::CommandTarget::guild, guild, R"("g")");
    REQUIRE(r);
    const proto::BroadcastReply b = broadcast_of(*r);
    REQUIRE(b.results.size() == 1);
    CHECK(b.results[0].cluster_id == cluster);
    CHECK(b.results[0].data == R"({"echo":"g","cluster":)" + std::to_string(cluster) + "}");
  }
}

TEST_CASE("the SDK's commands from a cluster: answers and failures are values", "[integration][commands][sdk]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const auto relay = [&](const std::string& json) { return ::relay(c, json); };
  CHECK(relay(R"({"relay":"service","to":"echo","data":{"a":1}})") ==
        R"({"status":"ok","data":{"echo":{"a":1},"service":"echo"}})");
  CHECK(relay(R"({"relay":"service","to":"echo","data":"fail"})") ==
        R"({"status":"rejected","message":"asked to fail"})");
  CHECK(relay(R"({"relay":"service","to":"nope","data":1})").starts_with(R"({"status":"not found")"));
  CHECK(relay(R"({"relay":"service","to":"echo","data":1,"receptive":false})") ==
        R"({"status":"ok","data":null})");

  const auto start = Clock::now();
  CHECK(relay(R"({"relay":"service","to":"slow","data":1,"timeout_ms":300})").starts_with(
      R"({"status":"timed out")"));
  CHECK(since(start) < 3s);

  CHECK(relay(R"({"relay":"clusters","data":"hi"})") ==
        R"({"status":"ok","results":[)"
        R"({"cluster":0,"result":{"status":"ok","data":{"echo":"hi","cluster":0}}},)"
        R"({"cluster":1,"result":{"status":"ok","data":{"echo":"hi","cluster":1}}}]})");
  CHECK(relay(R"({"relay":"clusters","cluster":7,"data":"hi"})").starts_with(R"({"status":"not found")"));
}

TEST_CASE("ipc.request_timeout is the deadline of commands sent without their own",
          "[integration][commands][sdk][meganectl]") {
  TempDir dir;
  // [ipc] ends the config: the key joins it. The slow service answers after 5 s, so every
  // command below gets "timed out" only if the daemon's 400 ms applied (the SDK's and
  // meganectl's own defaults would have waited for the answer).
  Daemon d(dir, std::string(config) + "request_timeout = \"400ms\"\n");
  wait_ready(d);
  Client c(d.socket());
  REQUIRE(c.hello_control());

  auto raw = to_service(c, "slow", "1", 0);
  REQUIRE(raw);
  REQUIRE(raw->is_error());
  CHECK(raw->error_code() == proto::ErrorCode::timeout);

  // CommandOptions{} (no timeout): the SDK sends 0 and the daemon's deadline decides.
  CHECK(relay(c, R"({"relay":"service","to":"slow","data":1})").starts_with(R"({"status":"timed out")"));
  // A timeout of the call's own still wins over the daemon's default.
  CHECK(relay(c, R"({"relay":"service","to":"slow","data":1,"timeout_ms":8000})") ==
        R"({"status":"ok","data":{"echo":1,"service":"slow"}})");

  auto ctl = meganectl(dir, d, {"command", "--service", "slow", "1"});
  CHECK(ctl.exit_code == 1);
  CHECK(ctl.output.find("did not answer in time") != std::string::npos);
}

TEST_CASE("meganectl command, end to end", "[integration][commands][meganectl]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);

  auto service = meganectl(dir, d, {"command", "--service", "echo", R"({"a": 1})"});
  CHECK(service.exit_code == 0);
  CHECK(service.output == "{\"echo\":{\"a\":1},\"service\":\"echo\"}\n");

  auto all = meganectl(dir, d, {"command", "--cluster", "all", R"("x")"});
  CHECK(all.exit_code == 0);
  CHECK(all.output == "cluster 0: ok {\"echo\":\"x\",\"cluster\":0}\n"
                      "cluster 1: ok {\"echo\":\"x\",\"cluster\":1}\n");

  auto json = meganectl(dir, d, {"command", "--guild", std::to_string(3ull << 22), "--json", "1"});
  CHECK(json.exit_code == 0);
  CHECK(json.output == "[{\"cluster\":1,\"status\":\"ok\",\"data\":{\"echo\":1,\"cluster\":1}}]\n");

  auto failed = meganectl(dir, d, {"command", "--cluster", "0", R"("fail")"});
  CHECK(failed.exit_code == 1);
  CHECK(failed.output == "cluster 0: error: asked to fail\n");

  auto missing = meganectl(dir, d, {"command", "--service", "nope", "1"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.starts_with("meganectl: "));

  auto slow = meganectl(dir, d, {"--timeout", "300ms", "command", "--service", "slow", "1"});
  CHECK(slow.exit_code == 1);
  CHECK(slow.output.starts_with("meganectl: "));

  auto invalid = meganectl(dir, d, {"command", "--service", "echo", "not json"});
  CHECK(invalid.exit_code == 2);
  CHECK(invalid.output.find("not valid JSON") != std::string::npos);

  auto quiet = meganectl(dir, d, {"command", "--service", "echo", "--no-reply", R"({"seq":0})"});
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.output.empty());

  auto dying = meganectl(dir, d, {"command", "--cluster", "all", R"({"die_if_cluster":0})"});
  CHECK(dying.exit_code == 1);
  CHECK(dying.output.find("cluster 0: exited") != std::string::npos);
  CHECK(dying.output.find("cluster 1: ok") != std::string::npos);
}

TEST_CASE("meganectl status lists services and restart --service brings a new process", "[integration][commands][meganectl]") {
  TempDir dir;
  Daemon d(dir, config);
  wait_ready(d);

  auto status = meganectl(dir, d, {"status"});
  INFO(status.output);
  CHECK(status.exit_code == 0);
  CHECK(status.output.find("2/2 services ready") != std::string::npos);
  CHECK(status.output.find("NAME  PID") != std::string::npos);
  CHECK(status.output.find("\necho  ") != std::string::npos);

  auto restarted = meganectl(dir, d, {"restart", "--service", "echo"});
  INFO(restarted.output);
  CHECK(restarted.exit_code == 0);
  CHECK(restarted.output.starts_with("service echo: ready"));
  CHECK(service_state(d, "echo") == "ready");

  auto missing = meganectl(dir, d, {"restart", "--service", "nope"});
  CHECK(missing.exit_code == 1);
}
