// The daemon's gateway side without sockets: URLs, the /gateway/bot answer, auto shard counts,
// the [gateway] config section, token reading, sessions, shard states, and meganectl's view of
// them.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "catch.hpp"
#include "scratch_dir.hpp"
#include "config.hpp"
#include "gateway/gateway_bot.hpp"
#include "gateway/session_registry.hpp"
#include "gateway/shard_board.hpp"
#include "gateway/token.hpp"
#include "gateway/base_url.hpp"
#include "meganectl/status.hpp"
#include "meganectl/status_table.hpp"

using namespace megane::daemon;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures{MEGANE_FIXTURES_DIR};

fs::path virtual_file(std::string_view name) { return fixtures / "good_configs" / name; }

Config must_parse(std::string_view text, std::string_view name = "gw.toml") {
  LoadResult result = parse_config(text, virtual_file(name));
  if (const auto* error = std::get_if<ConfigError>(&result)) FAIL(error->to_string());
  return std::get<Config>(std::move(result));
}

ConfigError must_fail(std::string_view text, std::string_view name = "gw.toml") {
  LoadResult result = parse_config(text, virtual_file(name));
  REQUIRE(std::holds_alternative<ConfigError>(result));
  return std::get<ConfigError>(std::move(result));
}

const std::string head = "[bot]\nexecutable = \"../bin/true-bot\"\n";

// A private scratch directory removed at scope end.
struct Scratch : megane::test::ScratchDir {
  Scratch() : megane::test::ScratchDir("megane-gw-unit") {}
  fs::path write(const std::string& name, const std::string& text, mode_t mode) const {
    const fs::path p = path / name;
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p;
  }
};

}  // namespace

TEST_CASE("URLs: scheme, host, port, base path", "[gateway]") {
  auto u = parse_url("https://discord.com/api/v10/");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->tls());
  CHECK(u->host == "discord.com");
  CHECK(u->port == "443");
  CHECK(u->path == "/api/v10");
  CHECK(u->host_header() == "discord.com");
  u = parse_url("http://127.0.0.1:8080/api/v10");
  REQUIRE(u);
  CHECK(!u->tls());
  CHECK(u->port == "8080");
  CHECK(u->host_header() == "127.0.0.1:8080");
  u = parse_url("ws://[::1]:9/");
  REQUIRE(u);
  CHECK(u->host == "::1");
  CHECK(u->host_header() == "[::1]:9");
  CHECK(u->path.empty());
  for (const char* bad : {"discord.com", "ftp://x", "https://", "https://a:0", "https://a:70000", "https://u:p@a/",
                          "https://a/x?y=1", "http://a:b", "https://a?y=1"}) {
    INFO(bad);
    CHECK_FALSE(parse_url(bad));
  }
}

TEST_CASE("URLs: a query where the caller allows one (webhooks)", "[gateway]") {
  auto u = parse_url("https://discord.com/api/webhooks/1/tok?thread_id=2&wait=true", UrlQuery::allowed);
  REQUIRE(u);
  CHECK(u->path == "/api/webhooks/1/tok");
  CHECK(u->query == "?thread_id=2&wait=true");
  CHECK(request_target(*u) == "/api/webhooks/1/tok?thread_id=2&wait=true");
  u = parse_url("http://127.0.0.1:9/hooks", UrlQuery::allowed);
  REQUIRE(u);
  CHECK(u->query.empty());
  CHECK(request_target(*u) == "/hooks");
  CHECK(request_target(*parse_url("http://a")) == "/");
  for (const char* bad : {"https://a/x?", "https://a/x?y=1#f", "https://a/x?y 1", "https://a?y=1", "wss://a/x?v=10"}) {
    INFO(bad);
    CHECK_FALSE(parse_url(bad, UrlQuery::allowed));
  }
}

TEST_CASE("/gateway/bot answers", "[gateway]") {
  auto r = parse_gateway_bot(R"({"url":"wss://gateway.discord.gg","shards":9,"session_start_limit":)"
                             R"({"total":1000,"remaining":999,"reset_after":14400000,"max_concurrency":16}})");
  REQUIRE(std::holds_alternative<GatewayBotInfo>(r));
  const auto& info = std::get<GatewayBotInfo>(r);
  CHECK(info.url == "wss://gateway.discord.gg");
  CHECK(info.shards == 9);
  CHECK(info.session_total == 1000);
  CHECK(info.session_remaining == 999);
  CHECK(info.reset_after == std::chrono::milliseconds(14400000));
  CHECK(info.max_concurrency == 16);

  auto old = parse_gateway_bot(R"({"shards":1,"session_start_limit":{"total":1000,"remaining":1000,"reset_after":0}})");
  REQUIRE(std::holds_alternative<GatewayBotInfo>(old));
  CHECK(std::get<GatewayBotInfo>(old).max_concurrency == 1);

  auto missing = parse_gateway_bot(R"({"shards":1})");
  REQUIRE(std::holds_alternative<std::string>(missing));
  CHECK(std::get<std::string>(missing).find("session_start_limit") != std::string::npos);
  auto negative = parse_gateway_bot(R"({"shards":-1,"session_start_limit":{}})");
  REQUIRE(std::holds_alternative<std::string>(negative));
  CHECK(std::get<std::string>(negative).find("shards") != std::string::npos);
  CHECK(std::holds_alternative<std::string>(parse_gateway_bot("<html>502</html>")));
}

TEST_CASE("auto and auto-lbs shard counts", "[gateway]") {
  CHECK(plan_shard_count(ShardMode::fixed, 7, 100, 1000) == 7);
  CHECK(plan_shard_count(ShardMode::automatic, 1, 3, 1000) == 3);
  CHECK(plan_shard_count(ShardMode::automatic, 1, 3, 400) == 8);    // ceil(3000 / 400)
  CHECK(plan_shard_count(ShardMode::automatic, 1, 3, 2500) == 2);   // ceil(3000 / 2500)
  CHECK(plan_shard_count(ShardMode::automatic, 1, 0, 1000) == 1);   // never zero
  CHECK(plan_shard_count(ShardMode::automatic_lbs, 1, 3, 1000) == 16);
  CHECK(plan_shard_count(ShardMode::automatic_lbs, 1, 16, 1000) == 16);
  CHECK(plan_shard_count(ShardMode::automatic_lbs, 1, 17, 1000) == 32);
  CHECK(plan_shard_count(ShardMode::automatic_lbs, 1, 20, 500) == 48);  // 40 -> 48
  CHECK(plan_shard_count(ShardMode::automatic, 1, 4'000'000, 1) == 65535);
  CHECK(plan_shard_count(ShardMode::automatic_lbs, 1, 4'000'000, 1) == 65520);
}

TEST_CASE("gateway config: defaults, and no section means no gateway", "[gateway][config]") {
  CHECK_FALSE(must_parse(head + "[sharding]\nshards = 2\n").gateway);
  const Config c = must_parse(head + "[sharding]\nshards = \"auto\"\n[gateway]\n");
  REQUIRE(c.gateway);
  CHECK(c.sharding.mode == ShardMode::automatic);
  CHECK(c.sharding.guilds_per_shard == 1000);
  const GatewayConfig& g = *c.gateway;
  CHECK(g.token_file.empty());
  CHECK(g.token_env == "DISCORD_TOKEN");
  CHECK(g.gateway_url == "wss://gateway.discord.gg");
  CHECK(g.api_url == "https://discord.com/api/v10");
  CHECK(g.intents == 513);
  CHECK(g.large_threshold == 50);
  CHECK(g.presence_json.empty());
  CHECK_FALSE(g.max_concurrency);
  CHECK(g.identify_window == std::chrono::seconds(5));
  CHECK_FALSE(g.identify_reserve);
  CHECK(g.ca_file.empty());
}

TEST_CASE("gateway config: every key, both formats", "[gateway][config]") {
  const Config t = must_parse(head + "[sharding]\nshards = \"auto-lbs\"\nguilds_per_shard = 800\n[gateway]\n"
                                     "token_env = \"MY_BOT_TOKEN\"\ngateway_url = \"ws://127.0.0.1:4000\"\n"
                                     "api_url = \"http://127.0.0.1:4001/api/v10/\"\nintents = 33281\n"
                                     "large_threshold = 250\nmax_concurrency = 16\nidentify_window = \"200ms\"\n"
                                     "identify_reserve = 0\n"
                                     "presence = { status = \"dnd\", activity = { name = \"with \\\"shards\\\"\", type = 3 } }\n");
  const Config j = must_parse(R"({"bot":{"executable":"../bin/true-bot"},
    "sharding":{"shards":"auto-lbs","guilds_per_shard":800},
    "gateway":{"token_env":"MY_BOT_TOKEN","gateway_url":"ws://127.0.0.1:4000",
      "api_url":"http://127.0.0.1:4001/api/v10/","intents":33281,"large_threshold":250,"max_concurrency":16,
      "identify_window":"200ms","identify_reserve":0,
      "presence":{"status":"dnd","activity":{"name":"with \"shards\"","type":3}}}})",
                              "gw.json");
  for (const Config* c : {&t, &j}) {
    REQUIRE(c->gateway);
    CHECK(c->sharding.mode == ShardMode::automatic_lbs);
    CHECK(c->sharding.guilds_per_shard == 800);
    const GatewayConfig& g = *c->gateway;
    CHECK(g.token_env == "MY_BOT_TOKEN");
    CHECK(g.gateway_url == "ws://127.0.0.1:4000");
    CHECK(g.api_url == "http://127.0.0.1:4001/api/v10");  // trailing '/' dropped
    CHECK(g.intents == 33281);
    CHECK(g.large_threshold == 250);
    CHECK(g.max_concurrency == 16u);
    CHECK(g.identify_window == std::chrono::milliseconds(200));
    CHECK(g.identify_reserve == 0u);
    CHECK(g.presence_json ==
          R"({"since":null,"activities":[{"name":"with \"shards\"","type":3}],"status":"dnd","afk":false})");
  }
  const Config custom = must_parse(head + "[sharding]\nshards = 1\n[gateway]\n"
                                          "presence = { activity = { name = \"hi\", type = 4 } }\n");
  CHECK(custom.gateway->presence_json ==
        R"({"since":null,"activities":[{"name":"Custom Status","state":"hi","type":4}],"status":"online","afk":false})");
}

TEST_CASE("gateway config: token_file must be private, token sources are exclusive", "[gateway][config]") {
  Scratch dir;
  const fs::path ok = dir.write("ok.token", "abc\n", 0600);
  const fs::path open = dir.write("open.token", "abc\n", 0640);
  const std::string base = head + "[sharding]\nshards = 1\n[gateway]\n";
  const Config c = must_parse(base + "token_file = \"" + ok.string() + "\"\n");
  CHECK(c.gateway->token_file == ok);
  CHECK(c.gateway->token_file_line == 6);
  const ConfigError e = must_fail(base + "token_file = \"" + open.string() + "\"\n");
  CHECK(e.line == 6);
  CHECK(e.column == 14);
  CHECK(e.message.find("mode 0640") != std::string::npos);
  CHECK(e.message.find(open.string()) != std::string::npos);
  const ConfigError both = must_fail(base + "token_file = \"" + ok.string() + "\"\ntoken_env = \"T\"\n");
  CHECK(both.message.find("not both") != std::string::npos);
  const ConfigError reserved = must_fail(base + "token_env = \"MEGANE_TOKEN\"\n");
  CHECK(reserved.message.find("reserved") != std::string::npos);
}

TEST_CASE("auto shards: clusters is checked at start, not against a count not yet known", "[gateway][config]") {
  const Config c = must_parse(head + "[sharding]\nshards = \"auto\"\nclusters = 64\n[gateway]\n");
  CHECK(c.sharding.clusters == 64u);
}

TEST_CASE("the token: from a private file or the environment, the variable always unset", "[gateway]") {
  Scratch dir;
  GatewayConfig g;
  g.token_env = "MEGANE_GW_TEST_TOKEN_VAR";

  ::setenv(g.token_env.c_str(), "  env-token-123\n", 1);
  auto r = read_token(g, "bot.toml");
  REQUIRE(std::holds_alternative<BotToken>(r));
  CHECK(std::get<BotToken>(r).reveal() == "env-token-123");
  CHECK(std::getenv(g.token_env.c_str()) == nullptr);

  r = read_token(g, "bot.toml");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("MEGANE_GW_TEST_TOKEN_VAR") != std::string::npos);

  // With a token file the variable is still removed, so no child sees it.
  ::setenv(g.token_env.c_str(), "unused", 1);
  g.token_file = dir.write("t", "\n file-token.abc \n", 0600);
  r = read_token(g, "bot.toml");
  REQUIRE(std::holds_alternative<BotToken>(r));
  CHECK(std::get<BotToken>(r).reveal() == "file-token.abc");
  CHECK(std::getenv(g.token_env.c_str()) == nullptr);

  // Re-checked at read time; the message names the file and never its content.
  ::chmod(g.token_file.c_str(), 0644);
  r = read_token(g, "bot.toml");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("0644") != std::string::npos);
  CHECK(std::get<std::string>(r).find("file-token") == std::string::npos);

  g.token_file = dir.write("two", "two words\n", 0600);
  r = read_token(g, "bot.toml");
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("two words") == std::string::npos);
  g.token_file = dir.write("empty", "\n", 0600);
  CHECK(std::holds_alternative<std::string>(read_token(g, "bot.toml")));
}

TEST_CASE("session registry: per shard, cleared by an empty id, by range", "[gateway]") {
  SessionRegistry reg;
  reg.update({3, "s3", 10, "wss://r"});
  reg.update({1, "s1", 5, "wss://r"});
  reg.update({7, "s7", 1, "wss://r"});
  reg.update({3, "s3b", 11, "wss://r"});
  auto r = reg.range(0, 4);
  REQUIRE(r.size() == 2);
  CHECK(r[0].shard_id == 1);
  CHECK(r[1].session_id == "s3b");
  CHECK(r[1].seq == 11);
  reg.update({3, "", 0, ""});
  CHECK(reg.range(0, 4).size() == 1);
  CHECK(reg.range(4, 4).size() == 1);
  CHECK(reg.size() == 2);
}

TEST_CASE("shard board: unknown first, changes reported, forgotten with the process", "[gateway]") {
  using megane::proto::ShardState;
  ShardBoard board(4);
  CHECK(board.at(2).state_name() == "unknown");
  CHECK(board.update({2, ShardState::connecting, 0, 0, ""}));
  CHECK(board.update({2, ShardState::ready, 41, 120, ""}));
  CHECK_FALSE(board.update({2, ShardState::ready, 45, 121, ""}));  // latency only
  CHECK(board.at(2).latency_ms == 45);
  CHECK(board.ready_in_range(0, 4) == 1);
  board.forget_range(2, 2);
  CHECK(board.at(2).state_name() == "unknown");
  CHECK(board.ready_in_range(0, 4) == 0);
}

TEST_CASE("meganectl: shard states, the identify line and --shards", "[gateway][meganectl]") {
  using namespace megane::ctl;
  const char* json = R"({"bot":"b","shards_total":2,"all_ready":false,
    "gateway":{"shards":2,"recommended_shards":1,"max_concurrency":1,"sessions":1,
      "identify":{"remaining":6,"total":100,"reserve":5,"in_flight":0,"waiting":1,
        "blocked_reason":"identify budget: 6 identifies left","resets_in_s":3600.0}},
    "clusters":[{"id":0,"pid":5,"state":"starting","cores":[0],"shards":[0,1],"restarts":0,"uptime_s":1.0,
      "shard_states":[{"id":0,"state":"ready","latency_ms":41,"guilds":120,"detail":""},
                      {"id":1,"state":"fatal","latency_ms":0,"guilds":0,"detail":"closed 4004"}]}],
    "services":[]})";
  auto parsed = parse_status(json);
  REQUIRE(std::holds_alternative<Status>(parsed));
  const Status& s = std::get<Status>(parsed);
  REQUIRE(s.gateway);
  CHECK(s.gateway->identify.blocked_reason == std::optional<std::string>("identify budget: 6 identifies left"));
  REQUIRE(s.clusters.at(0).shard_states.size() == 2);
  const std::string table = format_status(s);
  INFO(table);
  CHECK(table.find("READY") != std::string::npos);
  CHECK(table.find("1/2") != std::string::npos);
  CHECK(table.find("identify: 6/100 left today (reserve 5, resets in 1h00m), 0 in flight, 1 waiting") !=
        std::string::npos);
  CHECK(table.find("identify blocked: identify budget") != std::string::npos);
  CHECK(table.find("cluster 0: shard 1 fatal: closed 4004") != std::string::npos);
  const std::string shards = format_shards(s);
  INFO(shards);
  CHECK(shards.find("SHARD  CLUSTER  STATE  LATENCY  GUILDS  DETAIL") != std::string::npos);
  CHECK(shards.find("0      0        ready  41ms     120     -") != std::string::npos);
  CHECK(shards.find("closed 4004") != std::string::npos);

  // A daemon without [gateway]: the table is the same as before.
  auto plain = parse_status(R"({"bot":"b","shards_total":1,"all_ready":true,"gateway":null,
    "clusters":[{"id":0,"pid":5,"state":"ready","cores":[0],"shards":[0],"restarts":0,"uptime_s":1.0}]})");
  REQUIRE(std::holds_alternative<Status>(plain));
  CHECK_FALSE(std::get<Status>(plain).gateway);
  CHECK(format_status(std::get<Status>(plain)).find("READY") == std::string::npos);
}
