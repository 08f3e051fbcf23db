// meganectl's pure parts for commands, events and services: JSON validation and one-line
// output, the per-cluster result lines and JSON, event lines, --kind names, and the services
// section of `status`.
#include <string>
#include <variant>

#include "catch.hpp"
#include "meganectl/command_output.hpp"
#include "meganectl/event_output.hpp"
#include "meganectl/json_text.hpp"
#include "meganectl/status.hpp"
#include "meganectl/status_table.hpp"

using namespace megane::ctl;
namespace proto = megane::proto;

TEST_CASE("command DATA must be exactly one valid JSON value", "[meganectl][command]") {
  for (const char* good : {R"({"op":"PING"})", R"("die")", "1", "-2.5e3", "null", "[1,[2]]",
                           " {\"a\" : 1}\n", R"("\u00e9")"}) {
    INFO(good);
    CHECK_FALSE(json_error(good));
  }
  for (const char* bad : {"", "   ", "die", "{op:1}", R"({"a":1} {"b":2})", "[1,", "'x'", "01",
                          R"({"a":1,})", "\"unterminated"}) {
    INFO(bad);
    const auto error = json_error(bad);
    REQUIRE(error);
    CHECK_FALSE(error->empty());
  }
  CHECK(*json_error("") == "it is empty");
}

TEST_CASE("answers print on one line and non-JSON answers become JSON strings", "[meganectl][command]") {
  CHECK(one_line_json("{\n  \"a\": [1, 2],\n  \"s\": \"x y\"\n}") == R"({"a":[1,2],"s":"x y"})");
  CHECK(one_line_json("1.50") == "1.50");  // tokens keep their spelling
  CHECK(one_line_json(R"("PONG")") == R"("PONG")");
  CHECK(one_line_json("not json\n") == R"("not json\n")");
  CHECK(quote_json("a\"b\\c\t\x01") == R"("a\"b\\c\t\u0001")");
}

TEST_CASE("meganectl --cluster takes all or an id", "[meganectl][command]") {
  const auto all = parse_cluster_selector("all");
  REQUIRE(all);
  CHECK(all->target_kind == proto::CommandTarget::all);
  const auto three = parse_cluster_selector("3");
  REQUIRE(three);
  CHECK(three->target_kind == proto::CommandTarget::cluster);
  CHECK(three->target == 3);
  for (const char* bad : {"", "All", "-1", "1x", " 1", "4294967296"}) {
    INFO(bad);
    CHECK_FALSE(parse_cluster_selector(bad));
  }
}

namespace {

proto::BroadcastReply mixed_reply() {
  proto::BroadcastReply r;
  r.results.push_back({0, proto::TargetStatus::ok, "{\"cluster\": 0,\n \"shards\": [0, 1]}"});
  r.results.push_back({1, proto::TargetStatus::timeout, ""});
  r.results.push_back({2, proto::TargetStatus::error, "asked to fail"});
  r.results.push_back({3, proto::TargetStatus::exited, ""});
  r.results.push_back({4, proto::TargetStatus::unavailable, ""});
  r.results.push_back({5, proto::TargetStatus::ok, "plain text"});
  return r;
}

}  // namespace

TEST_CASE("cluster results: one line per cluster", "[meganectl][command]") {
  CHECK(format_cluster_results(mixed_reply()) ==
        "cluster 0: ok {\"cluster\":0,\"shards\":[0,1]}\n"
        "cluster 1: timed out\n"
        "cluster 2: error: asked to fail\n"
        "cluster 3: exited\n"
        "cluster 4: unavailable\n"
        "cluster 5: ok \"plain text\"\n");
  CHECK_FALSE(all_ok(mixed_reply()));
  proto::BroadcastReply fine;
  fine.results.push_back({0, proto::TargetStatus::ok, "1"});
  CHECK(all_ok(fine));
  CHECK(all_ok(proto::BroadcastReply{}));
}

TEST_CASE("cluster results as JSON: data raw when valid, errors as strings", "[meganectl][command]") {
  const std::string json = format_cluster_results_json(mixed_reply());
  CHECK(json ==
        R"([{"cluster":0,"status":"ok","data":{"cluster":0,"shards":[0,1]}},)"
        R"({"cluster":1,"status":"timeout","error":""},)"
        R"({"cluster":2,"status":"error","error":"asked to fail"},)"
        R"({"cluster":3,"status":"exited","error":""},)"
        R"({"cluster":4,"status":"unavailable","error":""},)"
        R"({"cluster":5,"status":"ok","data":"plain text"}])"
        "\n");
  CHECK_FALSE(json_error(json));
  CHECK(format_cluster_results_json(proto::BroadcastReply{}) == "[]\n");
}

TEST_CASE("service answers as JSON", "[meganectl][command]") {
  CHECK(format_service_json("stats", R"("PONG")") == "{\"service\":\"stats\",\"status\":\"ok\",\"data\":\"PONG\"}\n");
  const std::string error = format_service_error_json("st\"ats", proto::ErrorCode::not_found, "no service");
  CHECK(error == "{\"service\":\"st\\\"ats\",\"status\":\"not_found\",\"error\":\"no service\"}\n");
  CHECK_FALSE(json_error(error));
  CHECK(error_code_name(proto::ErrorCode::target_exited) == "target_exited");
}

TEST_CASE("event timestamps are UTC with milliseconds", "[meganectl][events]") {
  CHECK(format_utc(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_utc(1'795'677'015'803ull) == "2026-11-26T07:10:15.803Z");
  CHECK(format_utc(951'782'400'007ull) == "2000-02-29T00:00:00.007Z");
}

TEST_CASE("event lines, plain and JSON", "[meganectl][events]") {
  const proto::Event e{proto::EventKind::cluster_exited, 1'795'677'015'803ull,
                       "{\"cluster\": 2,\n \"status\": \"signal 9 (Killed)\"}"};
  CHECK(format_event_line(e) ==
        "2026-11-26T07:10:15.803Z cluster_exited {\"cluster\":2,\"status\":\"signal 9 (Killed)\"}\n");
  CHECK(format_event_json(e) ==
        "{\"kind\":\"cluster_exited\",\"unix_ms\":1795677015803,"
        "\"event\":{\"cluster\":2,\"status\":\"signal 9 (Killed)\"}}\n");
  const proto::Event unknown{static_cast<proto::EventKind>(99), 0, ""};
  CHECK(format_event_line(unknown) == "1970-01-01T00:00:00.000Z event_99 {}\n");
  CHECK_FALSE(json_error(format_event_json(unknown)));
}

TEST_CASE("meganectl --kind names are the protocol's kind names", "[meganectl][events]") {
  CHECK(parse_event_kind("cluster_exited") == proto::EventKind::cluster_exited);
  CHECK(parse_event_kind("all_clusters_ready") == proto::EventKind::all_clusters_ready);
  CHECK(parse_event_kind("shard") == proto::EventKind::shard);
  CHECK_FALSE(parse_event_kind("cluster-exited"));
  CHECK_FALSE(parse_event_kind("unknown"));
  CHECK(event_kind_names().find("service_ready") != std::string::npos);
  CHECK(event_kind_name(proto::EventKind::service_failed) == "service_failed");
}

namespace {

constexpr const char* status_with_services = R"json({
  "bot":"example-bot","shards_total":2,"all_ready":true,
  "daemon":{"pid":123,"version":"0.1.0","uptime_s":65,"socket":"/s"},
  "clusters":[{"id":0,"pid":1234,"state":"ready","cores":[0],"shards":[0,1],"restarts":0,
               "uptime_s":64,"generation":1,"last_exit":null,"next_start_in_s":null}],
  "services":[
    {"name":"stats","pid":0,"state":"backoff","restarts":3,"uptime_s":0,"last_exit":"exit code 1",
     "generation":9},
    {"name":"poller","pid":4321,"state":"ready","restarts":0,"uptime_s":3725,"last_exit":null,
     "generation":8,"future_field":[1]}
  ]
})json";

}  // namespace

TEST_CASE("status: the services section", "[meganectl][status]") {
  auto parsed = parse_status(status_with_services);
  REQUIRE(std::holds_alternative<Status>(parsed));
  const Status& s = std::get<Status>(parsed);
  REQUIRE(s.services.size() == 2);
  CHECK(s.services[0].name == "stats");
  CHECK(s.services[0].restarts == 3);
  CHECK(s.services[0].last_exit == "exit code 1");
  CHECK(s.services[1].pid == 4321);
  CHECK(s.services[1].generation == 8);
  CHECK_FALSE(s.services[1].last_exit);

  CHECK(format_status(s) ==
        "example-bot: 1/1 clusters ready, 2 shards, 1/2 services ready (meganed 0.1.0, pid 123, up 1m05s)\n"
        "CLUSTER  PID   STATE  CORES  SHARDS  RESTARTS  UPTIME\n"
        "0        1234  ready  0      0-1     0         1m04s\n"
        "\n"
        "NAME    PID   STATE    RESTARTS  UPTIME\n"
        "poller  4321  ready    0         1h02m\n"
        "stats   -     backoff  3         -\n"
        "\n"
        "service stats: last exit: exit code 1\n");
}

TEST_CASE("restart --service reply JSON", "[meganectl][status]") {
  auto r = parse_service_restart_reply(R"({"service":"poller","state":"ready","pid":77})");
  REQUIRE(std::holds_alternative<ServiceRestartReply>(r));
  CHECK(std::get<ServiceRestartReply>(r).service == "poller");
  CHECK(std::get<ServiceRestartReply>(r).state == "ready");
  CHECK(std::get<ServiceRestartReply>(r).pid == 77);
  CHECK(std::holds_alternative<std::string>(parse_service_restart_reply("[")));
}
