// Type=notify as systemd sees it: READY=1 once listening and spawned, STATUS= progress,
// WATCHDOG=1 when asked for, STOPPING=1 on SIGTERM, then exit 0.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "catch.hpp"
#include "harness.hpp"

using namespace megane::test;

namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  }
  ~NotifySocket() { ::close(fd_); }
  // Collects datagrams until one contains `needle`.
  bool wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (all_.find(needle) != std::string::npos) return true;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) all_.append(buf, static_cast<std::size_t>(n)).append("\n");
    }
    return all_.find(needle) != std::string::npos;
  }
  const std::string& received() const { return all_; }

 private:
  fs::path path_;
  int fd_ = -1;
  std::string all_;
};

}  // namespace

TEST_CASE("sd_notify: READY, STATUS, WATCHDOG and STOPPING, then a clean exit on SIGTERM", "[integration][systemd]") {
  TempDir dir;
  NotifySocket notify(dir.path() / "notify.sock");
  const fs::path config = dir.write("bot.toml", R"(name = "itest"
[bot]
executable = ")" + (bin_dir() / "megane-test-bot").string() + R"("
[sharding]
shards = 2
clusters = 2
[ipc]
socket = ")" + (dir.path() / "megane.sock").string() + "\"\n");
  Process p({(bin_dir() / "meganed").string(), "--config", config.string()}, dir.path() / "log",
            {"NOTIFY_SOCKET=" + (dir.path() / "notify.sock").string(), "WATCHDOG_USEC=400000",
             "STATE_DIRECTORY=" + dir.path().string()});
  CHECK(notify.wait_for("READY=1", 10s));
  CHECK(notify.wait_for("STATUS=2/2 clusters ready", 10s));
  CHECK(notify.wait_for("WATCHDOG=1", 5s));
  p.signal(SIGTERM);
  CHECK(notify.wait_for("STOPPING=1", 10s));
  auto st = p.wait(15s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  // Under journald (JOURNAL_STREAM) lines carry no timestamp; here they do.
  CHECK(p.log_text().find("all clusters stopped") != std::string::npos);
}
