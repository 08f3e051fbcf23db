// Access: who can reach meganed's socket. Another local user cannot connect at all (the file is
// 0660 and owned by the daemon's user); the file is never wider than 0660, not even for an
// instant after bind (umask set before bind); the daemon has no abstract socket, which file
// permissions could not protect. The uid allowlist behind the file mode is tested in
// ipc_test.cpp ("a uid not on the allowlist is refused").
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "catch.hpp"
#include "chaos_support.hpp"

using namespace megane::test;
using namespace megane;

namespace {

const char* const config = R"(name = "access"
[bot]
executable = "@BIN@/megane-test-bot"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "@SOCKET@"
[store]
persistence = false
)";

// A throwaway local user (created once, left for later runs); nullopt when not root.
std::optional<passwd> other_user() {
  if (::geteuid() != 0) return std::nullopt;
  const char* name = "megane-access-test";
  if (!::getpwnam(name)) {
    const std::string cmd = std::string("useradd --system --no-create-home --shell /usr/sbin/nologin ") + name +
                            " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return std::nullopt;
  }
  const passwd* pw = ::getpwnam(name);
  return pw ? std::optional<passwd>(*pw) : std::nullopt;
}

// Socket inodes of `pid` ("socket:[123]" links in /proc/PID/fd).
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    const std::string target = fs::read_symlink(e.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

}  // namespace

TEST_CASE("access: another local user cannot connect to the socket", "[integration][access]") {
  const auto user = other_user();
  if (!user) {
    WARN("needs root to create and act as a second user; skipped");
    return;
  }
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // only the socket file's own mode stands in the way
  Daemon d(dir, config);
  REQUIRE(connect_control(d.socket()));
  const uid_t uid = user->pw_uid;
  const gid_t gid = user->pw_gid;
  const pid_t child = ::fork();
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(10);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, d.socket().c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) ::_exit(11);
    ::_exit(errno == EACCES ? 0 : 12);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  INFO("exit 11: connected; 12: refused for another reason than EACCES; 10: could not switch user");
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(connect_control(d.socket()));  // the daemon's own user still can
}

TEST_CASE("access: the socket file is never wider than 0660 and there is no abstract socket",
          "[integration][access]") {
  TempDir dir;
  const fs::path socket = dir.path() / "megane.sock";
  // Watch the path as fast as possible while meganed starts (and restarts) and creates it.
  std::atomic<bool> stop{false};
  std::atomic<unsigned> widest{0};
  std::atomic<long> seen{0};
  std::thread watcher([&] {
    while (!stop) {
      struct stat st {};
      if (::lstat(socket.c_str(), &st) == 0) {
        widest = widest | (st.st_mode & 0777);
        ++seen;
      }
    }
  });
  for (int i = 0; i < 3; ++i) {
    Daemon d(dir, config);
    REQUIRE(connect_control(d.socket()));
    if (i == 2) {
      // The daemon's named sockets (the listener, and accepted connections, which show its
      // address) all carry the configured path; none is abstract (an abstract name starts
      // with '@' in /proc/net/unix and has no file mode to protect it).
      const auto inodes = socket_inodes(d.process().pid());
      std::ifstream in("/proc/net/unix");
      std::string line;
      std::getline(in, line);  // header
      int bound = 0;
      while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string num, refs, proto, flags, type, state, inode, path;
        fields >> num >> refs >> proto >> flags >> type >> state >> inode >> path;
        if (!inodes.count(inode) || path.empty()) continue;
        INFO("daemon socket " << inode << " bound to " << path);
        CHECK(path[0] != '@');
        CHECK(path == socket.string());
        ++bound;
      }
      CHECK(bound >= 1);
    }
  }
  stop = true;
  watcher.join();
  INFO("the socket file was observed " << seen << " times");
  CHECK(seen > 0);
  CHECK((widest & ~0660u) == 0);
}
