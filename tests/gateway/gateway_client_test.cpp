// The SDK's shard client against the real fakecord: IDENTIFY with permits, READY, RESUME after
// op 7 / drops / zombies / graceful stops, op 9, every close code class, zlib-stream split
// payloads, server heartbeat requests and wss:// with certificate checks.
#include <cstdlib>
#include <string>

#include "catch.hpp"
#include "gateway_rig.hpp"

using namespace megane::test;
using megane::proto::ShardState;

namespace {

std::uint64_t identifies(Fakecord& fc) { return fc.stat("identifies", "total"); }
std::uint64_t resumes(Fakecord& fc) { return fc.stat("resumes", "total"); }

}  // namespace

TEST_CASE("gateway: shards IDENTIFY with a permit each, reach READY and count their guilds", "[gateway]") {
  Fakecord fc({"--max-concurrency", "2"});  // the stand-in authority grants both at once
  GatewayRig rig(fc, {.first = 0, .count = 2, .total = 2});
  std::size_t guild_creates = 0;
  rig.api->on("GUILD_CREATE", [&](const megane::Dispatch&) { ++guild_creates; });
  REQUIRE(rig.run_until([&] { return rig.all_ready() && guild_creates == 40; }));
  CHECK(rig.authority->permits == 2);
  REQUIRE(rig.authority->done.size() == 2);
  CHECK(rig.authority->done[0].second);
  CHECK(rig.authority->done[1].second);
  CHECK(identifies(fc) == 2);
  std::uint32_t guilds = 0;
  for (const auto& shard : rig.api->shards()) guilds += shard.status.guilds;
  CHECK(guilds == 40);
  CHECK(rig.authority->sessions.size() == 2);
  CHECK(!rig.authority->sessions[0].session_id.empty());
  CHECK(rig.authority->sessions[1].resume_gateway_url.find(std::to_string(fc.resume)) != std::string::npos);
}

TEST_CASE("gateway: op 7 and a dropped connection RESUME, events sent meanwhile arrive", "[gateway]") {
  Fakecord fc;
  GatewayRig rig(fc, {});
  std::size_t updates = 0;
  rig.api->on("GUILD_UPDATE", [&](const megane::Dispatch&) { ++updates; });
  REQUIRE(rig.run_until([&] { return rig.all_ready(); }));

  fc.control("/fault", R"({"shard":0,"kind":"reconnect"})");
  REQUIRE(rig.run_until([&] { return resumes(fc) == 1 && rig.all_ready(); }));

  fc.control("/fault", R"({"shard":0,"kind":"drop"})");
  // The loop is not running: the shard cannot be back yet, so this lands in the replay buffer.
  fc.control("/dispatch", R"({"shard":0,"t":"GUILD_UPDATE","d":{"id":"1","name":"while away"}})");
  REQUIRE(rig.run_until([&] { return resumes(fc) == 2 && rig.all_ready() && updates == 1; }));
  CHECK(identifies(fc) == 1);
  CHECK(rig.authority->permits == 1);
}

TEST_CASE("gateway: a zombie connection (no ACK) is dropped and resumed", "[gateway]") {
  Fakecord fc({"--hello-interval-ms", "300"});
  GatewayRig rig(fc, {});
  REQUIRE(rig.run_until([&] { return rig.all_ready(); }));
  fc.control("/fault", R"({"shard":0,"kind":"zombie"})");
  REQUIRE(rig.run_until([&] { return resumes(fc) == 1 && rig.all_ready(); }));
  CHECK(identifies(fc) == 1);
  CHECK(rig.api->shards()[0].reconnects == 1);
}

TEST_CASE("gateway: op 9 resumable resumes, op 9 false identifies again with a new permit", "[gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});  // the second IDENTIFY is not "too early"
  GatewayRig rig(fc, {});
  REQUIRE(rig.run_until([&] { return rig.all_ready(); }));
  fc.control("/fault", R"({"shard":0,"kind":"invalid_session","resumable":true})");
  REQUIRE(rig.run_until([&] { return resumes(fc) == 1 && rig.all_ready(); }));
  CHECK(rig.authority->permits == 1);

  fc.control("/fault", R"({"shard":0,"kind":"invalid_session","resumable":false})");
  // Discord asks for a 1-5 s wait before the new IDENTIFY.
  REQUIRE(rig.run_until([&] { return identifies(fc) == 2 && rig.all_ready(); }, std::chrono::seconds(12)));
  CHECK(rig.authority->permits == 2);
  CHECK(resumes(fc) == 1);
}

TEST_CASE("gateway: close codes that keep the session resume, those that end it identify", "[gateway]") {
  Fakecord fc({"--identify-window-ms", "100"});
  GatewayRig rig(fc, {});
  REQUIRE(rig.run_until([&] { return rig.all_ready(); }));
  fc.control("/fault", R"({"shard":0,"kind":"close","code":4000})");
  REQUIRE(rig.run_until([&] { return resumes(fc) == 1 && rig.all_ready(); }));
  CHECK(identifies(fc) == 1);

  fc.control("/fault", R"({"shard":0,"kind":"close","code":4009})");
  REQUIRE(rig.run_until([&] { return identifies(fc) == 2 && rig.all_ready(); }));
  CHECK(resumes(fc) == 1);
  CHECK(rig.stop_code == -1);
}

TEST_CASE("gateway: fatal close codes stop the shard and ask for the do-not-restart exit", "[gateway]") {
  for (const int code : {4004, 4010, 4011, 4012, 4013, 4014}) {
    DYNAMIC_SECTION("close " << code) {
      Fakecord fc;
      GatewayRig rig(fc, {});
      REQUIRE(rig.run_until([&] { return rig.all_ready(); }));
      fc.control("/fault", R"({"shard":0,"kind":"close","code":)" + std::to_string(code) + "}");
      REQUIRE(rig.run_until([&] { return rig.state(0) == ShardState::fatal; }));
      CHECK(rig.stop_code == 78);
      rig.run_for(std::chrono::milliseconds(500));  // it must not come back
      CHECK(fc.stat("connections_open") == 0);
      CHECK(identifies(fc) == 1);
      CHECK(rig.authority->last_status[0].detail.find(std::to_string(code)) != std::string::npos);
      CHECK(rig.authority->sessions[0].session_id.empty());  // the session is forgotten
    }
  }
}

TEST_CASE("gateway: a wrong token and disallowed intents are fatal on the real checks", "[gateway]") {
  SECTION("4004") {
    Fakecord fc;
    GatewayRig rig(fc, {.token = "not-the-token"});
    REQUIRE(rig.run_until([&] { return rig.state(0) == ShardState::fatal; }));
    CHECK(rig.stop_code == 78);
    CHECK(rig.authority->last_status[0].detail.find("4004") != std::string::npos);
  }
  SECTION("4014") {
    Fakecord fc({"--privileged-intents", "none"});
    GatewayRig rig(fc, {.intents = 513 | (1u << 1)});  // GUILD_MEMBERS is privileged
    REQUIRE(rig.run_until([&] { return rig.state(0) == ShardState::fatal; }));
    CHECK(rig.authority->last_status[0].detail.find("4014") != std::string::npos);
  }
}

TEST_CASE("gateway: a graceful stop keeps the session, the next process resumes it and misses nothing", "[gateway]") {
  Fakecord fc;
  megane::proto::SessionInfo saved;
  {
    GatewayRig first(fc, {});
    REQUIRE(first.run_until([&] { return first.all_ready(); }));
    first.close();
    saved = first.authority->sessions[0];
  }
  REQUIRE(!saved.session_id.empty());
  CHECK(fc.stats().find("\"4900\":1") != std::string::npos);  // our close code, not 1000/1001
  fc.control("/dispatch", R"({"shard":0,"t":"GUILD_UPDATE","d":{"id":"1","name":"between processes"}})");

  GatewayRig second(fc, {.sessions = {saved}});
  std::size_t updates = 0;
  second.api->on("GUILD_UPDATE", [&](const megane::Dispatch& d) {
    std::string_view name;
    if (d.data["name"].get_string().get(name) == simdjson::SUCCESS && name == "between processes") ++updates;
  });
  REQUIRE(second.run_until([&] { return second.all_ready() && updates == 1; }));
  CHECK(second.authority->permits == 0);
  CHECK(identifies(fc) == 1);
  CHECK(resumes(fc) == 1);
}

TEST_CASE("gateway: split zlib-stream payloads and a server heartbeat request", "[gateway]") {
  Fakecord fc({"--zlib-split-every", "3"});
  GatewayRig rig(fc, {});
  std::size_t guild_creates = 0;
  rig.api->on("GUILD_CREATE", [&](const megane::Dispatch&) { ++guild_creates; });
  REQUIRE(rig.run_until([&] { return rig.all_ready() && guild_creates == 40; }));
  fc.control("/fault", R"({"shard":0,"kind":"heartbeat_request"})");
  REQUIRE(rig.run_until([&] { return fc.stat("heartbeat_requests_answered") == 1; }));
}

TEST_CASE("gateway: wss:// checks the certificate against SSL_CERT_FILE", "[gateway]") {
  TempDir dir;
  const fs::path cert = dir.path() / "fakecord.pem";
  Fakecord fc({"--tls", "--cert-out", cert.string()});
  const std::string url = "wss://127.0.0.1:" + std::to_string(fc.gateway);
  SECTION("trusted") {
    ::setenv("SSL_CERT_FILE", cert.c_str(), 1);  // read once, at the first TLS connection
    GatewayRig rig(fc, {.gateway_url = url});
    REQUIRE(rig.run_until([&] { return rig.all_ready(); }));
  }
  SECTION("untrusted") {
    ::setenv("SSL_CERT_FILE", (dir.path() / "missing.pem").c_str(), 1);
    GatewayRig rig(fc, {.gateway_url = url});
    rig.run_for(std::chrono::milliseconds(1500));
    CHECK(rig.state(0) != ShardState::ready);
    CHECK(identifies(fc) == 0);
    INFO(rig.authority->last_status[0].detail);
    CHECK(rig.authority->last_status[0].detail.find("certificate") != std::string::npos);
  }
}
