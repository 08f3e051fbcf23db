// meganectl's exit codes (sysexits-style, documented in docs/meganectl.md). Scripts branch on
// them, so they never change meaning.
#pragma once

namespace megane::ctl::exit_code {

inline constexpr int ok = 0;
inline constexpr int failed = 1;        // the daemon reported a failure (or a restart failed)
inline constexpr int usage = 2;         // bad command line
inline constexpr int unavailable = 69;  // daemon not reachable: no socket, refused, handshake failed
inline constexpr int timed_out = 75;    // no answer within --timeout
inline constexpr int config = 78;       // the --config file does not load

}  // namespace megane::ctl::exit_code
