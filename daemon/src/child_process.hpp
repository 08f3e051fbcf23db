// Starting and signalling child processes. A child gets its own process group (so a stop
// reaches its grandchildren too), an empty signal mask and default dispositions, stdin from
// /dev/null, the daemon's stdout/stderr, and is exec'd through meganed-launch (which sets
// PR_SET_PDEATHSIG and the CPU affinity before exec).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace megane::daemon {

struct SpawnRequest {
  std::filesystem::path launcher;    // meganed-launch
  std::filesystem::path executable;  // the bot
  std::vector<std::string> args;     // argv[1..] of the bot
  std::vector<std::string> env;      // complete environment, KEY=VALUE
  std::filesystem::path working_directory;
  std::vector<int> cpus;             // empty = inherit
};

struct SpawnResult {
  pid_t pid = -1;
  int error = 0;  // errno from posix_spawn when pid < 0
};

SpawnResult spawn_child(const SpawnRequest& request);

// Sends `signal` to every process of the group led by `pgid`. ESRCH (already gone) is success.
bool signal_group(pid_t pgid, int signal);

// "exit code 1", "signal 9 (Killed)", "signal 11 (Segmentation fault), core dumped".
std::string describe_exit(int wait_status);

// The environment children inherit: this process's, minus variables that belong to the
// daemon alone (systemd's NOTIFY_SOCKET, WATCHDOG_*, LISTEN_*; any MEGANE_*), plus `extra`.
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra);

// meganed-launch next to this executable, else in ../libexec/megane/.
std::filesystem::path find_launcher();

}  // namespace megane::daemon
