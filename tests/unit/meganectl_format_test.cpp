// meganectl's pure parts: the status JSON, the table made from it, and --timeout.
#include <string>
#include <variant>

#include "catch.hpp"
#include "meganectl/status.hpp"
#include "meganectl/status_table.hpp"
#include "meganectl/timeout.hpp"

using namespace megane::ctl;

namespace {

// The shape documented in docs/meganectl.md, with fields in an unusual order, one unknown
// field (newer daemons may add some) and every state a table row can show.
constexpr const char* status_json = R"json({
  "clusters":[
    {"id":1,"pid":4321,"state":"ready","cores":[1,5],"shards":[4,5,6,7],"first_shard":4,
     "last_shard":7,"restarts":2,"uptime_s":3725.9,"generation":8,"last_exit":"exit code 1",
     "next_start_in_s":null,"failures_in_window":1},
    {"id":0,"pid":1234,"state":"ready","cores":[0],"shards":[0,1,2,3],"first_shard":0,
     "last_shard":3,"restarts":0,"uptime_s":10.2,"generation":1,"last_exit":null,
     "next_start_in_s":null},
    {"id":2,"pid":0,"state":"backoff","cores":[0,1,2,3],"shards":[8],"first_shard":8,
     "last_shard":8,"restarts":5,"uptime_s":0,"generation":3,"last_exit":"signal 9 (Killed)",
     "next_start_in_s":2.25}
  ],
  "bot":"example-bot","shards_total":9,"all_ready":false,
  "daemon":{"pid":123,"version":"0.1.0","uptime_s":90061.5,"socket":"/run/megane/example-bot.sock"}
})json";

Status parsed(const std::string& json) {
  auto r = parse_status(json);
  if (auto* e = std::get_if<std::string>(&r)) FAIL(*e);
  return std::get<Status>(r);
}

}  // namespace

TEST_CASE("status JSON: every field, any order, unknown fields skipped", "[meganectl]") {
  const Status s = parsed(status_json);
  CHECK(s.bot == "example-bot");
  CHECK(s.shards_total == 9);
  CHECK_FALSE(s.all_ready);
  CHECK(s.daemon.pid == 123);
  CHECK(s.daemon.version == "0.1.0");
  CHECK(s.daemon.socket == "/run/megane/example-bot.sock");
  REQUIRE(s.clusters.size() == 3);
  const ClusterStatus& c = s.clusters[2];
  CHECK(c.id == 2);
  CHECK(c.pid == 0);
  CHECK(c.state == "backoff");
  CHECK(c.cores == std::vector<std::int64_t>{0, 1, 2, 3});
  CHECK(c.shards == std::vector<std::int64_t>{8});
  CHECK(c.restarts == 5);
  CHECK(c.generation == 3);
  REQUIRE(c.last_exit);
  CHECK(*c.last_exit == "signal 9 (Killed)");
  REQUIRE(c.next_start_in_s);
  CHECK(*c.next_start_in_s == 2.25);
  CHECK_FALSE(s.clusters[1].last_exit);
  CHECK_FALSE(s.clusters[1].next_start_in_s);
}

TEST_CASE("status JSON: malformed input is an error value, not an exception", "[meganectl]") {
  for (const char* bad : {"", "not json", "[]", R"({"bot":12})", R"({"clusters":[{"id":"x"}]})",
                          R"({"clusters":[{"id":1,)"}) {
    INFO(bad);
    CHECK(std::holds_alternative<std::string>(parse_status(bad)));
  }
}

TEST_CASE("the status table", "[meganectl]") {
  CHECK(format_status(parsed(status_json)) ==
        "example-bot: 2/3 clusters ready, 9 shards (meganed 0.1.0, pid 123, up 1d01h)\n"
        "CLUSTER  PID   STATE    CORES  SHARDS  RESTARTS  UPTIME\n"
        "0        1234  ready    0      0-3     0         10s\n"
        "1        4321  ready    1,5    4-7     2         1h02m\n"
        "2        -     backoff  0-3    8       5         -\n"
        "\n"
        "cluster 1: last exit: exit code 1\n"
        "cluster 2: last exit: signal 9 (Killed); next start in 2.2s\n");
}

TEST_CASE("a bot without clusters", "[meganectl]") {
  CHECK(format_status(parsed(R"({"bot":"b","shards_total":0,"clusters":[]})")) ==
        "b: 0/0 clusters ready, 0 shards\nno clusters\n");
}

TEST_CASE("uptime reads like 1h02m", "[meganectl]") {
  CHECK(format_uptime(0) == "0s");
  CHECK(format_uptime(59.9) == "59s");
  CHECK(format_uptime(60) == "1m00s");
  CHECK(format_uptime(3599) == "59m59s");
  CHECK(format_uptime(3600) == "1h00m");
  CHECK(format_uptime(3725) == "1h02m");
  CHECK(format_uptime(86399) == "23h59m");
  CHECK(format_uptime(86400) == "1d00h");
  CHECK(format_uptime(40 * 86400.0 + 5 * 3600) == "40d05h");
  CHECK(format_uptime(-1) == "-");
}

TEST_CASE("id lists become ranges", "[meganectl]") {
  CHECK(format_id_list({}, 2) == "-");
  CHECK(format_id_list({3}, 2) == "3");
  CHECK(format_id_list({0, 1, 2, 3}, 2) == "0-3");
  CHECK(format_id_list({3, 1, 2, 0}, 2) == "0-3");
  CHECK(format_id_list({0, 1}, 2) == "0-1");
  CHECK(format_id_list({0, 1}, 3) == "0,1");
  CHECK(format_id_list({0, 1, 2, 5, 7, 8, 9}, 3) == "0-2,5,7-9");
  CHECK(format_id_list({4, 4, 5}, 2) == "4-5");
}

TEST_CASE("restart reply JSON", "[meganectl]") {
  auto r = parse_restart_reply(R"({"id":2,"state":"ready"})");
  REQUIRE(std::holds_alternative<RestartReply>(r));
  CHECK(std::get<RestartReply>(r).id == 2);
  CHECK(std::get<RestartReply>(r).state == "ready");
  CHECK_FALSE(std::get<RestartReply>(r).pid);
  auto with_pid = parse_restart_reply(R"({"id":2,"state":"ready","pid":4321})");
  REQUIRE(std::holds_alternative<RestartReply>(with_pid));
  CHECK(std::get<RestartReply>(with_pid).pid == 4321);
  CHECK(std::holds_alternative<std::string>(parse_restart_reply("ready")));
}

TEST_CASE("meganectl --timeout takes the config's duration syntax or plain seconds", "[meganectl]") {
  using std::chrono::milliseconds;
  const std::pair<const char*, milliseconds> good[] = {
      {"30s", milliseconds(30'000)}, {"500ms", milliseconds(500)}, {"2m", milliseconds(120'000)},
      {"1m30s", milliseconds(90'000)}, {"30", milliseconds(30'000)}, {"2.5", milliseconds(2'500)}};
  for (const auto& [text, expected] : good) {
    INFO(text);
    auto r = parse_timeout(text);
    REQUIRE(std::holds_alternative<milliseconds>(r));
    CHECK(std::get<milliseconds>(r) == expected);
  }
  for (const char* bad : {"", "0", "0s", "-1", "3x", "s", "1.5.2", "nan"}) {
    INFO(bad);
    auto r = parse_timeout(bad);
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).rfind("--timeout: ", 0) == 0);
  }
}
