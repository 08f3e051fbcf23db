#!/usr/bin/env bash
# The demo: builds megane, then runs meganed supervising the example cluster bot with
# config/meganed.example.toml, shows `meganectl status`, restarts one cluster, and stops.
#   scripts/demo.sh          run, show, stop after the tour
#   scripts/demo.sh --keep   keep meganed running in the foreground until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

CONFIG=config/meganed.example.toml
BIN=build/bin
ctl() { "$BIN/meganectl" --config "$CONFIG" "$@"; }

if [ "${1:-}" = "--keep" ]; then
  exec "$BIN/meganed" --config "$CONFIG"
fi

"$BIN/meganed" --config "$CONFIG" &
DAEMON=$!
trap 'kill -TERM $DAEMON 2>/dev/null; wait $DAEMON 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if ctl status --json 2>/dev/null | grep -q '"all_ready":true'; then break; fi
  sleep 0.1
done
echo; echo "== meganectl status"; ctl status
echo; echo "== meganectl restart 0"; ctl restart 0
echo; echo "== meganectl status"; ctl status
echo; echo "== stopping meganed (SIGTERM)"
kill -TERM $DAEMON; wait $DAEMON; trap - EXIT
echo "meganed exited cleanly"
