#!/usr/bin/env bash
# Installs the Debian 12 packages megane needs (only when something is missing) and builds it
# with CMake + Ninja into ./build. Safe to run again: a no-op install and an incremental build.
#   BUILD_DIR=build-asan CMAKE_ARGS="-DMEGANE_SANITIZE=ON" scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache curl
  libboost1.81-dev libssl-dev zlib1g-dev libisal-dev
  libsimdjson-dev libfmt-dev libspdlog-dev libcli11-dev catch2 libtomlplusplus-dev libsystemd-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR="${BUILD_DIR:-build}"
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # shellcheck disable=SC2086
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" ${CMAKE_ARGS:-} >/dev/null
fi
# ccache (CMakeLists.txt uses it when installed) keys on absolute paths by default, so every
# new clone rebuilt everything (~17 min on 2 cores). Paths under the checkout hash relative, and
# the working directory is left out of the key: a second clone at another path reuses the
# objects (their debug info then names the first clone's directory). Set either to override.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
# Beast translation units take ~2 GB each: never more jobs than cores.
cmake --build "$BUILD_DIR" -j "$(nproc)"
