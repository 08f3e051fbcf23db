// sd_notify for Type=notify: READY, STATUS, STOPPING and the watchdog. Every call is a no-op
// when the daemon was not started by systemd (no NOTIFY_SOCKET).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace megane::daemon::systemd {

void ready(std::string_view status);
void status(std::string_view status);
void stopping();
void watchdog();
// The interval at which watchdog() must be called (half of WATCHDOG_USEC), if enabled.
std::optional<std::chrono::microseconds> watchdog_interval();
// True when stderr goes to journald: log lines then carry no timestamps of their own.
bool under_journald();

}  // namespace megane::daemon::systemd
