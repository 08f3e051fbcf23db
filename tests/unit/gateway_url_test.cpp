// Gateway URLs and the payloads a shard sends.
#include <simdjson.h>

#include "catch.hpp"
#include "src/gateway/payloads.hpp"
#include "src/gateway/url.hpp"

using namespace megane::gateway;

TEST_CASE("gateway url: Discord's, a resume URL and a simulator's", "[gateway]") {
  auto discord = parse_url("wss://gateway.discord.gg");
  REQUIRE(discord);
  CHECK(discord->tls);
  CHECK(discord->host == "gateway.discord.gg");
  CHECK(discord->port == 443);
  CHECK(with_gateway_query(*discord, true).target == "/?v=10&encoding=json&compress=zlib-stream");
  CHECK(host_header(*discord) == "gateway.discord.gg");

  auto local = parse_url("ws://127.0.0.1:4000/resume?v=9");
  REQUIRE(local);
  CHECK(!local->tls);
  CHECK(local->port == 4000);
  CHECK(with_gateway_query(*local, false).target == "/resume?v=10&encoding=json");
  CHECK(host_header(*local) == "127.0.0.1:4000");

  CHECK(parse_url("ws://[::1]:81")->host == "::1");
  CHECK(!parse_url("http://example.com"));
  CHECK(!parse_url("ws://:80"));
  CHECK(!parse_url("ws://host:0"));
  CHECK(!parse_url("ws://host:99999"));
  CHECK(!parse_url("ws://host:12ab"));
}

TEST_CASE("gateway payloads: IDENTIFY, RESUME and heartbeats are valid JSON", "[gateway]") {
  simdjson::dom::parser parser;
  IdentifyFields f;
  f.token = "to\"ken";
  f.shard_id = 3;
  f.total_shards = 16;
  f.intents = 513;
  f.presence_json = R"({"status":"online","afk":false,"since":null,"activities":[]})";
  simdjson::dom::element id = parser.parse(identify_payload(f));
  CHECK(std::int64_t(id["op"]) == 2);
  CHECK(std::string_view(id["d"]["token"]) == "to\"ken");
  CHECK(std::uint64_t(id["d"]["shard"].at(0)) == 3);
  CHECK(std::uint64_t(id["d"]["shard"].at(1)) == 16);
  CHECK(std::uint64_t(id["d"]["intents"]) == 513);
  CHECK(std::string_view(id["d"]["presence"]["status"]) == "online");

  simdjson::dom::element resume = parser.parse(resume_payload("t", "abc", 42));
  CHECK(std::int64_t(resume["op"]) == 6);
  CHECK(std::uint64_t(resume["d"]["seq"]) == 42);
  CHECK(heartbeat_payload(std::nullopt) == R"({"op":1,"d":null})");
  CHECK(heartbeat_payload(7) == R"({"op":1,"d":7})");
}
