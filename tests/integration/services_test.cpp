// Services supervised like clusters, and the per-peer limits of the socket.
#include <signal.h>

#include <megane/proto/command_messages.hpp>
#include <megane/proto/messages.hpp>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

std::vector<ServiceStatus> services_of(Daemon& d) {
  auto st = d.status();
  return st ? st->services : std::vector<ServiceStatus>{};
}

const char* two_services = R"(name = "svc-test"
[bot]
executable = "@BIN@/megane-test-bot"
[[services]]
name = "alpha"
executable = "@BIN@/megane-test-service"
[[services]]
name = "slowpoke"
executable = "@BIN@/megane-test-service"
args = ["--no-ready"]
ready_timeout = "500ms"
[sharding]
shards = 2
clusters = 2
[supervision]
backoff_initial = "100ms"
min_spawn_gap = "50ms"
[ipc]
socket = "@SOCKET@"
)";

}  // namespace

TEST_CASE("services are spawned, become ready and restart alone", "[integration][services]") {
  TempDir dir;
  Daemon d(dir, two_services);
  auto clusters = d.wait_all_ready();
  REQUIRE(clusters);
  std::vector<ServiceStatus> svc;
  REQUIRE(wait_until(
      [&] {
        svc = services_of(d);
        return svc.size() == 2 && svc[0].state == "ready";
      },
      10s));
  CHECK(svc[0].name == "alpha");
  const std::string env = proc_environ(svc[0].pid);
  CHECK(env.find("MEGANE_ROLE=service") != std::string::npos);
  CHECK(env.find("MEGANE_SERVICE=alpha") != std::string::npos);

  // kill -9 the service: it comes back, the clusters never notice.
  const pid_t old = svc[0].pid;
  ::kill(old, SIGKILL);
  REQUIRE(wait_until(
      [&] {
        svc = services_of(d);
        return svc.size() == 2 && svc[0].state == "ready" && svc[0].pid != old;
      },
      10s));
  CHECK(svc[0].restarts == 1);
  auto after = d.status();
  REQUIRE(after);
  CHECK(after->clusters[0].pid == clusters->clusters[0].pid);
  CHECK(after->clusters[1].pid == clusters->clusters[1].pid);

  // A service that never says ready is restarted after its own ready_timeout.
  REQUIRE(wait_until(
      [&] {
        svc = services_of(d);
        return svc.size() == 2 && svc[1].restarts >= 1;
      },
      10s));
  CHECK(svc[1].last_exit.find("not ready") != std::string::npos);
}

TEST_CASE("restart_service over the socket brings up a new process", "[integration][services]") {
  TempDir dir;
  Daemon d(dir, two_services);
  std::vector<ServiceStatus> svc;
  REQUIRE(wait_until(
      [&] {
        svc = services_of(d);
        return svc.size() == 2 && svc[0].state == "ready";
      },
      10s));
  Client c(d.socket());
  REQUIRE(c.hello_control());
  auto r = c.request(proto::MessageType::restart_service, proto::encode(proto::RestartService{"alpha", true}), 20s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  CHECK(r->text().find("\"service\":\"alpha\"") != std::string::npos);
  CHECK(r->text().find("\"state\":\"ready\"") != std::string::npos);
  auto missing = c.request(proto::MessageType::restart_service, proto::encode(proto::RestartService{"nope", false}));
  REQUIRE(missing);
  CHECK(missing->error_code() == proto::ErrorCode::not_found);
}

TEST_CASE("connections per uid are capped and the slot frees up on close", "[integration][limits]") {
  TempDir dir;
  Daemon d(dir, R"(name = "limits"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "@SOCKET@"
max_connections_per_uid = 4
)");
  REQUIRE(d.wait_all_ready());  // the cluster holds one connection of our uid
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<Client>(d.socket()));
    REQUIRE(clients.back()->hello_control());
  }
  Client extra(d.socket());
  auto r = extra.read(3s);
  REQUIRE(r);
  CHECK(r->error_code() == proto::ErrorCode::limit);
  CHECK_FALSE(extra.read(2s));
  CHECK(extra.closed());
  clients.pop_back();
  REQUIRE(wait_until(
      [&] {
        Client again(d.socket());
        return again.hello_control();
      },
      3s));
}

TEST_CASE("a peer that never reads is dropped at the output limit while others are unaffected", "[integration][limits]") {
  TempDir dir;
  Daemon d(dir, R"(name = "limits"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "@SOCKET@"
max_output_bytes = 65536
)");
  REQUIRE(d.wait_all_ready());
  Client lazy(d.socket());
  REQUIRE(lazy.hello_control());
  // Ask for ~4 MB of status replies and read none of them: past the kernel's socket buffer
  // they queue in the daemon until the limit cuts the peer off.
  proto::Bytes burst;
  for (std::uint32_t i = 0; i < 8000; ++i) proto::append_frame(burst, proto::MessageType::status, 0, 100 + i, {});
  lazy.send_raw(burst);
  Client busy(d.socket());
  REQUIRE(busy.hello_control());
  auto ok = busy.request(proto::MessageType::status);
  REQUIRE(ok);
  CHECK_FALSE(ok->is_error());
  // Drain what the kernel held for the lazy peer: the stream then ends (closed by the daemon)
  // long before all 8000 replies arrived.
  int replies = 0;
  while (auto f = lazy.read(3s)) ++replies;
  CHECK(lazy.closed());
  CHECK(replies < 8000);
  CHECK(d.log().find("output buffer limit") != std::string::npos);
}
