#!/usr/bin/env bash
# The long version of the durability kill loop: ROUNDS (default 100) times, start meganed,
# write from 4 clients, kill -9 it at a random moment, restart, and check that every
# acknowledged write so far is there; for fsync always, then everysec.
# Same pass criteria (tests/integration/durability_test.cpp). Needs a build (scripts/setup.sh).
#   scripts/chaos/daemon_kill.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR="${BUILD_DIR:-build}"
export MEGANE_CHAOS_ROUNDS="${1:-100}"
exec "$BUILD_DIR/bin/megane_integration_tests" --durations yes "durability: kill -9 meganed in a loop*"
