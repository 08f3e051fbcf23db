// meganed as the bot's identify authority, against the real fakecord over 127.0.0.1: the
// token's handling, GET /gateway/bot at start (auto shards, max_concurrency, 401), identify
// permits with their spacing per bucket, revocation, the budget reserve, sessions handed back
// to a restarted cluster, and shard states. The cluster is tests/fixtures/identify_bot, which
// plays the SDK's side of the protocol and records what it got. Timing checks are lower bounds
// only (grants are never closer than the window, minus the delivery jitter of a loaded host).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <megane/proto/messages.hpp>
#include <megane/proto/command_messages.hpp>
#include <megane/proto/gateway_messages.hpp>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord_process.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

// What the identify bot recorded: its config line(s) and the grants, per cluster.
struct Grant {
  std::uint32_t shard = 0;
  std::int64_t mono_ms = 0;
};

std::vector<std::string> record_lines(const TempDir& dir, std::uint32_t cluster) {
  std::ifstream in(dir.path() / ("cluster-" + std::to_string(cluster) + ".log"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string field(const std::string& line, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t at = line.find(" " + needle);
  if (at == std::string::npos) return {};
  at += needle.size() + 1;
  return line.substr(at, line.find(' ', at) - at);
}

std::vector<Grant> grants(const TempDir& dir, std::uint32_t clusters) {
  std::vector<Grant> out;
  for (std::uint32_t c = 0; c < clusters; ++c) {
    for (const std::string& line : record_lines(dir, c)) {
      if (line.rfind("grant ", 0) != 0) continue;
      out.push_back(Grant{static_cast<std::uint32_t>(std::stoul(field(line, "shard"))), std::stoll(field(line, "mono_ms"))});
    }
  }
  std::sort(out.begin(), out.end(), [](const Grant& a, const Grant& b) { return a.mono_ms < b.mono_ms; });
  return out;
}

std::vector<std::string> lines_starting(const TempDir& dir, std::uint32_t cluster, const std::string& prefix) {
  std::vector<std::string> out;
  for (const std::string& line : record_lines(dir, cluster))
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

// The raw status JSON, for the gateway fields the harness's Status does not carry.
std::string status_text(const fs::path& socket) {
  Client c(socket);
  if (!c.connected() || !c.hello_control()) return {};
  auto r = c.request(megane::proto::MessageType::status);
  return r && !r->is_error() ? r->text() : std::string();
}

struct GatewayView {
  std::uint64_t shards_total = 0;
  std::uint64_t shards = 0;
  std::uint64_t recommended = 0;
  std::uint64_t max_concurrency = 0;
  std::uint64_t sessions = 0;
  std::uint64_t remaining = 0, reserve = 0, in_flight = 0, waiting = 0;
  std::string blocked_reason;  // "" when null
  std::vector<std::string> shard_states;  // by shard id, over all clusters
};

std::optional<GatewayView> gateway_view(const fs::path& socket) {
  const std::string text = status_text(socket);
  if (text.empty()) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) return std::nullopt;
  GatewayView v;
  v.shards_total = std::uint64_t(doc["shards_total"]);
  simdjson::dom::element g = doc["gateway"];
  if (g.is_null()) return std::nullopt;
  v.shards = std::uint64_t(g["shards"]);
  v.recommended = std::uint64_t(g["recommended_shards"]);
  v.max_concurrency = std::uint64_t(g["max_concurrency"]);
  v.sessions = std::uint64_t(g["sessions"]);
  simdjson::dom::element id = g["identify"];
  v.remaining = std::uint64_t(id["remaining"]);
  v.reserve = std::uint64_t(id["reserve"]);
  v.in_flight = std::uint64_t(id["in_flight"]);
  v.waiting = std::uint64_t(id["waiting"]);
  if (!id["blocked_reason"].is_null()) v.blocked_reason = std::string(std::string_view(id["blocked_reason"]));
  v.shard_states.resize(v.shards_total);
  for (simdjson::dom::element c : doc["clusters"].get_array()) {
    for (simdjson::dom::element s : c["shard_states"].get_array()) {
      const auto shard = std::uint64_t(s["id"]);
      if (shard < v.shard_states.size()) v.shard_states[shard] = std::string(std::string_view(s["state"]));
    }
  }
  return v;
}

// A scratch directory with the token file meganed reads (0600) and the config written by the
// harness; the bot records into the same directory.
struct Setup {
  explicit Setup(const std::string& token = fakecord_token) {
    const fs::path t = dir.write("token", token);
    ::chmod(t.c_str(), 0600);
  }
  std::string config(const Fakecord& fc, const std::string& sharding, const std::string& gateway_extra,
                     const std::string& bot_args = "") const {
    return config(fc.api, fc.gateway, sharding, gateway_extra, bot_args);
  }
  std::string config(std::uint16_t api, std::uint16_t gateway, const std::string& sharding,
                     const std::string& gateway_extra, const std::string& bot_args = "") const {
    return "name = \"gw\"\n"
           "[bot]\nexecutable = \"@BIN@/megane-identify-bot\"\n"
           "args = [\"--record\", \"@DIR@\", \"--token-file\", \"@DIR@/token\"" + bot_args + "]\n"
           "[sharding]\n" + sharding + "\n"
           "[supervision]\nbackoff_initial = \"100ms\"\nmin_spawn_gap = \"100ms\"\nstop_timeout = \"2s\"\n"
           "[ipc]\nsocket = \"@SOCKET@\"\n"
           "[gateway]\ntoken_file = \"@DIR@/token\"\n"
           "api_url = \"http://127.0.0.1:" + std::to_string(api) + "/api/v10\"\n"
           "gateway_url = \"ws://127.0.0.1:" + std::to_string(gateway) + "\"\n" + gateway_extra + "\n";
  }
  TempDir dir;
};

// Spacing between consecutive grants of one bucket, allowing this much for the time the
// permit takes to reach the bot and be recorded.
constexpr std::int64_t delivery_slack_ms = 100;

}  // namespace

TEST_CASE("gateway: shards = auto / auto-lbs come from /gateway/bot's recommendation", "[integration][gateway]") {
  Fakecord fc({"--shards-recommended", "3"});
  struct Case {
    std::string sharding;
    std::uint64_t expected;
  };
  for (const Case& c : {Case{"shards = \"auto\"\nclusters = 2", 3}, Case{"shards = \"auto\"\nguilds_per_shard = 400", 8},
                        Case{"shards = \"auto-lbs\"\nclusters = 2", 16}}) {
    INFO(c.sharding);
    Setup s;
    Daemon d(s.dir, s.config(fc, c.sharding, "identify_window = \"50ms\"\nidentify_reserve = 0"));
    auto st = d.wait_all_ready(60s);
    INFO(d.log());
    REQUIRE(st);
    CHECK(st->shards_total == c.expected);
    auto v = gateway_view(d.socket());
    REQUIRE(v);
    CHECK(v->shards == c.expected);
    CHECK(v->recommended == 3);
    // Each shard identified once, with a permit, and the config the cluster got agrees.
    CHECK(grants(s.dir, static_cast<std::uint32_t>(st->clusters.size())).size() == c.expected);
    for (std::uint32_t cl = 0; cl < st->clusters.size(); ++cl) {
      const auto config = lines_starting(s.dir, cl, "config ");
      REQUIRE(config.size() == 1);
      CHECK(field(config[0], "total") == std::to_string(c.expected));
    }
    CHECK(d.log().find("shards = \"auto") != std::string::npos);
  }
}

TEST_CASE("gateway: max_concurrency from /gateway/bot unless the config overrides it, the config reply",
          "[integration][gateway]") {
  Fakecord fc({"--max-concurrency", "4"});
  for (const std::string& override_line : {std::string(), std::string("max_concurrency = 2")}) {
    INFO(override_line);
    Setup s;
    Daemon d(s.dir, s.config(fc, "shards = 2\nclusters = 1",
                             "intents = 33281\nlarge_threshold = 100\nidentify_window = \"50ms\"\n"
                             "presence = { status = \"idle\" }\n" + override_line));
    REQUIRE(d.wait_all_ready(30s));
    const std::string expected = override_line.empty() ? "4" : "2";
    auto v = gateway_view(d.socket());
    REQUIRE(v);
    CHECK(std::to_string(v->max_concurrency) == expected);
    const auto config = lines_starting(s.dir, 0, "config ");
    REQUIRE(config.size() == 1);
    CHECK(field(config[0], "max_concurrency") == expected);
    CHECK(field(config[0], "token_ok") == "1");
    CHECK(field(config[0], "intents") == "33281");
    CHECK(field(config[0], "large_threshold") == "100");
    CHECK(field(config[0], "presence") == R"({"since":null,"activities":[],"status":"idle","afk":false})");
    // The token is in no log line.
    CHECK(d.log().find(fakecord_token) == std::string::npos);
  }
}

TEST_CASE("gateway: a token file readable by others is refused with exit 78", "[integration][gateway]") {
  Fakecord fc;
  Setup s;
  ::chmod((s.dir.path() / "token").c_str(), 0644);
  Daemon d(s.dir, s.config(fc, "shards = 1", ""));
  auto st = d.process().wait(10s);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 78);
  const std::string log = d.log();
  INFO(log);
  CHECK(log.find("gateway.token_file") != std::string::npos);
  CHECK(log.find((s.dir.path() / "token").string()) != std::string::npos);
  CHECK(log.find("chmod 600") != std::string::npos);
  CHECK(log.find(fakecord_token) == std::string::npos);
  CHECK(std::count(log.begin(), log.end(), '\n') == 1);
}

TEST_CASE("gateway: a token Discord rejects (401) stops meganed with exit 78", "[integration][gateway]") {
  Fakecord fc;
  Setup s("not-the-right-token");
  Daemon d(s.dir, s.config(fc, "shards = 1", ""));
  auto st = d.process().wait(20s);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 78);
  const std::string log = d.log();
  INFO(log);
  CHECK(log.find("token rejected by http://127.0.0.1:" + std::to_string(fc.api) + "/api/v10 (401)") != std::string::npos);
  CHECK(log.find("not-the-right-token") == std::string::npos);
  CHECK_FALSE(fs::exists(d.socket()));  // nothing listened, nothing ran
}

TEST_CASE("gateway: /gateway/bot unreachable for 30 s stops meganed with exit 69", "[integration][gateway][slow]") {
  std::uint16_t closed_port = 0;
  {
    Fakecord fc;
    closed_port = fc.api;
  }  // fakecord is gone: nobody listens on its port any more
  Setup s;
  Daemon d(s.dir, s.config(closed_port, closed_port, "shards = 1", ""));
  auto st = d.process().wait(60s);
  REQUIRE(st);
  REQUIRE(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 69);
  const std::string log = d.log();
  INFO(log);
  CHECK(log.find("retrying in") != std::string::npos);
  CHECK(log.find("Connection refused") != std::string::npos);
}

TEST_CASE("gateway: the token from the environment reaches clusters only over the socket", "[integration][gateway]") {
  Fakecord fc;
  Setup s;
  std::string config = s.config(fc, "shards = 2\nclusters = 2", "identify_window = \"50ms\"");
  // token_env instead of token_file (the bot still reads the file to compare).
  config.replace(config.find("token_file = \"@DIR@/token\"\n"), std::string("token_file = \"@DIR@/token\"\n").size(),
                 "token_env = \"MY_DISCORD_TOKEN\"\n");
  Daemon d(s.dir, config, {std::string("MY_DISCORD_TOKEN=") + fakecord_token});
  auto st = d.wait_all_ready(30s);
  INFO(d.log());
  REQUIRE(st);
  for (const auto& c : st->clusters) {
    const std::string env = proc_environ(c.pid);
    REQUIRE(!env.empty());
    CHECK(env.find("MY_DISCORD_TOKEN") == std::string::npos);
    CHECK(env.find(fakecord_token) == std::string::npos);
    CHECK(env.find("MEGANE_CLUSTER_ID=") != std::string::npos);
    const auto config_lines = lines_starting(s.dir, c.id, "config ");
    REQUIRE(config_lines.size() == 1);
    CHECK(field(config_lines[0], "token_ok") == "1");
  }
  CHECK(d.log().find(fakecord_token) == std::string::npos);
}

TEST_CASE("gateway: identify permits are spaced by the window, max_concurrency 1", "[integration][gateway]") {
  Fakecord fc({"--max-concurrency", "1"});
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 4\nclusters = 2", "identify_window = \"300ms\"\nidentify_reserve = 0"));
  REQUIRE(d.wait_all_ready(30s));
  const auto g = grants(s.dir, 2);
  REQUIRE(g.size() == 4);
  std::vector<std::uint32_t> shards;
  for (std::size_t i = 0; i < g.size(); ++i) {
    shards.push_back(g[i].shard);
    if (i > 0) CHECK(g[i].mono_ms - g[i - 1].mono_ms >= 300 - delivery_slack_ms);
  }
  std::sort(shards.begin(), shards.end());
  CHECK(shards == std::vector<std::uint32_t>{0, 1, 2, 3});
}

TEST_CASE("gateway: identify permits per bucket with max_concurrency 4, in shard order", "[integration][gateway]") {
  Fakecord fc({"--max-concurrency", "4"});
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 12\nclusters = 1", "identify_window = \"300ms\"\nidentify_reserve = 0"));
  REQUIRE(d.wait_all_ready(30s));
  const auto g = grants(s.dir, 1);
  REQUIRE(g.size() == 12);
  std::map<std::uint32_t, std::vector<Grant>> buckets;
  for (const Grant& x : g) buckets[x.shard % 4].push_back(x);
  REQUIRE(buckets.size() == 4);
  for (const auto& [bucket, list] : buckets) {
    INFO("bucket " << bucket);
    REQUIRE(list.size() == 3);
    for (std::size_t i = 1; i < list.size(); ++i) {
      CHECK(list[i].shard > list[i - 1].shard);  // lower shards of a bucket go first
      CHECK(list[i].mono_ms - list[i - 1].mono_ms >= 300 - delivery_slack_ms);
    }
  }
}

TEST_CASE("gateway: a permit held by a cluster killed with SIGKILL is revoked, the others proceed",
          "[integration][gateway]") {
  // Two buckets: a held permit keeps its own bucket shut (until it is revoked), not the other.
  Fakecord fc({"--max-concurrency", "2"});
  Setup s;
  // The first cluster process to start holds its permit (never sends identify_done).
  Daemon d(s.dir, s.config(fc, "shards = 2\nclusters = 2", "identify_window = \"100ms\"\nidentify_reserve = 0",
                           ", \"--hold-once\", \"@DIR@/held\""));
  REQUIRE(d.wait_all_ready(30s));
  auto v = gateway_view(d.socket());
  REQUIRE(v);
  CHECK(v->in_flight == 1);
  const bool zero_holds = !lines_starting(s.dir, 0, "hold").empty();
  const std::uint32_t holder = zero_holds ? 0 : 1;
  REQUIRE(lines_starting(s.dir, holder, "hold").size() == 1);
  auto st = d.status();
  REQUIRE(st);
  ::kill(st->clusters[holder].pid, SIGKILL);
  const std::string revoked = "cluster " + std::to_string(holder) + ": identify permit for shard " +
                              std::to_string(holder) + " revoked";
  REQUIRE(wait_until([&] { return d.log().find(revoked) != std::string::npos; }, 10s));
  INFO("holder " << holder);
  REQUIRE(wait_until(
      [&] {
        auto now = gateway_view(d.socket());
        return now && now->in_flight == 0;
      },
      10s));
  // The killed cluster comes back (not holding any more: the marker exists), asks again and
  // gets a permit; everything is ready again.
  REQUIRE(wait_until([&] { return lines_starting(s.dir, holder, "grant ").size() >= 2; }, 20s));
  REQUIRE(d.wait_all_ready(20s));
  auto after = gateway_view(d.socket());
  REQUIRE(after);
  CHECK(after->in_flight == 0);
  CHECK(after->waiting == 0);
}

TEST_CASE("gateway: the budget reserve holds shards back and status says why", "[integration][gateway]") {
  // 7 identifies left, default reserve max(4 shards, 5 % of 100) = 5: two shards may go.
  Fakecord fc({"--session-total", "100", "--session-remaining", "7"});
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 4\nclusters = 1", "identify_window = \"50ms\""));
  REQUIRE(wait_until([&] { return grants(s.dir, 1).size() == 2; }, 20s));
  std::optional<GatewayView> v;
  REQUIRE(wait_until(
      [&] {
        v = gateway_view(d.socket());
        return v && v->waiting == 2 && v->in_flight == 0 && v->remaining == 5;
      },
      10s));
  CHECK(v->reserve == 5);
  CHECK(v->blocked_reason.find("keeping a reserve of 5") != std::string::npos);
  CHECK(v->blocked_reason.find("2 shards wait") != std::string::npos);
  const ToolRun json = run_meganectl(s.dir, {"--socket", d.socket().string(), "status", "--json"});
  CHECK(json.exit_code == 0);
  CHECK(json.output.find("\"blocked_reason\":\"identify budget: 5 identifies left today") != std::string::npos);
  const ToolRun table = run_meganectl(s.dir, {"--socket", d.socket().string(), "status"});
  INFO(table.output);
  CHECK(table.output.find("identify blocked: identify budget") != std::string::npos);
  CHECK(table.output.find("identify: 5/100 left today (reserve 5") != std::string::npos);
  auto st = d.status();
  REQUIRE(st);
  CHECK(st->clusters.at(0).state == "starting");  // its shards could not all identify
  CHECK(grants(s.dir, 1).size() == 2);
}

TEST_CASE("gateway: when the daily budget resets, the shards it held back go", "[integration][gateway]") {
  // As above, two shards go and two wait; fakecord refills the budget 2 s after its start and
  // meganed asks /gateway/bot again once reset_after has passed.
  Fakecord fc({"--session-total", "100", "--session-remaining", "7", "--session-reset-ms", "2000"});
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 4\nclusters = 1", "identify_window = \"50ms\""));
  auto st = d.wait_all_ready(30s);
  INFO(d.log());
  REQUIRE(st);
  CHECK(grants(s.dir, 1).size() == 4);
  CHECK(d.log().find("identify budget refreshed: ") != std::string::npos);
  auto v = gateway_view(d.socket());
  REQUIRE(v);
  CHECK(v->waiting == 0);
  CHECK(v->blocked_reason.empty());
}

TEST_CASE("gateway: sessions survive a cluster restart, shard states and events", "[integration][gateway]") {
  Fakecord fc;
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 2\nclusters = 1", "identify_window = \"50ms\"\nidentify_reserve = 0",
                           ", \"--report-sessions\""));
  Client events(d.socket());
  REQUIRE(events.connected());
  REQUIRE(events.hello_control());
  const auto sub = megane::proto::encode(megane::proto::Subscribe{megane::proto::event_bit(megane::proto::EventKind::shard)});
  auto subscribed = events.request(megane::proto::MessageType::subscribe, sub);
  REQUIRE(subscribed);
  REQUIRE_FALSE(subscribed->is_error());

  REQUIRE(d.wait_all_ready(30s));
  std::optional<GatewayView> v;
  REQUIRE(wait_until(
      [&] {
        v = gateway_view(d.socket());
        return v && v->sessions == 2 && v->shard_states == std::vector<std::string>{"ready", "ready"};
      },
      10s));
  const ToolRun shards = run_meganectl(s.dir, {"--socket", d.socket().string(), "status", "--shards"});
  INFO(shards.output);
  CHECK(shards.output.find("SHARD  CLUSTER  STATE") != std::string::npos);
  CHECK(shards.output.find("ready  10ms") != std::string::npos);

  auto st = d.status();
  REQUIRE(st);
  const pid_t first = st->clusters[0].pid;
  ::kill(first, SIGKILL);
  REQUIRE(wait_until([&] { return lines_starting(s.dir, 0, "config ").size() == 2; }, 20s));
  const auto config = lines_starting(s.dir, 0, "config ");
  CHECK(field(config[0], "sessions").empty());
  CHECK(field(config[1], "sessions") == "0:session-0:100,1:session-1:101");
  REQUIRE(d.wait_all_ready(20s));
  // Both shards resumed: no new permit was asked for.
  CHECK(lines_starting(s.dir, 0, "resume ").size() == 2);
  CHECK(lines_starting(s.dir, 0, "grant ").size() == 2);

  // The new process reported resuming, then ready, for each shard: one event per change, with
  // the documented fields (events of the first process may precede them).
  std::vector<std::string> resuming, ready_after;
  while (resuming.size() < 2 || ready_after.size() < 2) {
    auto frame = events.read(10s);
    INFO(d.log());
    REQUIRE(frame);
    if (frame->header.type != megane::proto::MessageType::event) continue;
    megane::proto::Event e;
    REQUIRE(megane::proto::decode(frame->payload, e));
    CHECK(e.kind == megane::proto::EventKind::shard);
    CHECK(e.json.find(R"({"type":"shard","cluster":0,"shard":)") == 0);
    if (e.json.find(R"("state":"resuming")") != std::string::npos) resuming.push_back(e.json);
    else if (!resuming.empty() && e.json.find(R"("state":"ready","latency_ms":10,)") != std::string::npos)
      ready_after.push_back(e.json);
  }
  std::optional<GatewayView> after;
  REQUIRE(wait_until(
      [&] {
        after = gateway_view(d.socket());
        return after && after->shard_states == std::vector<std::string>{"ready", "ready"};
      },
      10s));
  CHECK(d.log().find("cluster 0 shard 1: resuming") != std::string::npos);
}

TEST_CASE("gateway: a fatal shard status is logged at error with its detail", "[integration][gateway]") {
  Fakecord fc;
  Setup s;
  Daemon d(s.dir, s.config(fc, "shards = 1", "identify_window = \"50ms\"\nidentify_reserve = 0",
                           ", \"--fatal\", \"closed 4014 (disallowed intents)\""));
  REQUIRE(wait_until(
      [&] {
        auto st = d.status();
        return st && !st->clusters.empty() && st->clusters[0].state == "failed";
      },
      20s));
  const std::string log = d.log();
  INFO(log);
  CHECK(log.find("error [meganed gw] cluster 0 shard 0: fatal: closed 4014 (disallowed intents)") != std::string::npos);
}

TEST_CASE("gateway: permits only for the cluster's own shards, and only for clusters", "[integration][gateway]") {
  Fakecord fc;
  Setup s;
  // Every cluster also asks for shard 1, which only cluster 1 owns.
  Daemon d(s.dir, s.config(fc, "shards = 2\nclusters = 2", "identify_window = \"50ms\"\nidentify_reserve = 0",
                           ", \"--ask-shard\", \"1\""));
  REQUIRE(d.wait_all_ready(30s));
  REQUIRE(wait_until([&] { return !lines_starting(s.dir, 0, "error ").empty(); }, 10s));
  const auto errors = lines_starting(s.dir, 0, "error ");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("shard=1 code=4 message=shard 1 is not in cluster 0's range (0-0)") != std::string::npos);
  const auto granted = lines_starting(s.dir, 0, "grant ");
  REQUIRE(granted.size() == 1);
  CHECK(field(granted[0], "shard") == "0");
  // A control connection may not ask for permits at all.
  Client c(d.socket());
  REQUIRE(c.hello_control());
  const auto req = megane::proto::encode(megane::proto::IdentifyPermitRequest{0});
  auto r = c.request(megane::proto::MessageType::identify_permit, req);
  REQUIRE(r);
  REQUIRE(r->is_error());
  CHECK(r->error_code() == megane::proto::ErrorCode::not_allowed);
}

TEST_CASE("gateway: without a [gateway] section the gateway messages answer not_found", "[integration][gateway]") {
  TempDir dir;
  Daemon d(dir, "[bot]\nexecutable = \"@BIN@/megane-test-bot\"\n[sharding]\nshards = 1\n[ipc]\nsocket = \"@SOCKET@\"\n");
  REQUIRE(d.wait_all_ready(20s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  auto r = c.request(megane::proto::MessageType::gateway_config);
  REQUIRE(r);
  REQUIRE(r->is_error());
  CHECK(r->error_code() == megane::proto::ErrorCode::not_found);
  CHECK(r->error_message().find("no [gateway] section in") != std::string::npos);
  CHECK(status_text(d.socket()).find("\"gateway\":null") != std::string::npos);
}

TEST_CASE("gateway: https to the API with a CA file (fakecord --tls)", "[integration][gateway]") {
  TempDir certs;
  const fs::path cert = certs.path() / "cert.pem";
  Fakecord fc({"--tls", "--cert-out", cert.string(), "--shards-recommended", "2"});
  Setup s;
  std::string config = s.config(fc, "shards = \"auto\"\nclusters = 1", "identify_window = \"50ms\"\nidentify_reserve = 0\n");
  const std::string http = "api_url = \"http://";
  config.replace(config.find(http), http.size(), "api_url = \"https://");
  config += "ca_file = \"" + cert.string() + "\"\n";
  Daemon d(s.dir, config);
  auto st = d.wait_all_ready(30s);
  INFO(d.log());
  REQUIRE(st);
  CHECK(st->shards_total == 2);
}
