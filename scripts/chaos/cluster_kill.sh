#!/usr/bin/env bash
# The minutes-long version of the CTest chaos tests: kill -9 a random cluster every KILL_MS
# (default 2000) for SECONDS (default 300) while clients write to the store and send commands,
# first with plain clusters, then with gateway clusters against fakecord (each shard READY
# again within 10 s of its cluster's respawn; the measured median and max are printed). Same
# pass criteria (tests/integration/chaos_test.cpp). Needs a build (scripts/setup.sh).
#   scripts/chaos/cluster_kill.sh [SECONDS] [KILL_MS] [plain|gateway|both]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
export MEGANE_CHAOS_SECONDS="${1:-300}" MEGANE_CHAOS_KILL_MS="${2:-2000}"
export MEGANE_CHAOS_GW_SECONDS="$MEGANE_CHAOS_SECONDS" MEGANE_CHAOS_GW_KILL_MS="$MEGANE_CHAOS_KILL_MS"
which="${3:-both}"
tests=()
[ "$which" != gateway ] && tests+=("chaos: kill -9 random clusters under store writes and commands")
[ "$which" != plain ] && tests+=("chaos: kill -9 a random gateway cluster every 2 s and its shards are READY again within 10 s")
for t in "${tests[@]}"; do
  "$BUILD_DIR/bin/megane_integration_tests" --durations yes "$t"
done
