// The daemon's socket under hostile or confused peers: each problem closes that peer only.
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <megane/proto/messages.hpp>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;
using namespace megane;

namespace {

const char* control_only = R"(name = "itest"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "@SOCKET@"
max_frame_bytes = 4096
handshake_timeout = "500ms"
)";

}  // namespace

TEST_CASE("the socket is created 0660", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, control_only);
  struct stat st {};
  REQUIRE(::stat(d.socket().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
}

TEST_CASE("a uid not on the allowlist is refused", "[integration][ipc]") {
  if (::geteuid() != 0) {
    WARN("needs root to act as another uid; skipped");
    return;
  }
  TempDir dir;
  Daemon d(dir, control_only);
  // Open the file itself so that only SO_PEERCRED stands in the way.
  ::chmod(dir.path().c_str(), 0755);
  REQUIRE(::chmod(d.socket().c_str(), 0666) == 0);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(10);
    Client c(d.socket());
    if (!c.connected()) ::_exit(11);
    auto r = c.read(3s);
    if (!r || !r->is_error() || r->error_code() != proto::ErrorCode::not_allowed) ::_exit(12);
    if (r->error_message().find("uid 65534") == std::string::npos) ::_exit(13);
    if (c.read(3s) || !c.closed()) ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(d.log().find("refused a connection from uid 65534") != std::string::npos);
  // Allowed peers are unaffected.
  CHECK(d.status());
}

TEST_CASE("an oversized frame closes only its own connection", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, control_only);
  Client good(d.socket());
  REQUIRE(good.hello_control());
  Client bad(d.socket());
  REQUIRE(bad.hello_control());

  proto::Bytes frame;
  proto::append_frame(frame, proto::MessageType::status, 0, 7, proto::Bytes(4097, 'x'));
  bad.send_raw(frame);
  auto r = bad.read(3s);
  REQUIRE(r);
  CHECK(r->is_error());
  CHECK(r->error_code() == proto::ErrorCode::frame_too_large);
  CHECK_FALSE(bad.read(3s));
  CHECK(bad.closed());

  auto ok = good.request(proto::MessageType::status);
  REQUIRE(ok);
  CHECK_FALSE(ok->is_error());
  CHECK(parse_status(ok->text()));
}

TEST_CASE("a hello from another protocol version gets a clear error", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, control_only);
  Client c(d.socket());
  proto::Hello h;
  h.version = 99;
  auto r = c.request(proto::MessageType::hello, proto::encode(h));
  REQUIRE(r);
  CHECK(r->error_code() == proto::ErrorCode::version_mismatch);
  CHECK(r->error_message().find("speaks protocol version 2, the client speaks 99") != std::string::npos);
  CHECK_FALSE(c.read(2s));
  CHECK(c.closed());
}

TEST_CASE("garbage, silence and requests before hello are each dropped", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, control_only);

  Client garbage(d.socket());
  garbage.send_raw(proto::Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n'});
  CHECK_FALSE(garbage.read(3s));
  CHECK(garbage.closed());

  Client silent(d.socket());
  auto r = silent.read(3s);  // handshake_timeout is 500 ms
  REQUIRE(r);
  CHECK(r->error_code() == proto::ErrorCode::bad_handshake);
  CHECK_FALSE(silent.read(3s));
  CHECK(silent.closed());

  Client early(d.socket());
  auto e = early.request(proto::MessageType::status);
  REQUIRE(e);
  CHECK(e->error_code() == proto::ErrorCode::bad_handshake);

  Client forged(d.socket());
  proto::Hello h;
  h.role = proto::Role::cluster;
  h.cluster_id = 0;
  h.generation = 12345;  // not the running process's
  auto f = forged.request(proto::MessageType::hello, proto::encode(h));
  REQUIRE(f);
  CHECK(f->error_code() == proto::ErrorCode::bad_handshake);

  CHECK(d.status());
}

TEST_CASE("an unknown message type is answered, and the connection stays", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, control_only);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  auto r = c.request(static_cast<proto::MessageType>(0x7777));
  REQUIRE(r);
  CHECK(r->error_code() == proto::ErrorCode::unknown_message);
  auto ok = c.request(proto::MessageType::status);
  REQUIRE(ok);
  CHECK_FALSE(ok->is_error());
}

TEST_CASE("restart over the socket: only that cluster gets a new pid", "[integration][ipc]") {
  TempDir dir;
  Daemon d(dir, R"(name = "itest"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 4
clusters = 2
[ipc]
socket = "@SOCKET@"
)");
  auto before = d.wait_all_ready();
  REQUIRE(before);
  Client c(d.socket());
  REQUIRE(c.hello_control());
  auto r = c.request(proto::MessageType::restart_cluster, proto::encode(proto::RestartCluster{1, true}), 20s);
  REQUIRE(r);
  REQUIRE_FALSE(r->is_error());
  CHECK(r->text().find("\"state\":\"ready\"") != std::string::npos);
  auto after = d.status();
  REQUIRE(after);
  CHECK(after->clusters[0].pid == before->clusters[0].pid);
  CHECK(after->clusters[1].pid != before->clusters[1].pid);
  CHECK(after->clusters[1].state == "ready");

  auto missing = c.request(proto::MessageType::restart_cluster, proto::encode(proto::RestartCluster{9, false}));
  REQUIRE(missing);
  CHECK(missing->error_code() == proto::ErrorCode::not_found);
}
