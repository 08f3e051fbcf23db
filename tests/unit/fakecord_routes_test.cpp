// fakecord's HTTP routes without sockets: Discord's REST API and the control API.
#include <string>

#include <simdjson.h>

#include "catch.hpp"
#include "fakecord/gateway_connection.hpp"
#include "fakecord/hub.hpp"
#include "fakecord/routes.hpp"

using namespace fakecord;
using namespace std::chrono_literals;

namespace {

const TimePoint t0{};

Options options() {
  Options o;
  o.token = "tok";
  o.guilds = 10;
  o.members_per_guild = 3;
  o.shards_recommended = 3;
  o.max_concurrency = 2;
  o.session_total = 1000;
  o.session_remaining = 990;
  return o;
}

HttpRequest get(std::string target, std::string auth = "Bot tok") { return {"GET", std::move(target), std::move(auth), {}, {}}; }
HttpRequest post(std::string target, std::string body, std::string auth = "Bot tok") {
  std::vector<std::pair<std::string, std::string>> headers{{"Authorization", auth}, {"X-Test", "1"}};
  return {"POST", std::move(target), std::move(auth), std::move(body), std::move(headers)};
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

}  // namespace

TEST_CASE("fakecord REST: GET /gateway/bot has Discord's shape and needs the bot token", "[fakecord]") {
  Hub hub(options(), t0);
  hub.set_urls("ws://127.0.0.1:5000", "ws://127.0.0.1:5003");
  const HttpResponse r = handle_rest(hub, get("/api/v10/gateway/bot"), t0 + 1s);
  REQUIRE(r.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(r.body);
  CHECK(std::string_view(doc["url"]) == "ws://127.0.0.1:5000");
  CHECK(std::uint64_t(doc["shards"]) == 3);
  CHECK(std::uint64_t(doc["session_start_limit"]["total"]) == 1000);
  CHECK(std::uint64_t(doc["session_start_limit"]["remaining"]) == 990);
  CHECK(std::uint64_t(doc["session_start_limit"]["max_concurrency"]) == 2);
  CHECK(std::uint64_t(doc["session_start_limit"]["reset_after"]) == 86'399'000);

  const HttpResponse denied = handle_rest(hub, get("/api/v10/gateway/bot", "Bot nope"), t0);
  CHECK(denied.status == 401);
  CHECK(denied.body == R"({"message":"401: Unauthorized","code":0})");
  CHECK(handle_rest(hub, get("/api/v10/gateway/bot", ""), t0).status == 401);
  CHECK(handle_rest(hub, get("/api/v10/gateway", ""), t0).status == 200);  // no auth needed
  CHECK(handle_rest(hub, get("/api/v10/nope"), t0).status == 404);
  CHECK(handle_rest(hub, get("/api/v9/gateway/bot"), t0).status == 404);
  CHECK(handle_rest(hub, post("/api/v10/gateway/bot", ""), t0).status == 405);
}

TEST_CASE("fakecord REST: messages are recorded and 429s can be forced", "[fakecord]") {
  Hub hub(options(), t0);
  const std::string channel = std::to_string(hub.population().first_text_channel(0));
  const std::string path = "/api/v10/channels/" + channel + "/messages";

  HttpResponse r = handle_rest(hub, post(path, R"({"content":"hello"})"), t0);
  CHECK(r.status == 200);
  CHECK(r.body.find(R"("content":"hello")") != std::string::npos);
  CHECK(header(r, "X-RateLimit-Limit") == "5");
  CHECK(hub.counters().messages_posted == 1);
  CHECK(handle_rest(hub, post(path, R"({"content":""})"), t0).status == 400);
  CHECK(handle_rest(hub, post(path, "{bad"), t0).status == 400);
  CHECK(handle_rest(hub, post("/api/v10/channels/1/messages", R"({"content":"x"})"), t0).status == 404);

  const RouteResult set = handle_control(hub, post("/rate-limit", R"({"count":2,"retry_after":0.25})", ""), t0);
  CHECK(set.response.status == 200);
  r = handle_rest(hub, post(path, R"({"content":"x"})"), t0);
  CHECK(r.status == 429);
  CHECK(r.body == R"({"message":"You are being rate limited.","retry_after":0.250,"global":false,"code":0})");
  CHECK(header(r, "X-RateLimit-Remaining") == "0");
  CHECK(header(r, "X-RateLimit-Reset-After") == "0.250");
  CHECK(header(r, "Retry-After") == "1");
  CHECK(handle_rest(hub, post(path, R"({"content":"x"})"), t0).status == 429);
  CHECK(handle_rest(hub, post(path, R"({"content":"x"})"), t0).status == 200);
  CHECK(hub.counters().rate_limited_responses == 2);

  const RouteResult listed = handle_control(hub, get("/messages", ""), t0);
  CHECK(listed.response.body.find(R"("body":{"content":"hello"})") != std::string::npos);
}

TEST_CASE("fakecord REST: webhooks made by the control API are executed without the bot token", "[fakecord]") {
  Hub hub(options(), t0);
  const RouteResult made = handle_control(hub, post("/webhooks", "{}", ""), t0);
  REQUIRE(made.response.status == 200);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(made.response.body);
  const std::string id{std::string_view(doc["id"])};
  const std::string token{std::string_view(doc["token"])};
  const std::string path = "/api/v10/webhooks/" + id + "/" + token;

  HttpResponse r = handle_rest(hub, post(path, R"({"content":"hook"})", ""), t0 + 1ms);
  CHECK(r.status == 204);
  CHECK(header(r, "X-RateLimit-Remaining") == "4");
  r = handle_rest(hub, post(path + "?wait=true", R"({"content":"hook 2"})", ""), t0 + 2ms);
  CHECK(r.status == 200);
  CHECK(r.body.find(R"("content":"hook 2")") != std::string::npos);
  CHECK(handle_rest(hub, post("/api/v10/webhooks/" + id + "/wrong", R"({"content":"x"})", ""), t0).status == 401);
  CHECK(handle_rest(hub, post("/api/v10/webhooks/1/" + token, R"({"content":"x"})", ""), t0).status == 404);
  CHECK(handle_rest(hub, get(path), t0).status == 405);

  // Forced 429s apply to webhooks as to channel messages.
  handle_control(hub, post("/rate-limit", R"({"count":1,"retry_after":0.5})", ""), t0);
  CHECK(handle_rest(hub, post(path, R"({"content":"x"})", ""), t0 + 3ms).status == 429);

  // An exhausted bucket says so on an accepted post, once.
  CHECK(handle_control(hub, post("/bucket", R"({"count":1,"reset_after":2.5})", ""), t0).response.body ==
        R"({"exhausted":1})");
  r = handle_rest(hub, post(path, R"({"content":"last"})", ""), t0 + 4ms);
  CHECK(r.status == 204);
  CHECK(header(r, "X-RateLimit-Remaining") == "0");
  CHECK(header(r, "X-RateLimit-Reset-After") == "2.500");
  CHECK(header(handle_rest(hub, post(path, R"({"content":"next"})", ""), t0 + 5ms), "X-RateLimit-Remaining") == "4");

  const std::string listed = handle_control(hub, get("/messages", ""), t0).response.body;
  CHECK(listed.find(R"("via":"webhook","webhook_id":")" + id + "\"") != std::string::npos);
  CHECK(listed.find(R"("received_us":1000)") != std::string::npos);
  CHECK(listed.find(R"("headers":{"Authorization":"<not the bot token>","X-Test":"1"})") != std::string::npos);
  // The log shows every request with its status and time, a webhook's token left out.
  const std::string log = handle_control(hub, get("/rest-log", ""), t0).response.body;
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find(R"({"method":"POST","path":"/api/v10/webhooks/)" + id + R"(/<token>","status":429,"received_us":3000})") !=
        std::string::npos);
}

TEST_CASE("fakecord REST: recorded channel messages keep headers without the token", "[fakecord]") {
  Hub hub(options(), t0);
  const std::string channel = std::to_string(hub.population().first_text_channel(0));
  CHECK(handle_rest(hub, post("/api/v10/channels/" + channel + "/messages", R"({"content":"hi"})"), t0).status == 200);
  const std::string listed = handle_control(hub, get("/messages", ""), t0).response.body;
  CHECK(listed.find(R"("via":"channel","webhook_id":null)") != std::string::npos);
  CHECK(listed.find(R"("Authorization":"Bot <the bot token>")") != std::string::npos);
  CHECK(listed.find("\"Bot tok\"") == std::string::npos);
}

TEST_CASE("fakecord control: stats, reset, dispatch, faults and bursts", "[fakecord]") {
  Hub hub(options(), t0);
  GatewayConnection conn(hub, ConnectionParams{}, t0);
  conn.set_high_water(SIZE_MAX);
  conn.open(t0);
  conn.on_message(R"({"op":2,"d":{"token":"tok","intents":513,"shard":[1,3],"properties":{"os":"l","browser":"b","device":"d"}}})", t0);
  REQUIRE(conn.session() != nullptr);
  const std::uint64_t seq = conn.session()->seq;

  RouteResult r = handle_control(hub, post("/dispatch", R"({"shard":1,"t":"GUILD_UPDATE","d":{"id":"1","name":"x"}})", ""), t0);
  CHECK(r.response.body == R"({"sessions":1})");
  CHECK(conn.session()->seq == seq + 1);
  CHECK(handle_control(hub, post("/dispatch", R"({"shard":0,"t":"GUILD_UPDATE","d":{}})", ""), t0).response.body ==
        R"({"sessions":0})");
  CHECK(handle_control(hub, post("/dispatch", R"({"shard":1,"t":"bad name","d":{}})", ""), t0).response.status == 400);

  r = handle_control(hub, post("/burst", R"({"shard":"all","event":"MESSAGE_CREATE","count":100,"rate":0})", ""), t0);
  REQUIRE(r.bursts.size() == 1);
  CHECK(r.bursts[0].session_id == conn.session()->id);
  CHECK(r.bursts[0].count == 100);
  CHECK(handle_control(hub, post("/burst", R"({"shard":1,"event":"TYPING_START","count":1})", ""), t0).response.status == 400);

  r = handle_control(hub, post("/fault", R"({"shard":1,"kind":"heartbeat_request"})", ""), t0);
  CHECK(r.response.body == R"({"connections":1})");
  CHECK(hub.counters().heartbeat_requests == 1);
  CHECK(handle_control(hub, post("/fault", R"({"shard":1,"kind":"close","code":1006})", ""), t0).response.status == 400);
  r = handle_control(hub, post("/fault", R"({"shard":1,"kind":"close","code":4000})", ""), t0);
  CHECK(r.response.body == R"({"connections":1})");
  CHECK(conn.outbox().close_code() == 4000);

  const std::string stats = handle_control(hub, get("/stats", ""), t0).response.body;
  CHECK(stats.find(R"("identifies":{"total":1,"per_shard":{"1":1})") != std::string::npos);
  CHECK(stats.find(R"("connections_open":1)") != std::string::npos);
  CHECK(stats.find(R"("closes_sent":{"4000":1})") != std::string::npos);
  CHECK(handle_control(hub, post("/reset", ""), t0).response.status == 200);
  CHECK(hub.counters().identifies == 0);
  CHECK(handle_control(hub, get("/nope", ""), t0).response.status == 404);
}
