// Rolling restarts through the real meganed and meganectl: every cluster once, in id order,
// each back to ready before the next; gateway shards RESUME (fakecord counts 0 new
// IDENTIFYs); a cluster that does not come back stops the run and is named; one run at a time.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;
namespace proto = megane::proto;

namespace {

std::string gateway_bot_config(const Fakecord& fc, int shards, int clusters) {
  return "name = \"rolling-gw\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-gateway-bot\"\n"
         "[sharding]\n"
         "shards = " + std::to_string(shards) + "\n"
         "clusters = " + std::to_string(clusters) + "\n"
         + fc.gateway_section() +
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n";
}

std::string test_bot_config(const std::string& args) {
  return "name = \"rolling-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-test-bot\"\n"
         "args = [" + args + "]\n"
         "[sharding]\n"
         "shards = 4\n"
         "clusters = 4\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n";
}

// Subscribes a control connection to `mask`.
std::unique_ptr<Client> subscriber(const fs::path& socket, std::uint32_t mask) {
  auto c = std::make_unique<Client>(socket);
  REQUIRE(c->connected());
  REQUIRE(c->hello_control());
  auto r = c->request(proto::MessageType::subscribe, proto::encode(proto::Subscribe{mask}));
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  return c;
}

// Every event that arrives until none came for `quiet`.
std::vector<proto::Event> drain(Client& c, std::chrono::milliseconds quiet = 1500ms) {
  std::vector<proto::Event> out;
  while (auto r = c.read(quiet)) {
    proto::Event e;
    if (r->header.type == proto::MessageType::event && proto::decode(r->payload, e)) out.push_back(std::move(e));
  }
  return out;
}

// The number after "\"cluster\":" in an event's JSON, or -1.
long cluster_of(const proto::Event& e) {
  const auto at = e.json.find("\"cluster\":");
  return at == std::string::npos ? -1 : std::stol(e.json.substr(at + 10));
}

}  // namespace

TEST_CASE("rolling restart: 4 clusters restart once each, in order, and RESUME with 0 identifies",
          "[integration][restarts][gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, gateway_bot_config(fc, 4, 4));
  auto before = d.wait_all_ready(30s);
  REQUIRE(before);
  REQUIRE(fc.stat("identifies", "total") == 4);
  using K = proto::EventKind;
  auto events = subscriber(d.socket(), proto::event_bit(K::cluster_spawned) | proto::event_bit(K::cluster_ready) |
                                           proto::event_bit(K::rolling_restart_started) |
                                           proto::event_bit(K::rolling_restart_finished));

  const auto run = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "--all"});
  INFO(run.output);
  INFO(d.log());
  REQUIRE(run.exit_code == 0);
  for (int i = 0; i < 4; ++i) {
    CHECK(run.output.find("[" + std::to_string(i + 1) + "/4] cluster " + std::to_string(i) + ": restarting... ready") !=
          std::string::npos);
  }

  // In order: cluster i is spawned, then ready, before cluster i+1 is spawned; each once.
  const auto seen = drain(*events);
  std::vector<std::pair<K, long>> sequence;
  for (const auto& e : seen) sequence.emplace_back(e.kind, cluster_of(e));
  REQUIRE(sequence.size() == 10);
  CHECK(sequence.front().first == K::rolling_restart_started);
  CHECK(sequence.back().first == K::rolling_restart_finished);
  for (long i = 0; i < 4; ++i) {
    CHECK(sequence[1 + 2 * i] == std::pair{K::cluster_spawned, i});
    CHECK(sequence[2 + 2 * i] == std::pair{K::cluster_ready, i});
  }

  auto after = d.status();
  REQUIRE(after);
  for (std::size_t i = 0; i < 4; ++i) {
    CHECK(after->clusters[i].restarts == 1);
    CHECK(after->clusters[i].pid != before->clusters[i].pid);
    CHECK(after->clusters[i].state == "ready");
  }
  INFO(fc.stats());
  CHECK(fc.stat("identifies", "total") == 4);  // no new IDENTIFY: every shard resumed
  CHECK(fc.stat("resumes", "total") == 4);
  CHECK(fc.stat("resumes", "failed") == 0);
}

TEST_CASE("rolling restart: stops at a cluster that does not come back and names it", "[integration][restarts]") {
  TempDir dir;
  const fs::path doomed = dir.path() / "doomed";
  Daemon d(dir, test_bot_config("\"--crash-on-start-file\", \"" + doomed.string() + "\""));
  auto before = d.wait_all_ready();
  REQUIRE(before);
  dir.write("doomed", "2\n");  // cluster 2's next process exits at once

  const auto run = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "--rolling"});
  INFO(run.output);
  INFO(d.log());
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("[3/4] cluster 2: restarting... failed") != std::string::npos);
  CHECK(run.output.find("cluster 2: exited before it was ready again (exit code 1)") != std::string::npos);
  CHECK(run.output.find("1 clusters after it were not restarted") != std::string::npos);
  auto after = d.status();
  REQUIRE(after);
  CHECK(after->clusters[0].restarts == 1);
  CHECK(after->clusters[1].restarts == 1);
  CHECK(after->clusters[3].restarts == 0);
  CHECK(after->clusters[3].pid == before->clusters[3].pid);  // never touched
  CHECK(d.log().find("rolling restart stopped at 3 of 4") != std::string::npos);
}

TEST_CASE("rolling restart: one at a time, so a second request is refused as busy and --json shows progress",
          "[integration][restarts]") {
  TempDir dir;
  Daemon d(dir, test_bot_config("\"--ready-after\", \"1500\""));
  REQUIRE(d.wait_all_ready());

  Client first(d.socket());
  REQUIRE(first.hello_control());
  first.send(proto::MessageType::rolling_restart, 7, proto::encode(proto::RollingRestart{30'000}));
  // The first request is taken before this one: the daemon reads one connection's frames in
  // order, and this connection handshakes after the other sent its request.
  const bool refused = wait_until([&] {
    Client second(d.socket());
    if (!second.hello_control()) return false;
    auto r = second.request(proto::MessageType::rolling_restart, proto::encode(proto::RollingRestart{30'000}));
    return r && r->is_error() && r->error_code() == proto::ErrorCode::busy &&
           r->error_message().find("a rolling restart is already running") != std::string::npos;
  }, 5s);
  CHECK(refused);
  const auto busy = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "--all", "--json"});
  CHECK(busy.exit_code == 1);
  CHECK(busy.output.find("already running") != std::string::npos);

  std::optional<Reply> done;
  while ((done = first.read(30s)) && !(done->header.has(proto::FrameFlags::reply) && done->header.request_id == 7)) {
  }
  REQUIRE(done);
  INFO(done->text());
  CHECK_FALSE(done->is_error());
  CHECK(done->text().find("\"clusters\":4") != std::string::npos);

  // Now free again; --json prints one line per progress event, then the result.
  const auto json = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "--all", "--json"});
  INFO(json.output);
  CHECK(json.exit_code == 0);
  CHECK(json.output.find(R"({"kind":"rolling_restart_started")") != std::string::npos);
  CHECK(json.output.find(R"("phase":"ready")") != std::string::npos);
  CHECK(json.output.find(R"({"clusters":4,"seconds":)") != std::string::npos);
}
