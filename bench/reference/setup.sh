#!/usr/bin/env bash
# Installs the Eris reference client of bench/gateway_ingest.sh: Node.js (from Debian if
# missing) and the pinned node_modules of bench/reference (eris + zlib-sync, a native addon
# built by node-gyp: needs python3, make and g++). Idempotent; prints nothing when all is in place.
#
#   bench/reference/setup.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=
  [[ $(id -u) == 0 ]] || sudo=sudo
  echo "installing nodejs and npm (apt)" >&2
  $sudo apt-get update -qq
  # Debian's npm brings node-gyp and libnode-dev (the headers zlib-sync builds against).
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

installed() {
  [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]] &&
    node -e 'require("eris"); require("zlib-sync")' 2>/dev/null
}
if ! installed; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  node -e 'require("zlib-sync")' || {
    echo "zlib-sync did not build (needs python3, make, g++ and the Node headers): see README.md" >&2
    exit 1
  }
fi
