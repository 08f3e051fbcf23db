// The whole gateway path: fakecord, meganed (token, /gateway/bot, identify permits, sessions)
// and real cluster processes using the SDK's gateway client.
#include <fstream>
#include <set>
#include <string>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

// `shards` shards over `clusters` clusters of the gateway fixture bot, recording message ids.
std::string gateway_config(const Fakecord& fc, int shards, int clusters, const std::string& extra_gateway = "",
                           const std::string& extra_tables = "") {
  return "name = \"gw-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-gateway-bot\"\n"
         "env = { GATEWAY_BOT_RECORD = \"@DIR@/messages.txt\" }\n"
         "[sharding]\n"
         "shards = " + std::to_string(shards) + "\n"
         "clusters = " + std::to_string(clusters) + "\n"
         "[gateway]\n"
         "token_file = \"" + fc.token_file.string() + "\"\n"
         "gateway_url = \"" + fc.gateway_url() + "\"\n"
         "api_url = \"" + fc.api_url() + "\"\n"
         + (extra_gateway.find("identify_window") == std::string::npos ? "identify_window = \"100ms\"\n" : "") +
         extra_gateway +
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n" + extra_tables;
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::uint64_t identifies(Fakecord& fc) { return fc.stat("identifies", "total"); }

}  // namespace

TEST_CASE("gateway e2e: 4 shards over 2 clusters IDENTIFY through meganed and get READY", "[integration][gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, gateway_config(fc, 4, 2));
  REQUIRE(d.wait_all_ready(30s));
  CHECK(identifies(fc) == 4);
  auto json = run_meganectl(dir, {"--socket", d.socket().string(), "status", "--json"});
  INFO(json.output);
  CHECK(json.output.find(R"("state":"ready")") != std::string::npos);
  // The token never shows in the daemon's log or the status.
  CHECK(d.log().find(fakecord_token) == std::string::npos);
  CHECK(json.output.find(fakecord_token) == std::string::npos);
}

TEST_CASE("gateway e2e: restarting a cluster RESUMEs every shard: 0 identifies, no event lost or repeated",
          "[integration][gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, gateway_config(fc, 4, 1));
  REQUIRE(d.wait_all_ready(30s));
  REQUIRE(identifies(fc) == 4);

  // Messages keep coming while the cluster stops and starts again.
  fc.control("/burst", R"({"shard":"all","event":"MESSAGE_CREATE","count":1500,"rate":1000})");
  const auto restart = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "0"});
  INFO(restart.output);
  REQUIRE(restart.exit_code == 0);
  REQUIRE(d.wait_all_ready(30s));
  const fs::path record = dir.path() / "messages.txt";
  const bool all = wait_until([&] { return lines_of(record).size() >= 6000; }, 30s);
  const auto ids = lines_of(record);
  INFO(fc.stats());
  CHECK(all);
  CHECK(ids.size() == 6000);  // 1500 per shard, each exactly once
  CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
  CHECK(identifies(fc) == 4);
  CHECK(fc.stat("resumes", "total") == 4);
  CHECK(fc.stat("resumes", "failed") == 0);
}

TEST_CASE("gateway e2e: a fatal close stops the cluster for good and meganed logs why", "[integration][gateway]") {
  Fakecord fc({"--identify-window-ms", "100", "--privileged-intents", "none"});
  TempDir dir;
  Daemon d(dir, gateway_config(fc, 1, 1, "intents = 515\n"));  // + GUILD_MEMBERS, privileged
  const bool failed = wait_until([&] {
    auto st = d.status();
    return st && !st->clusters.empty() && st->clusters[0].state == "failed";
  }, 30s);
  INFO(d.log());
  CHECK(failed);
  CHECK(d.log().find("4014") != std::string::npos);
  CHECK(d.log().find("disallowed intents") != std::string::npos);
  CHECK(identifies(fc) == 0);
}

TEST_CASE("gateway e2e: waiting for identify permits does not count against ready_timeout", "[integration][gateway]") {
  // 5 shards, one bucket, 700 ms apart: the last permit comes ~2.8 s after the first, past the
  // 1.5 s ready_timeout. The cluster is waiting its turn, not hung.
  Fakecord fc({"--identify-window-ms", "700"});
  TempDir dir;
  Daemon d(dir, gateway_config(fc, 5, 1, "identify_window = \"700ms\"\n", "[supervision]\nready_timeout = \"1500ms\"\n"));
  auto st = d.wait_all_ready(30s);
  REQUIRE(st);
  INFO(d.log());
  CHECK(st->clusters[0].restarts == 0);
  CHECK(identifies(fc) == 5);
}
