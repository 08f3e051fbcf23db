// The real fakecord binary over real sockets, driven by a raw WebSocket client (ws_client.hpp).
#include <sys/stat.h>

#include <memory>
#include <string>

#include <simdjson.h>

#include "catch.hpp"
#include "harness.hpp"
#include "fakecord_process.hpp"
#include "ws_client.hpp"

using namespace megane::test;

namespace {

constexpr const char* token = fakecord_token;

struct Msg {
  std::int64_t op = -1;
  std::string t;
  std::int64_t s = -1;
  std::string text;
};

Msg parse(const std::string& text) {
  static simdjson::dom::parser parser;
  Msg m;
  m.text = text;
  simdjson::dom::element doc = parser.parse(text);
  m.op = std::int64_t(doc["op"]);
  std::string_view t;
  if (doc["t"].get_string().get(t) == simdjson::SUCCESS) m.t = std::string(t);
  std::int64_t s = 0;
  if (doc["s"].get_int64().get(s) == simdjson::SUCCESS) m.s = s;
  return m;
}

std::optional<Msg> next(WsClient& ws, std::chrono::milliseconds timeout = 5s) {
  auto text = ws.read(timeout);
  if (!text) return std::nullopt;
  return parse(*text);
}

std::string identify(std::uint32_t shard, std::uint32_t total, const std::string& tok = token) {
  return "{\"op\":2,\"d\":{\"token\":\"" + tok + "\",\"intents\":33281,\"shard\":[" + std::to_string(shard) + "," +
         std::to_string(total) + "],\"properties\":{\"os\":\"linux\",\"browser\":\"test\",\"device\":\"test\"}}}";
}

struct Ready {
  std::string session_id;
  std::size_t guilds = 0;
  std::int64_t last_seq = 0;
};

// HELLO, IDENTIFY, READY and every GUILD_CREATE of the shard.
Ready identify_and_load(WsClient& ws, std::uint32_t shard, std::uint32_t total) {
  auto hello = next(ws);
  REQUIRE(hello);
  CHECK(hello->op == 10);
  ws.send_text(identify(shard, total));
  auto ready = next(ws);
  REQUIRE(ready);
  REQUIRE(ready->t == "READY");
  CHECK(ready->s == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element d = parser.parse(ready->text)["d"];
  Ready r;
  r.session_id = std::string(std::string_view(d["session_id"]));
  r.guilds = simdjson::dom::array(d["guilds"]).size();
  r.last_seq = 1;
  for (std::size_t i = 0; i < r.guilds; ++i) {
    auto g = next(ws);
    REQUIRE(g);
    CHECK(g->t == "GUILD_CREATE");
    CHECK(g->s == r.last_seq + 1);
    r.last_seq = g->s;
  }
  return r;
}

}  // namespace

TEST_CASE("fakecord: GET /gateway/bot has Discord's shape and checks the token", "[fakecord]") {
  Fakecord fc({"--shards-recommended", "4", "--max-concurrency", "2", "--session-remaining", "900"});
  const HttpReply ok = http_request(fc.api, "GET", "/api/v10/gateway/bot", "", std::string("Bot ") + token);
  REQUIRE(ok.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(ok.body);
  CHECK(std::string_view(doc["url"]) == "ws://127.0.0.1:" + std::to_string(fc.gateway));
  CHECK(std::uint64_t(doc["shards"]) == 4);
  CHECK(std::uint64_t(doc["session_start_limit"]["total"]) == 1000);
  CHECK(std::uint64_t(doc["session_start_limit"]["remaining"]) == 900);
  CHECK(std::uint64_t(doc["session_start_limit"]["max_concurrency"]) == 2);
  CHECK(std::uint64_t(doc["session_start_limit"]["reset_after"]) > 0);
  const HttpReply denied = http_request(fc.api, "GET", "/api/v10/gateway/bot", "", "Bot wrong");
  CHECK(denied.status == 401);
  CHECK(denied.body == R"({"message":"401: Unauthorized","code":0})");
  CHECK(http_request(fc.api, "GET", "/api/v10/nowhere", "", std::string("Bot ") + token).status == 404);
}

TEST_CASE("fakecord: IDENTIFY on two shards, GUILD_CREATEs per shard, heartbeat ACK", "[fakecord]") {
  Fakecord fc({"--max-concurrency", "2"});
  WsClient a(fc.gateway, "/?v=10&encoding=json");
  WsClient b(fc.gateway, "/?v=10&encoding=json");
  REQUIRE(a.connected());
  REQUIRE(b.connected());
  const Ready ra = identify_and_load(a, 0, 2);
  const Ready rb = identify_and_load(b, 1, 2);
  CHECK(ra.guilds + rb.guilds == 40);
  CHECK(ra.guilds > 5);
  CHECK(rb.guilds > 5);
  CHECK(ra.session_id != rb.session_id);

  a.send_text(R"({"op":1,"d":)" + std::to_string(ra.last_seq) + "}");
  auto ack = next(a);
  REQUIRE(ack);
  CHECK(ack->op == 11);
  CHECK(fc.stat("heartbeats") == 1);
  CHECK(fc.stat("connections_open") == 2);
  CHECK(fc.stats().find(R"("identifies":{"total":2,"per_shard":{"0":1,"1":1})") != std::string::npos);
}

TEST_CASE("fakecord: a too-early IDENTIFY gets op 9, a bad token closes 4004", "[fakecord]") {
  Fakecord fc({"--max-concurrency", "1"});
  WsClient a(fc.gateway, "/?v=10&encoding=json");
  identify_and_load(a, 0, 2);
  WsClient b(fc.gateway, "/?v=10&encoding=json");
  REQUIRE(next(b));
  b.send_text(identify(1, 2));  // same bucket (1 % 1), within 5 s
  auto op9 = next(b);
  REQUIRE(op9);
  CHECK(op9->text == R"({"t":null,"s":null,"op":9,"d":false})");
  CHECK(fc.stat("too_early_identifies") == 1);
  CHECK(fc.stat("op9_sent") == 1);

  WsClient c(fc.gateway, "/?v=10&encoding=json");
  REQUIRE(next(c));
  c.send_text(identify(0, 1, "not-the-token"));
  CHECK_FALSE(next(c));
  CHECK(c.closed());
  REQUIRE(c.close_code());
  CHECK(*c.close_code() == 4004);

  WsClient old_version(fc.gateway, "/?v=9&encoding=json");
  CHECK_FALSE(next(old_version));
  CHECK(old_version.close_code() == std::optional<std::uint16_t>(4012));
}

TEST_CASE("fakecord: zlib-stream payloads decode, split messages included", "[fakecord]") {
  Fakecord fc({"--zlib-split-every", "3"});
  WsClient ws(fc.gateway, "/?v=10&encoding=json&compress=zlib-stream", true);
  REQUIRE(ws.connected());
  const Ready r = identify_and_load(ws, 0, 1);
  CHECK(r.guilds == 40);
  CHECK(ws.partial_messages() >= 13);  // every third of HELLO + READY + 40 GUILD_CREATEs
}

TEST_CASE("fakecord: RESUME on the resume port replays what was missed", "[fakecord]") {
  Fakecord fc;
  std::string session_id;
  std::int64_t seq = 0;
  {
    WsClient ws(fc.gateway, "/?v=10&encoding=json");
    const Ready r = identify_and_load(ws, 0, 1);
    session_id = r.session_id;
    seq = r.last_seq;
    ws.drop();  // no close frame: the session stays resumable
  }
  REQUIRE(wait_until([&] { return fc.stat("connections_open") == 0; }, 5s));
  const HttpReply d1 = http_request(fc.control_port, "POST", "/dispatch", R"({"shard":0,"t":"GUILD_UPDATE","d":{"id":"1","name":"a"}})");
  const HttpReply d2 = http_request(fc.control_port, "POST", "/dispatch", R"({"shard":0,"t":"CHANNEL_UPDATE","d":{"id":"2"}})");
  CHECK(d1.body == R"({"sessions":1})");
  CHECK(d2.status == 200);

  WsClient ws(fc.resume, "/?v=10&encoding=json");
  REQUIRE(next(ws));
  ws.send_text(R"({"op":6,"d":{"token":")" + std::string(token) + R"(","session_id":")" + session_id +
               R"(","seq":)" + std::to_string(seq) + "}}");
  auto a = next(ws);
  auto b = next(ws);
  auto resumed = next(ws);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(resumed);
  CHECK(a->t == "GUILD_UPDATE");
  CHECK(a->s == seq + 1);
  CHECK(b->t == "CHANNEL_UPDATE");
  CHECK(resumed->t == "RESUMED");
  CHECK(fc.stats().find(R"("resumes":{"total":1)") != std::string::npos);

  WsClient unknown(fc.resume, "/?v=10&encoding=json");
  REQUIRE(next(unknown));
  unknown.send_text(R"({"op":6,"d":{"token":")" + std::string(token) + R"(","session_id":"nope","seq":1}})");
  auto op9 = next(unknown);
  REQUIRE(op9);
  CHECK(op9->op == 9);
}

TEST_CASE("fakecord: control API bursts, faults and counters", "[fakecord]") {
  Fakecord fc;
  WsClient ws(fc.gateway, "/?v=10&encoding=json");
  const Ready r = identify_and_load(ws, 0, 1);
  const HttpReply burst = http_request(fc.control_port, "POST", "/burst", R"({"shard":0,"event":"MESSAGE_CREATE","count":3000,"rate":0})");
  CHECK(burst.body == R"({"sessions":1,"skipped":0,"count":3000})");
  std::int64_t seq = r.last_seq;
  for (int i = 0; i < 3000; ++i) {
    auto m = next(ws);
    REQUIRE(m);
    REQUIRE(m->t == "MESSAGE_CREATE");
    REQUIRE(m->s == ++seq);
  }
  CHECK(fc.stat("events_dispatched") == 1 + 40 + 3000);

  http_request(fc.control_port, "POST", "/fault", R"({"shard":0,"kind":"heartbeat_request"})");
  auto hb = next(ws);
  REQUIRE(hb);
  CHECK(hb->op == 1);
  ws.send_text(R"({"op":1,"d":null})");
  REQUIRE(next(ws));  // ACK
  CHECK(fc.stat("heartbeat_requests_answered") == 1);

  const HttpReply closed = http_request(fc.control_port, "POST", "/fault", R"({"shard":0,"kind":"close","code":4000})");
  CHECK(closed.body == R"({"connections":1})");
  CHECK_FALSE(next(ws));
  CHECK(ws.close_code() == std::optional<std::uint16_t>(4000));

  CHECK(http_request(fc.control_port, "POST", "/reset").status == 200);
  CHECK(fc.stat("events_dispatched") == 0);
}
