// Statistics pieces without processes: /proc parsing, the CPU share arithmetic, custom stats
// validation, the stats JSON, and meganectl's rendering of it.
#include <unistd.h>

#include <string>

#include "catch.hpp"
#include "meganectl/stats_table.hpp"
#include "stats/json_object.hpp"
#include "stats/proc_sampler.hpp"
#include "stats/stats_json.hpp"

using namespace megane;
using namespace megane::daemon;

TEST_CASE("stats: utime + stime from /proc/PID/stat, with a command name holding ') ('", "[stats]") {
  // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
  const std::string stat = "4242 (evil) (bot 1) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0 12345";
  CHECK(parse_stat_cpu_ticks(stat) == 300u);
  CHECK_FALSE(parse_stat_cpu_ticks("4242 no parenthesis"));
  CHECK_FALSE(parse_stat_cpu_ticks("4242 (short) R 1 2"));
  CHECK(parse_statm_resident_pages("5000 1200 300 10 0 900 0\n") == 1200u);
  CHECK_FALSE(parse_statm_resident_pages("5000"));
}

TEST_CASE("stats: this process can be sampled", "[stats]") {
  const auto s = sample_process(::getpid());
  REQUIRE(s);
  CHECK(s->rss_bytes > 0);
}

TEST_CASE("stats: CPU share is the difference over the interval, not the lifetime", "[stats]") {
  CHECK(cpu_percent(0, 100, 1.0, 100.0) == Approx(100.0));   // one core for a second
  CHECK(cpu_percent(100, 150, 1.0, 100.0) == Approx(50.0));
  CHECK(cpu_percent(100, 100, 2.0, 100.0) == Approx(0.0));
  CHECK(cpu_percent(100, 50, 1.0, 100.0) == Approx(0.0));    // counter went back: a new process
  CHECK(cpu_percent(0, 100, 0.0, 100.0) == Approx(0.0));

  CpuMeter meter;
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
  // A new pid: the first reading covers its life since the spawn.
  CHECK(meter.update(7, static_cast<std::uint64_t>(clock_ticks_per_second() * 2), t0 + std::chrono::seconds(4), t0) ==
        Approx(50.0));
  // Then only the interval: 4 s more at 0 ticks.
  CHECK(meter.update(7, static_cast<std::uint64_t>(clock_ticks_per_second() * 2), t0 + std::chrono::seconds(8), t0) ==
        Approx(0.0));
  // Another pid (a restart) starts again from its own spawn.
  CHECK(meter.update(8, static_cast<std::uint64_t>(clock_ticks_per_second()), t0 + std::chrono::seconds(9),
                     t0 + std::chrono::seconds(8)) == Approx(100.0));
}

TEST_CASE("stats: custom stats must be one JSON object, kept compact", "[stats]") {
  std::string why;
  CHECK(compact_json_object("{ \"a\" : [1, 2] ,\n \"b\":null}", why) == std::string(R"({"a":[1,2],"b":null})"));
  CHECK_FALSE(compact_json_object("[1,2]", why));
  CHECK(why == "not a JSON object");
  CHECK_FALSE(compact_json_object("{\"a\":", why));
  CHECK(why.find("not valid JSON") == 0);
  CHECK_FALSE(compact_json_object("", why));
}

namespace {

StatsSnapshot sample_snapshot() {
  StatsSnapshot s;
  s.collection = 3;
  s.interval_s = 10;
  s.unix_ms = 1795677015803;
  s.daemon = ProcessFigures{100, 0.5, 1.25, 8u << 20, 30};
  ChildFigures c;
  c.cluster_id = 0;
  c.state = "ready";
  c.restarts = 1;
  c.process = ProcessFigures{200, 99.5, 20.0, 40u << 20, 25};
  c.reported = true;
  c.shards.push_back({0, proto::ShardState::ready, 41, 120, 500, 2.5});
  c.shards.push_back({1, proto::ShardState::resuming, 0, 80, 10, 0.5});
  c.custom_json = R"({"cache":7})";
  s.clusters.push_back(c);
  ChildFigures svc;
  svc.service = "poller";
  svc.state = "backoff";
  s.services.push_back(svc);
  s.clusters[0].users = 1234;
  return s;
}

}  // namespace

TEST_CASE("stats: the stats JSON carries processes, shards, totals and custom stats merged", "[stats]") {
  const auto s = sample_snapshot();
  const std::string json = stats_json(s, "bot", s.at + std::chrono::milliseconds(1500));
  CHECK(json.find(R"("collection":3,"interval_s":10.000,"age_s":1.500)") != std::string::npos);
  CHECK(json.find(R"("cpu_percent":99.500)") != std::string::npos);
  CHECK(json.find(R"("guilds":200,"users":1234,"events_per_second":3.000)") != std::string::npos);
  CHECK(json.find(R"({"id":1,"state":"resuming","latency_ms":0,"guilds":80,"events":10,"events_per_second":0.500})") !=
        std::string::npos);
  CHECK(json.find(R"("custom":{"cache":7})") != std::string::npos);
  CHECK(json.find(R"({"name":"poller","state":"backoff","restarts":0,"pid":0,"cpu_percent":null)") != std::string::npos);
  CHECK(json.find(R"("totals":{"cpu_percent":99.500,"rss_bytes":41943040,"guilds":200,"users":1234,"shards_reported":2,"shards_ready":1)") !=
        std::string::npos);

  const std::string event = stats_event_json(s);
  CHECK(event.rfind(R"({"type":"stats_updated","collection":3,"interval_s":10.000,"daemon":{"cpu_percent":0.500,)", 0) == 0);
  CHECK(event.find("clusters") == std::string::npos);  // a summary: `stats` has the rest
}

TEST_CASE("meganectl stats: the table, services and custom stats", "[stats][meganectl]") {
  const auto s = sample_snapshot();
  std::string error;
  const auto out = ctl::format_stats(stats_json(s, "bot", s.at + std::chrono::seconds(2)), error);
  REQUIRE(out);
  CHECK(*out ==
        "bot: collection 3 (every 10s, 2s ago); meganed: cpu 0.5%, rss 8.0 MiB\n"
        "CLUSTER  PID  STATE  CPU    RSS       UPTIME  RESTARTS  SHARDS  LATENCY  GUILDS  USERS  EVENTS/S\n"
        "0        200  ready  99.5%  40.0 MiB  25s     1         1/2     41ms     200     1234   3.0\n"
        "\n"
        "SERVICE  PID  STATE    CPU  RSS  UPTIME  RESTARTS\n"
        "poller   -    backoff  -    -    -       0\n"
        "\n"
        "cluster 0 custom: {\"cache\":7}\n");

  StatsSnapshot empty;
  empty.interval_s = 10;
  const auto none = ctl::format_stats(stats_json(empty, "bot", empty.at), error);
  REQUIRE(none);
  CHECK(*none == "bot: no statistics yet: the first collection comes 10s after meganed started\n");
  CHECK_FALSE(ctl::format_stats("[]", error));
  CHECK(ctl::format_bytes(512) == "512 B");
  CHECK(ctl::format_bytes(1536) == "2 KiB");
}
