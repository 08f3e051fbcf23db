#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

#include "cpu_set.hpp"

extern char** environ;

namespace megane::daemon {
namespace {

std::vector<char*> as_argv(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& s : items) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

bool daemon_only(std::string_view entry) {
  static constexpr std::string_view prefixes[] = {
      "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=", "LISTEN_FDS=", "LISTEN_PID=",
      "LISTEN_FDNAMES=", "MEGANE_"};
  for (auto p : prefixes)
    if (entry.substr(0, p.size()) == p) return true;
  return false;
}

}  // namespace

SpawnResult spawn_child(const SpawnRequest& request) {
  std::vector<std::string> argv_items;
  argv_items.push_back(request.launcher.string());
  argv_items.push_back(std::to_string(getpid()));
  argv_items.push_back(request.cpus.empty() ? "-" : format_cpu_list(request.cpus));
  argv_items.push_back(request.executable.string());
  argv_items.insert(argv_items.end(), request.args.begin(), request.args.end());
  std::vector<std::string> env_items = request.env;
  auto argv = as_argv(argv_items);
  auto envp = as_argv(env_items);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);  // the daemon ignores SIGPIPE; the bot must not inherit that
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_USEVFORK);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (!request.working_directory.empty())
    posix_spawn_file_actions_addchdir_np(&actions, request.working_directory.c_str());

  SpawnResult result;
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    result.error = rc;
    return result;
  }
  result.pid = pid;
  return result;
}

bool signal_group(pid_t pgid, int signal) {
  if (pgid <= 1) return false;  // never -1 (everything) or -0 (ourselves)
  return kill(-pgid, signal) == 0 || errno == ESRCH;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return fmt::format("exit code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = strsignal(sig);
    return fmt::format("signal {} ({}){}", sig, name ? name : "?",
                       WCOREDUMP(status) ? ", core dumped" : "");
  }
  return fmt::format("wait status {:#x}", status);
}

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view entry = *e;
    if (daemon_only(entry)) continue;
    const auto eq = entry.find('=');
    if (eq != std::string_view::npos && extra.contains(std::string(entry.substr(0, eq)))) continue;
    env.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::filesystem::path find_launcher() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "meganed-launch";
  const auto dir = self.parent_path();
  for (const auto& candidate : {dir / "meganed-launch", dir / ".." / "libexec" / "megane" / "meganed-launch"}) {
    if (access(candidate.c_str(), X_OK) == 0) return candidate.lexically_normal();
  }
  return dir / "meganed-launch";
}

}  // namespace megane::daemon
