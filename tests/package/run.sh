#!/usr/bin/env bash
# Installs megane into a scratch prefix and builds the example bot against it, as a user would.
# Usage: run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"; build="$2"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DEXAMPLE_SOURCE="$src/examples/cluster_bot/main.cpp" >/dev/null
# Quiet when it builds; the compiler's and linker's words when it does not.
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
test -x "$work/consumer/consumer_bot"
test -x "$work/prefix/libexec/megane/meganed-launch"
echo "package: consumer_bot built against the installed SDK"
