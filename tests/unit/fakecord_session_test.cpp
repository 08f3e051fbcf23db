// fakecord's gateway state machine without sockets: client payloads in, frames out, virtual time.
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/snowflake.hpp"
#include "fakecord/frame_reader.hpp"

using namespace fakecord;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};  // virtual time

Options small_options() {
  Options o;
  o.token = "secret-token";
  o.guilds = 30;
  o.members_per_guild = 4;
  o.channels_per_guild = 3;
  o.roles_per_guild = 3;
  o.hello_interval_ms = 1000;
  return o;
}

struct Payload {
  std::int64_t op = -1;
  std::string t;
  std::int64_t s = -1;  // -1: null
  std::string text;
};

Payload parse(const std::string& text) {
  static simdjson::dom::parser parser;
  Payload p;
  p.text = text;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  REQUIRE(doc["op"].get_int64().get(p.op) == simdjson::SUCCESS);
  std::string_view t;
  if (doc["t"].get_string().get(t) == simdjson::SUCCESS) p.t = std::string(t);
  std::int64_t s = 0;
  if (doc["s"].get_int64().get(s) == simdjson::SUCCESS) p.s = s;
  return p;
}

// The client side of one connection: decodes what the state machine queued.
struct Client {
  Client(Hub& hub, TimePoint now, ConnectionParams params = {}) : conn(hub, params, now), reader(params.zlib) {
    conn.set_high_water(SIZE_MAX);
    conn.open(now);
  }
  std::vector<Payload> read() {
    std::vector<Payload> out;
    conn.pump();
    conn.outbox().take(bytes);
    for (const std::string& text : reader.feed(bytes)) out.push_back(parse(text));
    close_code = reader.close_code();
    return out;
  }
  void send(const std::string& payload, TimePoint now) { conn.on_message(payload, now); }

  GatewayConnection conn;
  FrameReader reader;
  std::string bytes;
  std::optional<std::uint16_t> close_code;
};

std::string identify(const std::string& token, std::uint32_t shard, std::uint32_t total,
                     std::uint32_t intents = intent_guilds | intent_guild_messages) {
  return fmt::format(
      R"({{"op":2,"d":{{"token":"{}","intents":{},"shard":[{},{}],"properties":{{"os":"linux","browser":"t","device":"t"}}}}}})",
      token, intents, shard, total);
}

std::string resume(const std::string& token, const std::string& session_id, std::uint64_t seq) {
  return fmt::format(R"({{"op":6,"d":{{"token":"{}","session_id":"{}","seq":{}}}}})", token, session_id, seq);
}

std::string session_id_of(const Payload& ready) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(ready.text);
  return std::string(std::string_view(doc["d"]["session_id"]));
}

// A fresh connection identified as shard `shard` of `total`; everything it was sent is read.
std::vector<Payload> identified(Client& c, std::uint32_t shard, std::uint32_t total, TimePoint now) {
  c.read();  // HELLO
  c.send(identify("secret-token", shard, total), now);
  return c.read();
}

}  // namespace

TEST_CASE("fakecord session: HELLO comes first with the configured interval", "[fakecord]") {
  Hub hub(small_options(), t0);
  Client c(hub, t0);
  const auto got = c.read();
  REQUIRE(got.size() == 1);
  CHECK(got[0].op == 10);
  CHECK(got[0].text.find("\"heartbeat_interval\":1000") != std::string::npos);
}

TEST_CASE("fakecord session: IDENTIFY gives READY then one GUILD_CREATE per guild of the shard", "[fakecord]") {
  Hub hub(small_options(), t0);
  hub.set_urls("ws://127.0.0.1:1", "ws://127.0.0.1:2");
  Client c(hub, t0);
  const auto got = identified(c, 1, 3, t0);
  const auto expected = hub.population().guilds_for_shard(1, 3);
  REQUIRE(!expected.empty());
  REQUIRE(got.size() == 1 + expected.size());
  CHECK(got[0].t == "READY");
  CHECK(got[0].s == 1);
  CHECK(got[0].text.find(R"("resume_gateway_url":"ws://127.0.0.1:2")") != std::string::npos);
  CHECK(got[0].text.find(R"("shard":[1,3])") != std::string::npos);
  CHECK(got[0].text.find(R"("v":10)") != std::string::npos);
  for (std::size_t i = 1; i < got.size(); ++i) {
    CHECK(got[i].t == "GUILD_CREATE");
    CHECK(got[i].s == static_cast<std::int64_t>(i + 1));
    const auto gid = hub.population().guild_id(expected[i - 1]);
    CHECK(shard_for_guild(gid, 3) == 1);
    CHECK(got[i].text.find(fmt::format(R"("d":{{"id":"{}")", gid)) != std::string::npos);
  }
  CHECK(hub.counters().identifies == 1);
  CHECK(hub.counters().identifies_per_shard.at(1) == 1);
}

TEST_CASE("fakecord session: every gateway close code", "[fakecord]") {
  struct Case {
    const char* name;
    std::uint16_t code;
  };
  Options opt = small_options();
  const std::string big = R"({"op":1,"d":null,"pad":")" + std::string(5000, 'x') + "\"}";

  auto closes_with = [&](Options o, const std::vector<std::string>& payloads, std::uint16_t code,
                         ConnectionParams params = {}) {
    Hub hub(o, t0);
    Client c(hub, t0, params);
    c.read();
    for (const std::string& p : payloads) c.send(p, t0);
    c.read();
    REQUIRE(c.close_code.has_value());
    CHECK(*c.close_code == code);
    CHECK(c.conn.state() == ConnectionState::closed);
  };

  SECTION("4001 unknown opcode") { closes_with(opt, {R"({"op":5,"d":null})"}, 4001); }
  SECTION("4001 opcode 99") { closes_with(opt, {R"({"op":99,"d":{}})"}, 4001); }
  SECTION("4002 undecodable JSON") { closes_with(opt, {"{not json"}, 4002); }
  SECTION("4002 no op") { closes_with(opt, {R"({"d":null})"}, 4002); }
  SECTION("4002 payload over 4096 bytes") { closes_with(opt, {big}, 4002); }
  SECTION("4002 IDENTIFY without properties") {
    closes_with(opt, {R"({"op":2,"d":{"token":"secret-token","intents":1}})"}, 4002);
  }
  SECTION("4003 presence update before IDENTIFY") {
    closes_with(opt, {R"({"op":3,"d":{"status":"online","since":null,"activities":[],"afk":false}})"}, 4003);
  }
  SECTION("4003 request guild members before IDENTIFY") {
    closes_with(opt, {R"({"op":8,"d":{"guild_id":"1","query":"","limit":0}})"}, 4003);
  }
  SECTION("4004 wrong token") { closes_with(opt, {identify("wrong", 0, 1)}, 4004); }
  SECTION("4004 RESUME with a wrong token") { closes_with(opt, {resume("wrong", "abc", 1)}, 4004); }
  SECTION("4005 second IDENTIFY") { closes_with(opt, {identify("secret-token", 0, 1), identify("secret-token", 0, 1)}, 4005); }
  SECTION("4008 more than 120 payloads in 60 s") {
    closes_with(opt, std::vector<std::string>(121, R"({"op":1,"d":null})"), 4008);
  }
  SECTION("4010 shard id >= total") { closes_with(opt, {identify("secret-token", 2, 2)}, 4010); }
  SECTION("4010 malformed shard") {
    closes_with(opt, {R"({"op":2,"d":{"token":"secret-token","intents":1,"shard":["a",1],"properties":{}}})"}, 4010);
  }
  SECTION("4010 total other than the expected one") {
    Options o = opt;
    o.expect_shards = 2;
    closes_with(o, {identify("secret-token", 0, 3)}, 4010);
  }
  SECTION("4011 too many guilds for one session") {
    Options o = opt;
    o.max_guilds_per_shard = 5;
    closes_with(o, {identify("secret-token", 0, 1)}, 4011);
  }
  SECTION("4012 wrong API version") { closes_with(opt, {}, 4012, ConnectionParams{false, false, false}); }
  SECTION("4013 undefined intent bit") { closes_with(opt, {identify("secret-token", 0, 1, 1u << 17)}, 4013); }
  SECTION("4013 missing intents") {
    closes_with(opt, {R"({"op":2,"d":{"token":"secret-token","properties":{}}})"}, 4013);
  }
  SECTION("4014 privileged intent not enabled") {
    Options o = opt;
    o.enabled_privileged_intents = intent_message_content;
    closes_with(o, {identify("secret-token", 0, 1, intent_guilds | intent_guild_members)}, 4014);
  }
}

TEST_CASE("fakecord session: 4009 when heartbeats stop, 4007 for a future seq", "[fakecord]") {
  Hub hub(small_options(), t0);
  SECTION("heartbeats keep it open, silence closes 4009") {
    Client c(hub, t0);
    c.read();
    c.send(R"({"op":1,"d":null})", t0 + 900ms);
    c.conn.tick(t0 + 2000ms);
    c.read();
    CHECK_FALSE(c.close_code.has_value());
    c.conn.tick(t0 + 2500ms);
    c.read();
    REQUIRE(c.close_code.has_value());
    CHECK(*c.close_code == 4009);
  }
  SECTION("RESUME with a seq the session never reached closes 4007 and ends the session") {
    Client a(hub, t0);
    const auto got = identified(a, 0, 1, t0);
    const std::string sid = session_id_of(got[0]);
    a.conn.on_transport_closed(t0);
    Client b(hub, t0 + 1s);
    b.read();
    b.send(resume("secret-token", sid, 10'000), t0 + 1s);
    b.read();
    REQUIRE(b.close_code.has_value());
    CHECK(*b.close_code == 4007);
    CHECK(hub.find_resumable(sid, t0 + 1s) == nullptr);
  }
}

TEST_CASE("fakecord session: heartbeats, zombie connections and heartbeat requests", "[fakecord]") {
  Hub hub(small_options(), t0);
  Client c(hub, t0);
  c.read();
  c.send(R"({"op":1,"d":null})", t0);
  auto got = c.read();
  REQUIRE(got.size() == 1);
  CHECK(got[0].op == 11);

  c.conn.set_zombie(true);
  c.send(R"({"op":1,"d":5})", t0 + 1ms);
  CHECK(c.read().empty());
  CHECK(hub.counters().heartbeats == 2);
  CHECK(hub.counters().heartbeat_acks == 1);

  c.conn.set_zombie(false);
  c.conn.request_heartbeat();
  got = c.read();
  REQUIRE(got.size() == 1);
  CHECK(got[0].op == 1);
  c.send(R"({"op":1,"d":null})", t0 + 2ms);
  CHECK(hub.counters().heartbeat_requests == 1);
  CHECK(hub.counters().heartbeat_requests_answered == 1);
}

TEST_CASE("fakecord session: reconnect and drop faults", "[fakecord]") {
  Hub hub(small_options(), t0);
  Client c(hub, t0);
  identified(c, 0, 1, t0);
  c.conn.send_reconnect();
  const auto got = c.read();
  REQUIRE(got.size() == 1);
  CHECK(got[0].text == R"({"t":null,"s":null,"op":7,"d":null})");
  CHECK(c.conn.state() == ConnectionState::authenticated);  // the client closes, not fakecord

  c.conn.drop();
  CHECK(c.conn.outbox().dropped());
  CHECK(c.conn.outbox().pending() == 0);
  CHECK(hub.counters().drops == 1);
  const std::string sid = c.conn.session()->id;
  c.conn.on_transport_closed(t0 + 1s);
  CHECK(hub.find_resumable(sid, t0 + 2s) != nullptr);  // a drop keeps the session
}
