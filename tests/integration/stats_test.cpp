// Statistics through the real meganed: CPU shares measured from /proc (one cluster burns a
// core, the other idles), custom stats merged, the stats_updated event, meganectl stats, and
// the gateway figures (shards, guilds, events per second) reported by real SDK clusters
// against fakecord. CPU checks are about measured shares with wide bands, waited for
// ("eventually"), never about timing.
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

std::string test_bot_config(const std::string& args) {
  return "name = \"stats-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-test-bot\"\n"
         "args = [" + args + "]\n"
         "[sharding]\n"
         "shards = 2\n"
         "clusters = 2\n"
         "[stats]\n"
         "interval = \"500ms\"\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n";
}

std::string stats_text(const fs::path& socket) {
  Client c(socket);
  if (!c.connected() || !c.hello_control()) return {};
  auto r = c.request(proto::MessageType::stats);
  return r && !r->is_error() ? r->text() : std::string();
}

// One cluster's figures from the last collection; nullopt before one that has it.
struct ClusterFigures {
  std::optional<double> cpu_percent;
  std::uint64_t rss_bytes = 0;
  bool reported = false;
  std::string custom;  // minified, "" when null
  std::uint64_t guilds = 0;
  std::optional<std::uint64_t> users;  // null without a gateway
  std::uint64_t total_users = 0;       // the collection's totals.users
  double events_per_second = 0;
  std::size_t shards = 0, shards_ready = 0;
};

std::optional<ClusterFigures> cluster_figures(const std::string& json, std::uint64_t id) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (json.empty() || parser.parse(json).get(root) != simdjson::SUCCESS) return std::nullopt;
  std::uint64_t collection = 0;
  if (root["collection"].get(collection) != simdjson::SUCCESS || collection == 0) return std::nullopt;
  for (simdjson::dom::element c : root["clusters"].get_array()) {
    if (std::uint64_t(c["id"]) != id) continue;
    ClusterFigures f;
    double cpu = 0;
    if (c["cpu_percent"].get(cpu) == simdjson::SUCCESS) f.cpu_percent = cpu;
    std::uint64_t rss = 0;
    if (c["rss_bytes"].get(rss) == simdjson::SUCCESS) f.rss_bytes = rss;
    f.reported = c["reported"].get_bool().value();
    if (!c["custom"].is_null()) f.custom = simdjson::minify(c["custom"].value());
    f.guilds = std::uint64_t(c["guilds"]);
    std::uint64_t users = 0;
    if (c["users"].get(users) == simdjson::SUCCESS) f.users = users;
    f.total_users = std::uint64_t(root["totals"]["users"]);
    f.events_per_second = double(c["events_per_second"]);
    for (simdjson::dom::element s : c["shards"].get_array()) {
      ++f.shards;
      if (std::string_view(s["state"]) == "ready") ++f.shards_ready;
    }
    return f;
  }
  return std::nullopt;
}

}  // namespace

// The machine's 1-minute load average per CPU: on a shared, overloaded host a busy thread
// cannot get a whole core, whatever meganed measures.
static double load_per_cpu() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return load / static_cast<double>(cpus > 0 ? cpus : 1);
}

TEST_CASE("stats: a cluster burning a core reads near 100 % CPU, an idle one near 0 %", "[integration][stats]") {
  TempDir dir;
  Daemon d(dir, test_bot_config(R"("--burn", "0")"));
  REQUIRE(d.wait_all_ready());
  std::optional<ClusterFigures> burner, idle;
  std::string json;
  // Load-independent: the burner reads far above the idle cluster in the same collection.
  const bool apart = wait_until([&] {
    json = stats_text(d.socket());
    burner = cluster_figures(json, 0);
    idle = cluster_figures(json, 1);
    return burner && idle && burner->cpu_percent && idle->cpu_percent &&
           *burner->cpu_percent > 3 * *idle->cpu_percent + 10;
  }, 30s);
  INFO(json);
  CHECK(apart);
  const bool idle_seen = wait_until([&] {
    idle = cluster_figures(stats_text(d.socket()), 1);
    return idle && idle->cpu_percent && *idle->cpu_percent < 20;
  }, 30s);
  CHECK(idle_seen);
  // Near a whole core unless the host is too busy to give one to anybody.
  double best = 0;
  const bool busy_seen = wait_until([&] {
    burner = cluster_figures(stats_text(d.socket()), 0);
    if (burner && burner->cpu_percent) best = std::max(best, *burner->cpu_percent);
    return best > 50;
  }, 20s);
  if (!busy_seen && load_per_cpu() > 1.0) {
    WARN("the burning cluster read at most " << best << " % with a load of " << load_per_cpu()
                                             << " per CPU: the host is overloaded");
  } else {
    CHECK(busy_seen);
  }
  // Per interval, not cumulative: one busy thread never reads much above one core.
  CHECK(best < 150);
  REQUIRE(burner);
  CHECK(burner->rss_bytes > 0);
}

TEST_CASE("stats: custom stats from get_stats() are merged, a non-object is dropped with a warning",
          "[integration][stats]") {
  SECTION("an object") {
    TempDir dir;
    Daemon d(dir, test_bot_config(R"("--custom-stats", "{ \"answer\": 42, \"list\": [1, 2] }")"));
    REQUIRE(d.wait_all_ready());
    std::optional<ClusterFigures> f;
    const bool merged = wait_until([&] {
      f = cluster_figures(stats_text(d.socket()), 1);
      return f && f->reported;
    }, 20s);
    REQUIRE(merged);
    CHECK(f->custom == R"({"answer":42,"list":[1,2]})");
    const auto table = run_meganectl(dir, {"--socket", d.socket().string(), "stats"});
    INFO(table.output);
    CHECK(table.exit_code == 0);
    CHECK(table.output.find("CLUSTER  PID") != std::string::npos);
    CHECK(table.output.find(R"(cluster 1 custom: {"answer":42,"list":[1,2]})") != std::string::npos);
    const auto json = run_meganectl(dir, {"--socket", d.socket().string(), "stats", "--json"});
    CHECK(json.exit_code == 0);
    CHECK(json.output.find(R"("custom":{"answer":42,"list":[1,2]})") != std::string::npos);
  }
  SECTION("not an object") {
    TempDir dir;
    Daemon d(dir, test_bot_config(R"("--custom-stats", "[1, 2]")"));
    REQUIRE(d.wait_all_ready());
    std::optional<ClusterFigures> f;
    const bool reported = wait_until([&] {
      f = cluster_figures(stats_text(d.socket()), 0);
      return f && f->reported;
    }, 20s);
    REQUIRE(reported);
    CHECK(f->custom.empty());
    CHECK(d.log().find("get_stats() did not return a JSON object") != std::string::npos);
  }
}

TEST_CASE("stats: a stats_updated event follows every collection", "[integration][stats]") {
  TempDir dir;
  Daemon d(dir, test_bot_config(""));
  REQUIRE(d.wait_all_ready());
  Client c(d.socket());
  REQUIRE(c.hello_control());
  c.send(proto::MessageType::subscribe, 9,
         proto::encode(proto::Subscribe{proto::event_bit(proto::EventKind::stats_updated)}));
  int events = 0;
  std::string last;
  const bool two = wait_until([&] {
    auto r = c.read(200ms);
    if (r && r->header.type == proto::MessageType::event) {
      proto::Event e;
      if (proto::decode(r->payload, e) && e.kind == proto::EventKind::stats_updated) {
        ++events;
        last = e.json;
      }
    }
    return events >= 2;
  }, 20s);
  INFO(last);
  CHECK(two);
  CHECK(last.rfind(R"({"type":"stats_updated","collection":)", 0) == 0);
  CHECK(last.find(R"("totals":{)") != std::string::npos);
}

TEST_CASE("stats: gateway clusters report every shard, guilds and events per second", "[integration][stats][gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  TempDir dir;
  Daemon d(dir, "name = \"stats-gw\"\n"
                "[bot]\n"
                "executable = \"@BIN@/megane-gateway-bot\"\n"
                "[sharding]\n"
                "shards = 4\n"
                "clusters = 2\n"
                + fc.gateway_section() +
                "[stats]\n"
                "interval = \"500ms\"\n"
                "[ipc]\n"
                "socket = \"@SOCKET@\"\n");
  REQUIRE(d.wait_all_ready(30s));
  fc.control("/burst", R"({"shard":"all","event":"MESSAGE_CREATE","count":20000,"rate":2000})");
  std::optional<ClusterFigures> c0, c1;
  const bool flowing = wait_until([&] {
    const std::string json = stats_text(d.socket());
    c0 = cluster_figures(json, 0);
    c1 = cluster_figures(json, 1);
    return c0 && c1 && c0->shards_ready == 2 && c1->shards_ready == 2 && c0->events_per_second > 0 &&
           c1->events_per_second > 0 && c0->users.value_or(0) > 0 && c1->users.value_or(0) > 0;
  }, 30s);
  INFO(stats_text(d.socket()));
  CHECK(flowing);
  REQUIRE(c0);
  REQUIRE(c1);
  CHECK(c0->shards == 2);
  CHECK(c1->shards == 2);
  CHECK(c0->guilds + c1->guilds == 40);  // fakecord's default population
  // Users from each cluster's cache, deduplicated within the cluster; the totals add them up.
  REQUIRE(c0->users);
  REQUIRE(c1->users);
  CHECK(*c0->users > 0);
  CHECK(*c1->users > 0);
  CHECK(c0->total_users == *c0->users + *c1->users);
  // 40 guilds x 5 member slots, the bot in every guild: fewer distinct users than slots.
  CHECK(*c0->users + *c1->users < 40 * 5);
  const auto table = run_meganectl(dir, {"--socket", d.socket().string(), "stats"});
  INFO(table.output);
  CHECK(table.output.find("USERS") != std::string::npos);
  CHECK(table.output.find("users (deduplicated per cluster)") != std::string::npos);
  CHECK(stats_text(d.socket()).find(fakecord_token) == std::string::npos);
}
