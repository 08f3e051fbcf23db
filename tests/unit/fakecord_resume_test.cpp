// fakecord sessions across connections: RESUME replays what was missed, op 9 when it cannot,
// bursts, replay buffer limits and backpressure. Virtual time, no sockets.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "catch.hpp"
#include "fakecord/frame_reader.hpp"
#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"

using namespace fakecord;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};

struct Payload {
  std::int64_t op = -1;
  std::string t;
  std::int64_t s = -1;
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

struct Client {
  Client(Hub& hub, TimePoint now, bool zlib = false) : conn(hub, ConnectionParams{zlib, true, false}, now), reader(zlib) {
    conn.set_high_water(SIZE_MAX);
    conn.open(now);
  }
  std::vector<Payload> read() {
    std::vector<Payload> out;
    conn.pump();
    conn.outbox().take(bytes);
    for (const std::string& text : reader.feed(bytes)) out.push_back(parse(text));
    return out;
  }
  void send(const std::string& payload, TimePoint now) { conn.on_message(payload, now); }

  GatewayConnection conn;
  FrameReader reader;
  std::string bytes;
};

Options options() {
  Options o;
  o.token = "tok";
  o.guilds = 12;
  o.members_per_guild = 5;
  o.channels_per_guild = 4;
  o.roles_per_guild = 3;
  o.hello_interval_ms = 1000;
  o.resume_timeout_ms = 60'000;
  return o;
}

std::string identify(std::uint32_t intents = intent_guilds | intent_guild_messages | intent_message_content) {
  return fmt::format(R"({{"op":2,"d":{{"token":"tok","intents":{},"shard":[0,1],"properties":{{"os":"l","browser":"b","device":"d"}}}}}})",
                     intents);
}

std::string resume(const std::string& session_id, std::uint64_t seq) {
  return fmt::format(R"({{"op":6,"d":{{"token":"tok","session_id":"{}","seq":{}}}}})", session_id, seq);
}

// An identified client; returns its session id. All of READY and the GUILD_CREATEs are read.
std::string start(Client& c, std::uint32_t intents = intent_guilds | intent_guild_messages | intent_message_content) {
  c.read();
  c.send(identify(intents), t0);
  c.read();
  REQUIRE(c.conn.session() != nullptr);
  return c.conn.session()->id;
}

}  // namespace

TEST_CASE("fakecord resume: missed events are replayed in order, then RESUMED", "[fakecord]") {
  Hub hub(options(), t0);
  Client a(hub, t0);
  const std::string sid = start(a);
  const std::uint64_t seen = a.conn.session()->seq;  // READY + 12 GUILD_CREATEs
  CHECK(seen == 13);
  a.conn.on_transport_closed(t0 + 1s);  // dropped without a close frame

  Session* s = hub.find_resumable(sid, t0 + 2s);
  REQUIRE(s != nullptr);
  hub.dispatch(*s, "GUILD_UPDATE", R"({"id":"1","name":"renamed"})");
  hub.dispatch_burst(*s, 2);

  Client b(hub, t0 + 3s);
  b.read();
  b.send(resume(sid, seen), t0 + 3s);
  const auto got = b.read();
  REQUIRE(got.size() == 4);
  CHECK(got[0].t == "GUILD_UPDATE");
  CHECK(got[0].s == 14);
  CHECK(got[1].t == "MESSAGE_CREATE");
  CHECK(got[2].s == 16);
  CHECK(got[3].t == "RESUMED");
  CHECK(got[3].s == 17);
  CHECK(hub.counters().resumes == 1);

  // Events after the resume arrive live.
  hub.dispatch(*s, "CHANNEL_UPDATE", R"({"id":"2"})");
  const auto live = b.read();
  REQUIRE(live.size() == 1);
  CHECK(live[0].s == 18);
}

TEST_CASE("fakecord resume: op 9 when the session cannot be resumed", "[fakecord]") {
  Hub hub(options(), t0);
  Client a(hub, t0);
  const std::string sid = start(a);

  SECTION("unknown session") {
    Client b(hub, t0);
    b.read();
    b.send(resume("nope", 1), t0);
    const auto got = b.read();
    REQUIRE(got.size() == 1);
    CHECK(got[0].text == R"({"t":null,"s":null,"op":9,"d":false})");
    CHECK(hub.counters().resumes_failed == 1);
  }
  SECTION("expired after resume_timeout") {
    a.conn.on_transport_closed(t0 + 1s);
    Client b(hub, t0 + 62s);
    b.read();
    b.send(resume(sid, 13), t0 + 62s);
    const auto got = b.read();
    REQUIRE(got.size() == 1);
    CHECK(got[0].op == 9);
  }
  SECTION("the client closed with 1000") {
    a.conn.on_client_close(1000);
    a.conn.on_transport_closed(t0 + 1s);
    Client b(hub, t0 + 2s);
    b.read();
    b.send(resume(sid, 13), t0 + 2s);
    CHECK(b.read().at(0).op == 9);
  }
  SECTION("a close with 4000 keeps it resumable") {
    a.conn.on_client_close(4000);
    a.conn.on_transport_closed(t0 + 1s);
    Client b(hub, t0 + 2s);
    b.read();
    b.send(resume(sid, 13), t0 + 2s);
    CHECK(b.read().at(0).t == "RESUMED");
  }
  SECTION("missed events fell out of the replay buffer") {
    hub.mutable_options().replay_buffer = 5;
    a.conn.on_transport_closed(t0 + 1s);
    hub.dispatch_burst(*hub.find_session(sid), 10);  // seq 14..23, only 19..23 kept
    Client b(hub, t0 + 2s);
    b.read();
    b.send(resume(sid, 13), t0 + 2s);
    CHECK(b.read().at(0).op == 9);
    Client c(hub, t0 + 2s);
    c.read();
    c.send(resume(sid, 18), t0 + 2s);
    const auto got = c.read();
    REQUIRE(got.size() == 6);
    CHECK(got[0].s == 19);
    CHECK(got[5].t == "RESUMED");
  }
}

TEST_CASE("fakecord resume: resuming a session that is still connected cuts the old connection", "[fakecord]") {
  Hub hub(options(), t0);
  Client a(hub, t0);
  const std::string sid = start(a);
  Client b(hub, t0 + 1s);
  b.read();
  b.send(resume(sid, 13), t0 + 1s);
  CHECK(b.read().at(0).t == "RESUMED");
  CHECK(a.conn.outbox().dropped());
  CHECK(a.conn.session() == nullptr);
  CHECK(hub.find_session(sid)->attached == &b.conn);
}

TEST_CASE("fakecord resume: invalid session faults", "[fakecord]") {
  Hub hub(options(), t0);
  Client a(hub, t0);
  const std::string sid = start(a);
  SECTION("resumable: op 9 true and RESUME works") {
    a.conn.send_invalid_session(true, t0 + 1s);
    CHECK(a.read().at(0).text == R"({"t":null,"s":null,"op":9,"d":true})");
    a.send(resume(sid, 13), t0 + 2s);
    CHECK(a.read().at(0).t == "RESUMED");
  }
  SECTION("not resumable: op 9 false, the session is gone, IDENTIFY is allowed again") {
    a.conn.send_invalid_session(false, t0 + 1s);
    CHECK(a.read().at(0).text == R"({"t":null,"s":null,"op":9,"d":false})");
    CHECK(hub.find_resumable(sid, t0 + 1s) == nullptr);
    a.send(identify(), t0 + 6s);
    CHECK(a.read().at(0).t == "READY");
  }
}

TEST_CASE("fakecord resume: burst MESSAGE_CREATEs are valid, numbered and respect MESSAGE_CONTENT", "[fakecord]") {
  Hub hub(options(), t0);
  Client with(hub, t0);
  start(with);
  hub.dispatch_burst(*with.conn.session(), 50);
  const auto got = with.read();
  REQUIRE(got.size() == 50);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].t == "MESSAGE_CREATE");
    CHECK(got[i].s == static_cast<std::int64_t>(14 + i));
    simdjson::dom::parser p;
    simdjson::dom::element d = p.parse(got[i].text)["d"];
    ids.insert(std::string(std::string_view(d["id"])));
    CHECK(!std::string_view(d["content"]).empty());
    CHECK(std::string_view(d["guild_id"]).size() > 10);
  }
  CHECK(ids.size() == 50);
  CHECK(got[0].text.size() > 900);

  Hub hub2(options(), t0);
  Client without(hub2, t0);
  start(without, intent_guilds | intent_guild_messages);
  hub2.dispatch_burst(*without.conn.session(), 1);
  simdjson::dom::parser p;
  const auto last = without.read().at(0);
  CHECK(std::string_view(p.parse(last.text)["d"]["content"]).empty());
}

TEST_CASE("fakecord resume: the outbox holds at most high_water bytes, the rest waits in the session", "[fakecord]") {
  Hub hub(options(), t0);
  Client c(hub, t0, true);
  start(c);
  c.conn.set_high_water(16 * 1024);
  hub.dispatch_burst(*c.conn.session(), 1000);
  CHECK(c.conn.outbox().pending() < 20 * 1024);
  CHECK(c.conn.next_seq() < c.conn.session()->seq);
  std::size_t received = 0;
  for (int i = 0; i < 1000 && received < 1000; ++i) received += c.read().size();
  CHECK(received == 1000);
}
