// The [metrics] endpoint of the real meganed over 127.0.0.1: every line of /metrics parses as
// OpenMetrics, every cluster and shard is there, and /healthz turns 503 once the shards have
// been down longer than unhealthy_after (fakecord killed).
#include <signal.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"
#include "http_get.hpp"

using namespace megane::test;

namespace {

struct Scrape {
  std::map<std::string, std::string> types;         // family -> type
  std::map<std::string, double> samples;            // name{labels} -> value
  std::vector<std::string> bad_lines;
  bool eof_last = false;
};

// Checks every line: "# TYPE f t", "# HELP f text", samples of a declared family, "# EOF" last.
Scrape parse(const std::string& text) {
  static const std::regex type_line(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|info))");
  static const std::regex help_line(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)");
  static const std::regex sample_line(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (-?[0-9.e+-]+|NaN|[+-]Inf))");
  Scrape s;
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  s.eof_last = !lines.empty() && lines.back() == "# EOF" && text.ends_with("# EOF\n");
  std::string family, type;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      family = m[1];
      type = m[2];
      s.types[family] = type;
    } else if (std::regex_match(line, m, help_line)) {
      if (m[1] != family) s.bad_lines.push_back(line);
    } else if (std::regex_match(line, m, sample_line)) {
      const std::string name = m[1];
      const std::string expected = type == "counter" ? family + "_total" : type == "info" ? family + "_info" : family;
      if (name != expected) s.bad_lines.push_back(line);
      s.samples[name + std::string(m[2])] = std::stod(m[4]);
    } else {
      s.bad_lines.push_back(line);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("metrics: /metrics carries every cluster and shard, /healthz fails once shards stay down",
          "[integration][metrics][gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  const std::uint16_t port = free_port();
  Daemon d(dir, "name = \"metrics-test\"\n"
                "[bot]\n"
                "executable = \"@BIN@/megane-gateway-bot\"\n"
                "[sharding]\n"
                "shards = 4\n"
                "clusters = 2\n"
                + fc.gateway_section() +
                "[stats]\n"
                "interval = \"300ms\"\n"
                "[metrics]\n"
                "listen = \"127.0.0.1:" + std::to_string(port) + "\"\n"
                "unhealthy_after = \"1s\"\n"
                "[ipc]\n"
                "socket = \"@SOCKET@\"\n");
  REQUIRE(d.wait_all_ready(30s));

  Scrape s;
  std::string text;
  const bool all_up = wait_until([&] {
    auto r = http_get(port, "/metrics");
    if (!r || r->status != 200) return false;
    text = r->body;
    s = parse(text);
    int up = 0;
    for (int shard = 0; shard < 4; ++shard) {
      const std::string key = "megane_shard_up{cluster=\"" + std::to_string(shard / 2) + "\",shard=\"" +
                              std::to_string(shard) + "\"}";
      if (s.samples.count(key) && s.samples[key] == 1) ++up;
    }
    // Users come from the caches, filled by the GUILD_CREATEs that follow READY.
    return up == 4 && s.samples["megane_cluster_users{cluster=\"0\"}"] > 0 &&
           s.samples["megane_cluster_users{cluster=\"1\"}"] > 0;
  }, 30s);
  INFO(text);
  CHECK(all_up);
  CHECK(s.bad_lines.empty());
  CHECK(s.eof_last);
  CHECK(s.types["megane_cluster_restarts"] == "counter");
  CHECK(s.types["megane_shard_latency_seconds"] == "gauge");
  for (const char* key : {"megane_cluster_up{cluster=\"0\"}", "megane_cluster_up{cluster=\"1\"}",
                          "megane_cluster_restarts_total{cluster=\"0\"}", "megane_cluster_restarts_total{cluster=\"1\"}",
                          "megane_cluster_resident_memory_bytes{cluster=\"0\"}", "megane_cluster_cpu_ratio{cluster=\"1\"}",
                          "megane_identify_remaining", "megane_stats_collections_total",
                          "megane_daemon_resident_memory_bytes"}) {
    INFO(key);
    CHECK(s.samples.count(key) == 1);
  }
  CHECK(s.samples["megane_cluster_up{cluster=\"0\"}"] == 1);
  // Users per cluster from the SDK's cache, and their sum.
  CHECK(s.types["megane_users"] == "gauge");
  CHECK(s.samples["megane_cluster_users{cluster=\"0\"}"] > 0);
  CHECK(s.samples["megane_cluster_users{cluster=\"1\"}"] > 0);
  CHECK(s.samples["megane_users"] ==
        s.samples["megane_cluster_users{cluster=\"0\"}"] + s.samples["megane_cluster_users{cluster=\"1\"}"]);
  CHECK(text.find(fakecord_token) == std::string::npos);
  const auto metrics = http_get(port, "/metrics");
  REQUIRE(metrics);
  CHECK(metrics->content_type.find("application/openmetrics-text") == 0);

  auto health = http_get(port, "/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");
  auto missing = http_get(port, "/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);

  // Discord goes away: the shards disconnect and keep failing to reconnect.
  fc.proc->signal(SIGKILL);
  // Each shard notices the loss on its own and crosses unhealthy_after at its own moment: the
  // first 503 may list only some of them, so wait until every one is listed.
  const auto lists_every_shard = [&] {
    for (int shard = 0; shard < 4; ++shard) {
      if (health->body.find("shard " + std::to_string(shard) + " down for") == std::string::npos) return false;
    }
    return true;
  };
  const bool unhealthy = wait_until([&] {
    health = http_get(port, "/healthz");
    return health && health->status == 503 && lists_every_shard();
  }, 30s);
  INFO((health ? health->body : std::string("no answer")));
  CHECK(unhealthy);
}
