// `fakecord --bench`: how fast fakecord's own side is (population, GUILD_CREATE text, burst
// framing and compression), without sockets, so a benchmark can tell fakecord is not its bottleneck.
#pragma once

#include "fakecord/options.hpp"

namespace fakecord {

// Prints a table to stdout; returns the process exit code.
int run_bench(const Options& options, std::uint64_t burst_events);

}  // namespace fakecord
