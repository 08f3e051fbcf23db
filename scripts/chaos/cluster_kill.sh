#!/usr/bin/env bash
# The minutes-long version of the CTest chaos test: kill -9 a random cluster every KILL_MS
# (default 2000) for SECONDS (default 300) while clients write to the store and send commands.
# Same pass criteria (tests/integration/chaos_test.cpp). Needs a build (scripts/setup.sh).
#   scripts/chaos/cluster_kill.sh [SECONDS] [KILL_MS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
export MEGANE_CHAOS_SECONDS="${1:-300}" MEGANE_CHAOS_KILL_MS="${2:-2000}"
exec "$BUILD_DIR/bin/megane_integration_tests" --durations yes "chaos: kill -9 random clusters under store writes and commands"
