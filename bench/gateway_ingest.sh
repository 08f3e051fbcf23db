#!/usr/bin/env bash
# MESSAGE_CREATE ingest of one shard over zlib-stream: events per CPU-second of the shard
# process, megane's SDK next to the reference client(s) in the same run.
#
#   bench/gateway_ingest.sh BUILD_DIR [EVENTS] [REPS]     (a Release build)
#
# One fakecord serves every round (100 guilds, burst MESSAGE_CREATEs as fast as the client
# reads). Each round runs megane_gateway_ingest_bench, then Eris (Node, bench/reference/) when
# its node_modules are installed (bench/reference/setup.sh), alternating so a noisy machine
# slows both alike. The table shows medians over the rounds. FAKECORD_ARGS adds fakecord flags,
# e.g. FAKECORD_ARGS="--burst-zlib-level 6" for payloads deflated by zlib itself (the default
# writes back-references by hand, cheaper to produce; both are valid zlib-stream).
set -euo pipefail

build=${1:?usage: bench/gateway_ingest.sh BUILD_DIR [EVENTS] [REPS]}
events=${2:-200000}
reps=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in fakecord megane_gateway_ingest_bench; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-ingest.XXXXXX")
fakecord_pid=
cleanup() {
  [[ -n $fakecord_pid ]] && kill "$fakecord_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

source "$here/fakecord.sh"
# shellcheck disable=SC2086  # FAKECORD_ARGS: several flags, split on purpose
start_fakecord "$bin" "$tmp" --guilds 100 --members-per-guild 10 --identify-window-ms 100 \
  --replay-buffer 1000 ${FAKECORD_ARGS:-} || exit 1
gateway=$gateway_port
control=$control_port
api=$api_port

# run_client NAME COMMAND...: starts the client, waits for its {"ready":true} line, starts the
# burst, and appends the client's result line to $tmp/NAME.
run_client() {
  local name=$1
  shift
  local out=$tmp/$name.out
  : >"$out"
  "$@" >"$out" 2>"$tmp/$name.err" &
  local pid=$!
  for _ in $(seq 300); do grep -q '"ready":true' "$out" && break; sleep 0.1; done
  grep -q '"ready":true' "$out" || { echo "$name did not get ready:" >&2; cat "$tmp/$name.err" >&2; kill $pid; return 1; }
  curl -s -X POST "http://127.0.0.1:$control/burst" \
    -d "{\"shard\":\"all\",\"event\":\"MESSAGE_CREATE\",\"count\":$events,\"rate\":0}" >/dev/null
  wait $pid || { echo "$name failed:" >&2; cat "$tmp/$name.err" >&2; return 1; }
  grep '"events_per_cpu_s"' "$out" >>"$tmp/$name.results"
}

eris_dir=$here/reference
have_eris=0
[[ -d $eris_dir/node_modules/eris && -f $eris_dir/eris_ingest.js && -z ${MEGANE_ONLY:-} ]] && command -v node >/dev/null && have_eris=1

for round in $(seq "$reps"); do
  run_client megane "$bin/megane_gateway_ingest_bench" --gateway "ws://127.0.0.1:$gateway" \
    --token-file "$tmp/token" --events "$events"
  if [[ $have_eris == 1 ]]; then
    run_client eris node "$eris_dir/eris_ingest.js" --api "http://127.0.0.1:$api" \
      --token-file "$tmp/token" --events "$events"
  fi
  echo "round $round done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" "$2"; }
echo
echo "MESSAGE_CREATE ingest, 1 shard, zlib-stream, $events events, median of $reps rounds"
printf '%-8s %18s %14s %10s\n' client events/CPU-s events/s CPU-s
megane_rate=$(field events_per_cpu_s "$tmp/megane.results" | median)
printf '%-8s %18.0f %14.0f %10.3f\n' megane "$megane_rate" \
  "$(field events_per_s "$tmp/megane.results" | median)" "$(field cpu_s "$tmp/megane.results" | median)"
if [[ $have_eris == 1 ]]; then
  eris_rate=$(field events_per_cpu_s "$tmp/eris.results" | median)
  printf '%-8s %18.0f %14.0f %10.3f\n' eris "$eris_rate" \
    "$(field events_per_s "$tmp/eris.results" | median)" "$(field cpu_s "$tmp/eris.results" | median)"
  awk -v m="$megane_rate" -v e="$eris_rate" 'BEGIN {printf "ratio megane/eris: %.2fx\n", m / e}'
else
  echo "(Eris not installed: bench/reference/setup.sh adds it to the table)"
fi
