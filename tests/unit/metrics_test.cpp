// The metrics endpoint's pure parts: OpenMetrics text from a stats collection, label escaping,
// and since when shards have been down (/healthz).
#include <string>

#include "catch.hpp"
#include "metrics/exposition.hpp"
#include "metrics/metrics_text.hpp"
#include "metrics/shard_health.hpp"

using namespace megane;
using namespace megane::daemon;

TEST_CASE("metrics: OpenMetrics families, counters with _total, escaped labels, # EOF", "[metrics]") {
  Exposition x;
  x.family("megane_cluster_restarts", Exposition::Type::counter, "Spawns after the first.");
  x.sample({{"cluster", "0"}}, 2);
  x.family("megane_build", Exposition::Type::info, "The bot.");
  x.sample({{"bot", "a\"b\\c\nd"}}, 1);
  x.family("megane_shard_latency_seconds", Exposition::Type::gauge, "Latency.");
  x.sample({}, 0.041);
  CHECK(x.finish() ==
        "# TYPE megane_cluster_restarts counter\n"
        "# HELP megane_cluster_restarts Spawns after the first.\n"
        "megane_cluster_restarts_total{cluster=\"0\"} 2\n"
        "# TYPE megane_build info\n"
        "# HELP megane_build The bot.\n"
        "megane_build_info{bot=\"a\\\"b\\\\c\\nd\"} 1\n"
        "# TYPE megane_shard_latency_seconds gauge\n"
        "# HELP megane_shard_latency_seconds Latency.\n"
        "megane_shard_latency_seconds 0.041\n"
        "# EOF\n");
}

TEST_CASE("metrics: every planned shard of every cluster, reported or not", "[metrics]") {
  StatsSnapshot s;
  s.collection = 4;
  ChildFigures c0;
  c0.cluster_id = 0;
  c0.first_shard = 0;
  c0.shard_count = 2;
  c0.state = "ready";
  c0.process = ProcessFigures{10, 99.5, 12.5, 1u << 20, 5};
  c0.reported = true;
  c0.shards.push_back({0, proto::ShardState::ready, 41, 20, 900, 1.0});
  c0.shards.push_back({1, proto::ShardState::disconnected, 0, 20, 100, 0.0});
  ChildFigures c1;
  c1.cluster_id = 1;
  c1.first_shard = 2;
  c1.shard_count = 1;
  c1.state = "backoff";
  c1.restarts = 3;
  s.clusters = {c0, c1};
  MetricsInput in;
  in.stats = &s;
  in.bot = "bot";
  in.version = "0.1.0";
  in.gateway = true;
  in.identify = IdentifyFigures{995, 1000, 50, 0, 1};
  in.notifications = NotificationFigures{2, 13, 4, 1, 3};
  const std::string text = metrics_text(in);
  INFO(text);
  for (const char* line : {"megane_build_info{bot=\"bot\",version=\"0.1.0\"} 1\n",
                           "megane_stats_collections_total 4\n",
                           "megane_cluster_up{cluster=\"0\"} 1\n",
                           "megane_cluster_up{cluster=\"1\"} 0\n",
                           "megane_cluster_restarts_total{cluster=\"1\"} 3\n",
                           "megane_cluster_cpu_ratio{cluster=\"0\"} 0.995\n",
                           "megane_cluster_cpu_seconds_total{cluster=\"0\"} 12.5\n",
                           "megane_cluster_resident_memory_bytes{cluster=\"0\"} 1048576\n",
                           "megane_cluster_guilds{cluster=\"0\"} 40\n",
                           "megane_shard_up{cluster=\"0\",shard=\"0\"} 1\n",
                           "megane_shard_up{cluster=\"0\",shard=\"1\"} 0\n",
                           "megane_shard_up{cluster=\"1\",shard=\"2\"} 0\n",
                           "megane_shard_latency_seconds{cluster=\"0\",shard=\"0\"} 0.041\n",
                           "megane_shard_events_total{cluster=\"0\",shard=\"1\"} 100\n",
                           "megane_identify_remaining 995\n",
                           "megane_identify_waiting 1\n",
                           "megane_notification_messages_total 2\n",
                           "megane_notification_events_total 13\n",
                           "megane_notification_events_dropped_total 4\n",
                           "megane_notification_messages_failed_total 1\n",
                           "megane_notification_rate_limited_total 3\n"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
  // A process without a pid has no CPU or memory sample; an unknown latency no sample either.
  CHECK(text.find("megane_cluster_cpu_ratio{cluster=\"1\"}") == std::string::npos);
  CHECK(text.find("megane_shard_latency_seconds{cluster=\"0\",shard=\"1\"}") == std::string::npos);
  CHECK(text.ends_with("# EOF\n"));

  in.gateway = false;
  in.identify.reset();
  in.notifications.reset();
  const std::string plain = metrics_text(in);
  CHECK(plain.find("megane_notification") == std::string::npos);
  CHECK(plain.find("megane_shard_up") == std::string::npos);
  CHECK(plain.find("megane_identify") == std::string::npos);
}

TEST_CASE("metrics: a shard counts as down from when it stopped being up", "[metrics]") {
  using namespace std::chrono;
  const auto t0 = steady_clock::time_point(seconds(100));
  ShardHealth h(3, t0);
  h.observe(0, true, t0 + seconds(1));
  h.observe(1, true, t0 + seconds(1));
  // Shard 2 never came up: down since the start.
  CHECK(h.down_longer_than(milliseconds(5000), t0 + seconds(4)).empty());
  auto down = h.down_longer_than(milliseconds(5000), t0 + seconds(6));
  REQUIRE(down.size() == 1);
  CHECK(down[0].shard == 2);
  h.observe(2, true, t0 + seconds(6));
  h.observe(1, false, t0 + seconds(10));
  h.observe(1, false, t0 + seconds(12));  // still the same outage
  CHECK(h.down_longer_than(milliseconds(5000), t0 + seconds(14)).empty());
  down = h.down_longer_than(milliseconds(5000), t0 + seconds(16));
  REQUIRE(down.size() == 1);
  CHECK(down[0].shard == 1);
  CHECK(down[0].seconds == Approx(6.0));
}
