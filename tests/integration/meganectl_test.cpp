// meganectl against a real meganed running the test bot (the example bot needs a gateway).
#include <sys/wait.h>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

const char* example_config = R"(name = "ctl-test"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 6
clusters = 3
[ipc]
socket = "@SOCKET@"
)";

}  // namespace

TEST_CASE("meganectl status shows every cluster of the example bot", "[integration][meganectl]") {
  TempDir dir;
  Daemon d(dir, example_config);
  REQUIRE(d.wait_all_ready());

  auto table = run_meganectl(dir, {"--socket", d.socket().string(), "status"});
  INFO(table.output);
  CHECK(table.exit_code == 0);
  CHECK(table.output.find("ctl-test: 3/3 clusters ready, 6 shards") != std::string::npos);
  CHECK(table.output.find("CLUSTER  PID") != std::string::npos);
  CHECK(table.output.find("0-1") != std::string::npos);
  CHECK(table.output.find("4-5") != std::string::npos);

  auto json = run_meganectl(dir, {"--config", (dir.path() / "bot.toml").string(), "status", "--json"});
  CHECK(json.exit_code == 0);
  auto st = parse_status(json.output);
  REQUIRE(st);
  CHECK(st->all_ready);
  CHECK(st->clusters.size() == 3);
}

TEST_CASE("meganectl restart --all restarts one cluster at a time and each comes back", "[integration][meganectl]") {
  TempDir dir;
  Daemon d(dir, example_config);
  auto before = d.wait_all_ready();
  REQUIRE(before);
  auto r = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "--all"});
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("[3/3] cluster 2") != std::string::npos);
  auto after = d.status();
  REQUIRE(after);
  CHECK(after->all_ready);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(after->clusters[i].pid != before->clusters[i].pid);
    CHECK(after->clusters[i].restarts == 1);
  }
  // One at a time: the daemon log shows each ready before the next restart was requested.
  const std::string log = d.log();
  const auto ready0 = log.find("cluster 0: ready", log.find("cluster 0: restart requested"));
  const auto ask1 = log.find("cluster 1: restart requested");
  CHECK(ready0 != std::string::npos);
  CHECK(ask1 != std::string::npos);
  CHECK(ready0 < ask1);
}

TEST_CASE("meganectl exit codes: no daemon 69, unknown cluster 1, bad config 78, usage 2", "[integration][meganectl]") {
  TempDir dir;
  CHECK(run_meganectl(dir, {"--socket", (dir.path() / "nobody.sock").string(), "status"}).exit_code == 69);
  CHECK(run_meganectl(dir, {"--config", (fixtures_dir() / "bad_configs" / "toml_zero_shards.toml").string(), "status"}).exit_code == 78);
  CHECK(run_meganectl(dir, {"status"}).exit_code == 2);

  Daemon d(dir, example_config);
  REQUIRE(d.wait_all_ready());
  auto r = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "9"});
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("no cluster 9") != std::string::npos);
}
