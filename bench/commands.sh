#!/usr/bin/env bash
# Service command round trips through meganed next to the raw two-hop floor, in one run.
#
#   bench/commands.sh BUILD_DIR          (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
#
# Each round runs the floor (megane_two_hop_floor: client -> relay -> echo over Unix sockets,
# same frames) and then a real meganed with one cluster (megane_bench_cluster) commanding one
# service (megane_bench_service), each measuring 1 and 64 commands in flight. Rounds
# alternate the two so a noisy machine slows both alike; the table shows medians over the
# rounds. Environment: REPS (rounds, default 5), REQUESTS (round trips per measurement,
# default 50000), WARMUP (default 2000), RESULTS (also copy the raw JSON lines there),
# TIMEOUT (seconds one meganed round may take, default 300), HALT_POLL_NS (run under that
# guest_halt_poll_ns, root only, restored at exit: bench/haltpoll.sh), BUSY_POLL_US (meganed's
# [ipc] busy_poll_us, default 0 as meganed's own default: never spin), ONE_CPU=1 (every process
# of both, meganed and the service included, on the one CPU the cluster is pinned to: no
# cross-CPU wake-ups, so ops/s measures the CPU a command costs rather than the wake-up
# latency, which on a VM varies a lot from hour to hour).
set -euo pipefail

build=${1:?usage: bench/commands.sh BUILD_DIR}
reps=${REPS:-5}
requests=${REQUESTS:-50000}
warmup=${WARMUP:-2000}
timeout_s=${TIMEOUT:-300}
busy_poll_us=${BUSY_POLL_US:-0}
one_cpu=${ONE_CPU:-0}
# Small JSON, the same bytes for megane and the floor. No single quotes: it goes into a TOML
# literal string.
data='{"op":"echo","seq":123456,"pad":"0123456789abcdef"}'

bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in meganed meganed-launch megane_bench_cluster megane_bench_service megane_two_hop_floor; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done

# meganed pins the cluster to this CPU and the floor pins its client there too; meganed, the
# service, the relay and the echo run wherever the scheduler puts them. Same placement, so a
# wake-up that crosses CPUs (expensive on VMs) is paid alike.
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[^0-9].*//')
floor_launcher=()

# Short path: the socket's path must fit sockaddr_un.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-cmdbench.XXXXXX")
results=$tmp/results.jsonl
source "$(dirname "$0")/bench_daemon.sh"
source "$(dirname "$0")/haltpoll.sh"
cleanup() {
  daemon_stop
  haltpoll_restore
  rm -rf "$tmp"
}
trap cleanup EXIT
haltpoll_apply
trap 'exit 130' INT TERM
if [[ $one_cpu == 1 ]]; then
  daemon_launcher=(taskset -c "$cpu")
  floor_launcher=(taskset -c "$cpu")
fi

write_config() {  # $1: the cluster's output file
  daemon_config "$tmp/bot.toml" command-bench "$busy_poll_us" "$tmp/megane.sock" "$cpu" \
    "\"--out\", \"$1\", \"--requests\", \"$requests\", \"--reps\", \"1\", \"--warmup\", \"$warmup\", \"--data\", '$data'"
}

run_megane() {  # $1: round number
  local out=$tmp/megane.$1.jsonl
  write_config "$out"
  daemon_run "$tmp/bot.toml" "$out" "$tmp/meganed.log"
  cat "$out" >>"$results"
}

run_floor() {
  "${floor_launcher[@]}" "$bin/megane_two_hop_floor" --requests "$requests" --reps 1 --warmup "$warmup" --data "$data" \
    --client-cpu "$cpu" >>"$results"
}

# Median of one field over the rounds: median IMPL INFLIGHT FIELD
median() {
  grep "\"impl\":\"$1\",\"inflight\":$2," "$results" | sed -n "s/.*\"$3\":\([0-9.]*\).*/\1/p" | median_of
}

echo "command round trips: $reps rounds x $requests requests, data ${#data} bytes," \
  "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(haltpoll_describe), meganed busy_poll_us $busy_poll_us," \
  "$([[ $one_cpu == 1 ]] && echo "everything on CPU $cpu" || echo "cluster and floor client on CPU $cpu")" >&2
for round in $(seq "$reps"); do
  echo "round $round/$reps" >&2
  run_floor
  run_megane "$round"
done
[[ -z ${RESULTS:-} ]] || cp "$results" "$RESULTS"

errors=$(sed -n 's/.*"errors":\([0-9]*\).*/\1/p' "$results" | awk '{ s += $1 } END { print s + 0 }')
echo
echo "| in flight | megane p50 µs | megane p99 µs | megane ops/s | floor p50 µs | floor p99 µs | floor ops/s | p50 megane/floor | ops/s megane/floor |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for inflight in 1 64; do
  awk -v k="$inflight" \
    -v mp50="$(median megane "$inflight" p50_us)" -v mp99="$(median megane "$inflight" p99_us)" \
    -v mops="$(median megane "$inflight" ops_s)" \
    -v fp50="$(median floor "$inflight" p50_us)" -v fp99="$(median floor "$inflight" p99_us)" \
    -v fops="$(median floor "$inflight" ops_s)" 'BEGIN {
      printf "| %s | %.1f | %.1f | %.0f | %.1f | %.1f | %.0f | %.2f | %.2f |\n",
             k, mp50, mp99, mops, fp50, fp99, fops, mp50 / fp50, mops / fops }'
done
echo
# The p50 target is the 1-in-flight row's: with 64 in flight latency is queueing (64 / ops/s).
echo "medians of $reps rounds; targets: 64 in flight >= 250000 ops/s, 1 in flight p50 megane/floor <= 1.5;" \
  "failed commands: $errors"
