// The SDK's graceful shutdown hook through the real meganed: Worker::shutdown() is awaited with
// a deadline (the bot's own shutdown_timeout(), within what meganed's stop_timeout allows,
// minus a share kept for the SDK's closing), a slow one is cancelled at it, and the process
// still exits on its own, before meganed's SIGKILL.
#include <string>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

std::string config(const std::string& args) {
  return "name = \"shutdown-test\"\n"
         "[bot]\n"
         "executable = \"@BIN@/megane-test-bot\"\n"
         "args = [" + args + "]\n"
         "[sharding]\n"
         "shards = 1\n"
         "clusters = 1\n"
         "[supervision]\n"
         "stop_timeout = \"4s\"\n"
         "[ipc]\n"
         "socket = \"@SOCKET@\"\n";
}

// Restarts cluster 0 and returns the daemon's log afterwards.
std::string restart_and_log(const TempDir& dir, Daemon& d) {
  const auto run = run_meganectl(dir, {"--socket", d.socket().string(), "restart", "0"});
  INFO(run.output);
  CHECK(run.exit_code == 0);
  return d.log();
}

}  // namespace

TEST_CASE("sdk shutdown: a quick shutdown() completes and the process exits 0", "[integration][sdk]") {
  TempDir dir;
  Daemon d(dir, config(R"("--shutdown-ms", "300")"));
  REQUIRE(d.wait_all_ready());
  const std::string log = restart_and_log(dir, d);
  INFO(log);
  CHECK(log.find("test bot: shutdown finished after 300 ms") != std::string::npos);
  CHECK(log.find("shutdown complete") != std::string::npos);
  CHECK(log.find("stopped (restarted by an operator, then exit code 0)") != std::string::npos);
}

TEST_CASE("sdk shutdown: a slow shutdown() is cancelled at meganed's deadline minus the SDK's share",
          "[integration][sdk]") {
  TempDir dir;
  // stop_timeout 4 s -> MEGANE_STOP_TIMEOUT_MS 3600 -> shutdown() gets 3600 - 900 ms.
  Daemon d(dir, config(R"("--shutdown-ms", "60000")"));
  REQUIRE(d.wait_all_ready());
  const std::string log = restart_and_log(dir, d);
  INFO(log);
  CHECK(log.find("shutdown() did not finish within 2700 ms") != std::string::npos);
  CHECK(log.find("test bot: shutdown cancelled before 60000 ms") != std::string::npos);
  CHECK(log.find("stopped (restarted by an operator, then exit code 0)") != std::string::npos);
  CHECK(log.find("sending SIGKILL") == std::string::npos);
}

TEST_CASE("sdk shutdown: the bot's own shutdown_timeout() is the deadline when shorter", "[integration][sdk]") {
  TempDir dir;
  Daemon d(dir, config(R"("--shutdown-ms", "60000", "--shutdown-timeout-ms", "500")"));
  REQUIRE(d.wait_all_ready());
  const std::string log = restart_and_log(dir, d);
  INFO(log);
  CHECK(log.find("shutdown() did not finish within 500 ms") != std::string::npos);
  CHECK(log.find("stopped (restarted by an operator, then exit code 0)") != std::string::npos);
}
