#!/usr/bin/env bash
# The demo: builds megane, starts fakecord (the local Discord simulator: 2,000 guilds, Discord's
# gateway and REST behaviour on 127.0.0.1) and meganed supervising the example bot: shards from
# GET /gateway/bot ("auto"), split into clusters over this machine's cores, IDENTIFYs rationed
# per bucket by meganed. Shows start-up progress, then tours meganectl: shard status, commands,
# the store, a cluster restart that RESUMEs (0 new identifies), and stops.
#
#   scripts/demo.sh                       against fakecord
#   DISCORD_TOKEN=... scripts/demo.sh     against Discord with your bot (shards = "auto")
#   scripts/demo.sh --keep                keep meganed running in the foreground until Ctrl-C
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

BIN=$PWD/build/bin
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
work=$(mktemp -d "${TMPDIR:-/tmp}/megane-demo.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The token goes into a private file: never on a command line.
umask 077
if [ -n "${DISCORD_TOKEN:-}" ]; then
  printf '%s' "$DISCORD_TOKEN" >"$work/token"
  unset DISCORD_TOKEN
  gateway_keys='gateway_url = "wss://gateway.discord.gg"
api_url = "https://discord.com/api/v10"'
  echo "demo: connecting to Discord with your bot token"
  SIMULATED=0
else
  printf '%s' demo-token >"$work/token"
  "$BIN/fakecord" --token-file "$work/token" --guilds 2000 --members-per-guild 5 \
    --shards-recommended 16 --max-concurrency 4 --identify-window-ms 1000 --hello-interval-ms 5000 \
    --log-level warn >"$work/fakecord.ports" 2>"$work/fakecord.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/fakecord.ports" ] && break; sleep 0.1; done
  ports=$(head -n1 "$work/fakecord.ports")
  port_of() { sed -E "s/.*\"$1\":([0-9]+).*/\1/" <<<"$ports"; }
  CONTROL=$(port_of control_port)
  gateway_keys="gateway_url = \"ws://127.0.0.1:$(port_of gateway_port)\"
api_url = \"http://127.0.0.1:$(port_of api_port)/api/v10\"
# Discord's window is 5 s and its heartbeat interval 41.25 s; fakecord runs with 1 s and 5 s
# to keep the demo short.
identify_window = \"1s\""
  echo "demo: fakecord is up ($ports)"
  SIMULATED=1
fi
umask 022

CONFIG=$work/bot.toml
cat >"$CONFIG" <<TOML
name = "example-bot"

[bot]
executable = "$BIN/megane-example-cluster"
env = { EXAMPLE_SERVICE = "example-service" }

[[services]]
name = "example-service"
executable = "$BIN/megane-example-service"

[sharding]
shards = "auto"

[gateway]
token_file = "$work/token"
$gateway_keys

[ipc]
socket = "$work/megane.sock"

[store]
path = "$work/store"
TOML
ctl() { "$BIN/meganectl" --config "$CONFIG" "$@"; }

if [ $KEEP = 1 ]; then
  echo "demo: meganed in the foreground; in another terminal: $BIN/meganectl --config $CONFIG status --shards"
  "$BIN/meganed" --config "$CONFIG"
  exit 0
fi

"$BIN/meganed" --config "$CONFIG" 2>"$work/meganed.log" &
DAEMON=$!
pids+=("$DAEMON")

# Start-up progress: shards READY out of the total, as meganed sees them.
last=""
for _ in $(seq 1 1200); do
  json=$(ctl status --json 2>/dev/null || true)
  total=$(grep -o '"shards_total":[0-9]*' <<<"$json" | head -n1 | cut -d: -f2 || true)
  ready=$(grep -o '"state":"ready","latency_ms"' <<<"$json" | wc -l || true)
  line="start-up: ${ready:-0}/${total:-?} shards ready"
  [ "$line" != "$last" ] && echo "$line" && last=$line
  if grep -q '"all_ready":true' <<<"$json" && grep -q '"name":"example-service","pid":[0-9]*,"state":"ready"' <<<"$json"; then
    break
  fi
  kill -0 "$DAEMON" 2>/dev/null || { echo "meganed stopped:"; tail -n 20 "$work/meganed.log"; exit 1; }
  sleep 0.1
done

show() { echo; echo "== meganectl $*"; ctl "$@"; }
show status
show status --shards
show command --service example-service '{"op":"PING"}'
show command --cluster all '{"op":"SHARDS"}'
if [ $SIMULATED = 1 ]; then
  echo; echo "== fakecord: 1,000 MESSAGE_CREATEs to every shard"
  curl -s -X POST "http://127.0.0.1:$CONTROL/burst" -d '{"shard":"all","event":"MESSAGE_CREATE","count":1000,"rate":0}'
  echo; sleep 1
fi
show command --cluster all '{"op":"STATS"}'
show store set demo:greeting "hello from the demo"
show store get demo:greeting
show store incr demo:runs
if [ $SIMULATED = 1 ]; then
  before=$(curl -s "http://127.0.0.1:$CONTROL/stats" | grep -o '"identifies":{"total":[0-9]*' | grep -o '[0-9]*$')
fi
show restart 0
if [ $SIMULATED = 1 ]; then
  sleep 0.5
  stats=$(curl -s "http://127.0.0.1:$CONTROL/stats")
  after=$(grep -o '"identifies":{"total":[0-9]*' <<<"$stats" | grep -o '[0-9]*$')
  resumes=$(grep -o '"resumes":{"total":[0-9]*' <<<"$stats" | grep -o '[0-9]*$')
  echo "fakecord: identifies before the restart $before, after $after; resumes $resumes"
fi
show status
echo; echo "== stopping meganed (SIGTERM)"
kill -TERM "$DAEMON"; wait "$DAEMON"
echo "meganed exited cleanly"
