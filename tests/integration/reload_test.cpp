// `meganectl reload` and SIGHUP through the real meganed: what can change live is applied (a
// new stats interval takes effect at once), what cannot is reported and keeps its running
// value, and a file that does not load changes nothing and comes back as file:line:col.
#include <csignal>
#include <string>

#include <simdjson.h>

#include <megane/proto/command_messages.hpp>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
namespace proto = megane::proto;

namespace {

std::string config_text(const TempDir& dir, int shards, const std::string& interval) {
  return "name = \"reload-test\"\n"
         "[bot]\n"
         "executable = \"" + (bin_dir() / "megane-test-bot").string() + "\"\n"
         "[sharding]\n"
         "shards = " + std::to_string(shards) + "\n"
         "clusters = 2\n"
         "[stats]\n"
         "interval = \"" + interval + "\"\n"
         "[ipc]\n"
         "socket = \"" + (dir.path() / "megane.sock").string() + "\"\n";
}

// The stats reply's collection number and interval.
std::pair<std::uint64_t, double> collection(const fs::path& socket) {
  Client c(socket);
  if (!c.connected() || !c.hello_control()) return {0, 0};
  auto r = c.request(proto::MessageType::stats);
  if (!r || r->is_error()) return {0, 0};
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(r->text()).get(root) != simdjson::SUCCESS) return {0, 0};
  return {std::uint64_t(root["collection"]), double(root["interval_s"])};
}

// Collections keep coming at least every 200 ms: several within a few seconds, where the
// old 30 s interval would give none.
bool collections_flow(const fs::path& socket) {
  const auto start = collection(socket).first;
  return wait_until([&] { return collection(socket).first >= start + 5; }, 10s);
}

}  // namespace

TEST_CASE("reload: applies a new stats interval, reports a shard change as needing a restart",
          "[integration][reload]") {
  TempDir dir;
  Daemon d(dir, config_text(dir, 2, "30s"));
  REQUIRE(d.wait_all_ready());
  dir.write("bot.toml", config_text(dir, 4, "200ms"));

  const auto run = run_meganectl(dir, {"--socket", d.socket().string(), "reload"});
  INFO(run.output);
  INFO(d.log());
  CHECK(run.exit_code == 0);
  CHECK(run.output.find("applied: stats.interval") != std::string::npos);
  CHECK(run.output.find("needs a meganed restart (the running values stay until then): sharding.shards") !=
        std::string::npos);
  CHECK(collections_flow(d.socket()));
  CHECK(collection(d.socket()).second == 0.2);
  auto st = d.status();
  REQUIRE(st);
  CHECK(st->shards_total == 2);  // the plan stays until meganed restarts
  CHECK(st->clusters.size() == 2);
  CHECK(d.log().find("needs a meganed restart (the old values stay in effect): sharding.shards") != std::string::npos);

  // Nothing changed since: said so, exit 0; --json is the daemon's answer.
  const auto again = run_meganectl(dir, {"--socket", d.socket().string(), "reload", "--json"});
  CHECK(again.exit_code == 0);
  CHECK(again.output.find(R"("applied":[],"next_start":[],"needs_restart":["sharding.shards"])") != std::string::npos);
}

TEST_CASE("reload: SIGHUP does the same and publishes config_reloaded", "[integration][reload]") {
  TempDir dir;
  Daemon d(dir, config_text(dir, 2, "30s"));
  REQUIRE(d.wait_all_ready());
  Client events(d.socket());
  REQUIRE(events.hello_control());
  auto sub = events.request(proto::MessageType::subscribe,
                            proto::encode(proto::Subscribe{proto::event_bit(proto::EventKind::config_reloaded)}));
  REQUIRE(sub);
  dir.write("bot.toml", config_text(dir, 4, "200ms"));
  d.process().signal(SIGHUP);

  std::optional<Reply> r = events.read(10s);
  REQUIRE(r);
  proto::Event e;
  REQUIRE(proto::decode(r->payload, e));
  INFO(e.json);
  CHECK(e.kind == proto::EventKind::config_reloaded);
  CHECK(e.json.find(R"("applied":["stats.interval"])") != std::string::npos);
  CHECK(e.json.find(R"("needs_restart":["sharding.shards"])") != std::string::npos);
  CHECK(collections_flow(d.socket()));
  CHECK(d.process().running());
  CHECK(d.log().find("reload (SIGHUP)") != std::string::npos);
}

TEST_CASE("reload: a malformed config changes nothing and says where it is wrong", "[integration][reload]") {
  TempDir dir;
  Daemon d(dir, config_text(dir, 2, "30s"));
  REQUIRE(d.wait_all_ready());
  std::string broken = config_text(dir, 2, "200ms");
  broken.replace(broken.find("clusters = 2"), 12, "clusters = \"two\"");
  dir.write("bot.toml", broken);

  const auto run = run_meganectl(dir, {"--socket", d.socket().string(), "reload"});
  INFO(run.output);
  CHECK(run.exit_code == 78);
  CHECK(run.output.find("bot.toml:6:12: sharding.clusters:") != std::string::npos);
  CHECK(run.output.find("meganed keeps running the previous config") != std::string::npos);
  CHECK(collection(d.socket()).second == 30.0);  // the old interval

  d.process().signal(SIGHUP);  // the same file through the signal: logged, nothing else
  CHECK(wait_until([&] { return d.log().find("reload (SIGHUP)") != std::string::npos; }, 10s));
  CHECK(d.log().find("still running the previous config") != std::string::npos);
  CHECK(d.process().running());
  auto st = d.status();
  REQUIRE(st);
  CHECK(st->all_ready);
  CHECK(collection(d.socket()).second == 30.0);
}
