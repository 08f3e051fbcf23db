#!/usr/bin/env bash
# The demo: builds megane, then runs meganed supervising the example cluster bot with
# config/meganed.example.toml and its example service, then tours meganectl: status, a service
# command, a broadcast to every cluster, the central store, a restart of one cluster; then stops.
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
  json=$(ctl status --json 2>/dev/null || true)
  if grep -q '"all_ready":true' <<<"$json" && grep -q '"name":"example-service","pid":[0-9]*,"state":"ready"' <<<"$json"; then
    break
  fi
  sleep 0.1
done
show() { echo; echo "== meganectl $*"; ctl "$@"; }
show status
show command --service example-service '{"op":"PING"}'
show command --cluster all '{"op":"SHARDS"}'
show store set demo:greeting "hello from the demo"
show store get demo:greeting
show store incr demo:runs
show restart 0
show status
echo; echo "== stopping meganed (SIGTERM)"
kill -TERM $DAEMON; wait $DAEMON; trap - EXIT
echo "meganed exited cleanly"
