#!/usr/bin/env bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: builds every target
# with -DMEGANE_SANITIZE=ON (g++) into build-asan and runs ctest there. Any sanitizer report
# fails the test that triggered it (halt_on_error). Not part of CI's scripts/test.sh: the
# sanitized build and suite take about as long again (docs/reliability.md has the numbers).
#   scripts/test-sanitized.sh                 everything
#   scripts/test-sanitized.sh -L unit         any ctest arguments pass through
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR="${BUILD_DIR:-build-asan}"
export CMAKE_ARGS="${CMAKE_ARGS:--DMEGANE_SANITIZE=ON -DMEGANE_BUILD_BENCH=OFF}"
# detect_leaks: the daemon and tools must not leak either. abort_on_error gives a core/trace.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
scripts/setup.sh
cd "$BUILD_DIR"
# Sanitized binaries are ~2-3x slower: a longer per-test timeout than the normal suite.
exec ctest --output-on-failure --timeout 400 -j 2 "$@"
