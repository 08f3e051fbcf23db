// meganed-launch PARENT_PID CPU_LIST EXECUTABLE [ARGS...]
//
// The few steps posix_spawn cannot do, run between spawn and exec in the child's own process:
// die with the daemon (PR_SET_PDEATHSIG survives exec) and pin to the cluster's CPUs before the
// bot runs a single instruction. meganed posix_spawns this, it execs the bot; the pid stays the
// same, so the daemon supervises the bot itself. Exit 127 when the bot cannot be executed.
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

bool parse_int(std::string_view s, long& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// "0-3,6" -> set; false on malformed input.
bool parse_cpus(std::string_view list, cpu_set_t& set) {
  CPU_ZERO(&set);
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const auto dash = item.find('-');
    long lo = 0;
    long hi = 0;
    if (!parse_int(item.substr(0, dash), lo)) return false;
    hi = lo;
    if (dash != std::string_view::npos && !parse_int(item.substr(dash + 1), hi)) return false;
    if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) return false;
    for (long c = lo; c <= hi; ++c) CPU_SET(static_cast<int>(c), &set);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "meganed-launch: internal helper of meganed, not for direct use\n");
    return 127;
  }
  long parent = 0;
  if (!parse_int(argv[1], parent)) return 127;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    std::fprintf(stderr, "meganed-launch: PR_SET_PDEATHSIG: %s\n", std::strerror(errno));
    return 127;
  }
  // The daemon may have died between spawn and prctl: then nobody would kill us later.
  if (getppid() != static_cast<pid_t>(parent)) return 127;

  const std::string_view cpus = argv[2];
  if (!cpus.empty() && cpus != "-") {
    cpu_set_t set;
    if (!parse_cpus(cpus, set)) {
      std::fprintf(stderr, "meganed-launch: bad CPU list '%s'\n", argv[2]);
      return 127;
    }
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
      std::fprintf(stderr, "meganed-launch: sched_setaffinity(%s): %s\n", argv[2], std::strerror(errno));
      return 127;
    }
  }
  execv(argv[3], argv + 3);
  std::fprintf(stderr, "meganed-launch: cannot execute %s: %s\n", argv[3], std::strerror(errno));
  return 127;
}
