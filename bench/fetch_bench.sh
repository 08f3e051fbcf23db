#!/usr/bin/env bash
# fetch_guild (with members) and fetch_user round trips across clusters, through meganed.
#
#   bench/fetch_bench.sh BUILD_DIR          (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
#
# One fakecord (GUILDS x MEMBERS x CHANNELS x ROLES, default 200 x 100 x 40 x 25: a guild with
# its members is ~54 KB of JSON) and one meganed running two clusters of megane_fetch_bench
# over 2 shards. Cluster 0 fetches cluster 1's guilds and users, one request in flight, and
# reports p50/p99 per repetition; the table shows medians over the repetitions.
# Environment: REPS (default 5), REQUESTS (per kind and repetition, default 2000), WARMUP
# (default 200), TIMEOUT (seconds, default 600).
set -euo pipefail

build=${1:?usage: bench/fetch_bench.sh BUILD_DIR}
reps=${REPS:-5}
requests=${REQUESTS:-2000}
warmup=${WARMUP:-200}
timeout_s=${TIMEOUT:-600}
guilds=${GUILDS:-200}
members=${MEMBERS:-100}
channels=${CHANNELS:-40}
roles=${ROLES:-25}
bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in fakecord meganed meganed-launch megane_fetch_bench; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-fetch.XXXXXX")
fakecord_pid=
source "$(dirname "$0")/bench_daemon.sh"
cleanup() {
  daemon_stop
  [[ -n $fakecord_pid ]] && kill "$fakecord_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "$0")/fakecord.sh"
start_fakecord "$bin" "$tmp" --guilds "$guilds" --members-per-guild "$members" \
  --channels-per-guild "$channels" --roles-per-guild "$roles" --identify-window-ms 0 || exit 1
gateway=$gateway_port
api=$api_port

out=$tmp/results.jsonl
cat >"$tmp/bot.toml" <<TOML
name = "fetch-bench"
[bot]
executable = "$bin/megane_fetch_bench"
args = ["--out", "$out", "--requests", "$requests", "--reps", "$reps", "--warmup", "$warmup"]
[sharding]
shards = 2
clusters = 2
[gateway]
token_file = "$tmp/token"
gateway_url = "ws://127.0.0.1:$gateway"
api_url = "http://127.0.0.1:$api/api/v10"
identify_window = "100ms"
[ipc]
socket = "$tmp/megane.sock"
[store]
persistence = false
[log]
level = "warn"
TOML

echo "fetch round trips: $reps reps x $requests requests per kind, $guilds guilds x $members members x" \
  "$channels channels x $roles roles, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
daemon_run "$tmp/bot.toml" "$out" "$tmp/meganed.log"

median() {  # median KIND FIELD
  grep "\"kind\":\"$1\"" "$out" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" | median_of
}
errors=$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
echo
echo "| fetch (cluster 0 -> meganed -> cluster 1) | JSON bytes | p50 µs | p99 µs |"
echo "|---|---:|---:|---:|"
printf '| fetch_guild(id, include_members = true) | %s | %s | %s |\n' \
  "$(median guild_members bytes)" "$(median guild_members p50_us)" "$(median guild_members p99_us)"
printf '| fetch_user(id) (asked of both clusters) | %s | %s | %s |\n' \
  "$(median user bytes)" "$(median user p50_us)" "$(median user p99_us)"
echo
echo "medians of $reps reps, one fetch in flight; failed fetches: $errors"
