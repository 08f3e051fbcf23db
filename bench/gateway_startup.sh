#!/usr/bin/env bash
# Start-up time of a sharded bot against the identify bound: fakecord + meganed + the example
# bot; from meganed's start until every cluster reports ready (all shards READY), next to
# ceil(shards / max_concurrency) * identify_window, the least any client may take.
#
#   bench/gateway_startup.sh BUILD_DIR [SHARDS] [WINDOW_MS] [REPS]      (a Release build)
#
# Runs with max_concurrency 1 and 4 (from fakecord's /gateway/bot), 2,000 guilds.
set -euo pipefail

build=${1:?usage: bench/gateway_startup.sh BUILD_DIR [SHARDS] [WINDOW_MS] [REPS]}
shards=${2:-16}
window=${3:-1000}
reps=${4:-3}
bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in fakecord meganed meganed-launch meganectl megane-example-cluster; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-startup.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
source "$(dirname "$0")/fakecord.sh"
now_ms() { date +%s%3N; }

# run_once K: prints the start-up time in ms.
run_once() {
  local k=$1
  start_fakecord "$bin" "$tmp" --guilds 2000 --members-per-guild 5 --max-concurrency "$k" \
    --identify-window-ms "$window" || exit 1
  local fpid=$fakecord_pid gateway=$gateway_port api=$api_port
  pids+=("$fpid")
  cat >"$tmp/bot.toml" <<TOML
name = "startup-bench"
[bot]
executable = "$bin/megane-example-cluster"
[sharding]
shards = $shards
[gateway]
token_file = "$tmp/token"
gateway_url = "ws://127.0.0.1:$gateway"
api_url = "http://127.0.0.1:$api/api/v10"
identify_window = "${window}ms"
[ipc]
socket = "$tmp/megane.sock"
[store]
persistence = false
TOML
  local start
  start=$(now_ms)
  "$bin/meganed" --config "$tmp/bot.toml" 2>"$tmp/meganed.log" &
  local dpid=$!
  pids+=("$dpid")
  until "$bin/meganectl" --socket "$tmp/megane.sock" status --json 2>/dev/null | grep -q '"all_ready":true'; do
    kill -0 "$dpid" 2>/dev/null || { echo "meganed died:" >&2; tail "$tmp/meganed.log" >&2; exit 1; }
    sleep 0.02
  done
  echo $(($(now_ms) - start))
  kill -TERM "$dpid"; wait "$dpid" 2>/dev/null || true
  kill -TERM "$fpid"; wait "$fpid" 2>/dev/null || true
  : >"$tmp/ports"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "start-up of $shards shards (2,000 guilds), identify window $window ms, median of $reps runs"
printf '%-16s %10s %12s %8s\n' max_concurrency bound_ms startup_ms ratio
for k in 1 4; do
  bound=$(( (shards + k - 1) / k * window ))
  for _ in $(seq "$reps"); do run_once "$k"; done >"$tmp/times.$k"
  m=$(median <"$tmp/times.$k")
  awk -v k="$k" -v b="$bound" -v m="$m" 'BEGIN {printf "%-16s %10d %12d %8.3f\n", k, b, m, m / b}'
done
