#!/usr/bin/env bash
# Sets everything up (packages, build) and runs the whole test suite: unit and integration.
#   scripts/test.sh                 everything
#   scripts/test.sh -L unit         only the unit tests (any ctest arguments pass through)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd "${BUILD_DIR:-build}"
# Integration tests start daemons and bots; two at a time fits the 2-core machines.
exec ctest --output-on-failure --timeout 180 -j 2 "$@"
