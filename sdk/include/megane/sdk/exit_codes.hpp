// Exit codes with a meaning to meganed. Everything else non-zero counts as a crash and is
// restarted with backoff.
#pragma once

namespace megane {

// "Do not restart me": the process cannot work with this configuration (missing or invalid
// environment, handshake refused, bad token), so restarting it would only burn the identify
// budget in a loop. meganed marks the cluster `failed` until an operator acts. Same value as
// sysexits' EX_CONFIG and systemd's RestartPreventExitStatus convention.
inline constexpr int do_not_restart = 78;

}  // namespace megane
