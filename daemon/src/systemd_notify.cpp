#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace megane::daemon::systemd {
namespace {

void notify(const std::string& text) {
  // unset_environment = 0: the variable is kept for later calls; children never see it because
  // child_environment() drops it.
  sd_notify(0, text.c_str());
}

}  // namespace

void ready(std::string_view s) { notify("READY=1\nSTATUS=" + std::string(s)); }
void status(std::string_view s) { notify("STATUS=" + std::string(s)); }
void stopping() { notify("STOPPING=1\nSTATUS=stopping clusters"); }
void watchdog() { notify("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

bool under_journald() { return std::getenv("JOURNAL_STREAM") != nullptr; }

}  // namespace megane::daemon::systemd
