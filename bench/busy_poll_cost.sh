#!/usr/bin/env bash
# What meganed's busy polling ([ipc] busy_poll_us) buys and costs, by how busy the traffic is.
#
#   bench/busy_poll_cost.sh BUILD_DIR          (a Release build)
#
# One cluster sends service commands one at a time, pausing PAUSE microseconds after each
# reply (0: back to back), through a real meganed with spinning off and with the ceiling
# CEILING, alternated in every round. Printed per (pause, setting): median command p50, rate,
# and meganed's CPU per command and as a share of one core (its main thread, from
# /proc/PID/schedstat, read by the cluster around the measurement). Environment: REPS
# (rounds, default 3), PAUSES (default "0 100 1000 10000"), CEILING (default 100),
# SECONDS_PER_RUN (about how long one measurement lasts, default 2), HALT_POLL_NS
# (bench/haltpoll.sh).
set -euo pipefail

build=${1:?usage: bench/busy_poll_cost.sh BUILD_DIR}
reps=${REPS:-3}
pauses=${PAUSES:-0 100 1000 10000}
ceiling=${CEILING:-100}
seconds=${SECONDS_PER_RUN:-2}
timeout_s=${TIMEOUT:-300}
data='{"op":"echo","seq":123456,"pad":"0123456789abcdef"}'

bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in meganed meganed-launch megane_bench_cluster megane_bench_service; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[^0-9].*//')
tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-spincost.XXXXXX")
results=$tmp/results.jsonl
source "$(dirname "$0")/bench_daemon.sh"
source "$(dirname "$0")/haltpoll.sh"
trap 'daemon_stop; haltpoll_restore; rm -rf "$tmp"' EXIT
haltpoll_apply
trap 'exit 130' INT TERM

# run_one PAUSE BUSY_POLL_US: one measurement, its JSON line tagged with the setting.
run_one() {
  local pause=$1 spin=$2 out=$tmp/out.jsonl
  # About $seconds per run at ~100 us per round trip plus the pause; at least 2000 commands.
  local requests=$((seconds * 1000000 / (pause + 100)))
  ((requests >= 2000)) || requests=2000
  rm -f "$out"
  daemon_config "$tmp/bot.toml" busy-poll-cost "$spin" "$tmp/megane.sock" "$cpu" \
    "\"--out\", \"$out\", \"--requests\", \"$requests\", \"--reps\", \"1\", \"--warmup\", \"400\", \"--in-flight\", \"1\", \"--pause-us\", \"$pause\", \"--data\", '$data'"
  daemon_run "$tmp/bot.toml" "$out" "$tmp/meganed.log"
  sed "s/^{/{\"busy_poll_us\":$spin,/" "$out" >>"$results"
}

# median PAUSE BUSY_POLL_US FIELD
median() {
  grep "^{\"busy_poll_us\":$2,.*\"pause_us\":$1," "$results" | sed -n "s/.*\"$3\":\([0-9.-]*\).*/\1/p" |
    median_of
}

echo "busy polling cost: $reps rounds, pauses ($pauses) us, busy_poll_us 0 vs $ceiling, $(nproc) CPUs," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $(haltpoll_describe)" >&2
for round in $(seq "$reps"); do
  echo "round $round/$reps" >&2
  for pause in $pauses; do
    # Alternate which setting goes first, so drift during a round hits both alike.
    if ((round % 2)); then order="0 $ceiling"; else order="$ceiling 0"; fi
    for spin in $order; do run_one "$pause" "$spin"; done
  done
done

echo
echo "| pause µs | busy_poll_us | p50 µs | commands/s | meganed CPU µs/command | meganed CPU % of a core |"
echo "|---:|---:|---:|---:|---:|---:|"
for pause in $pauses; do
  for spin in 0 "$ceiling"; do
    awk -v pause="$pause" -v spin="$spin" -v p50="$(median "$pause" "$spin" p50_us)" \
      -v ops="$(median "$pause" "$spin" ops_s)" -v cpu="$(median "$pause" "$spin" daemon_cpu_us_per_op)" 'BEGIN {
        printf "| %s | %s | %.1f | %.0f | %.2f | %.1f |\n", pause, spin, p50, ops, cpu, cpu * ops / 1e4 }'
  done
done
echo
echo "medians of $reps rounds; one command in flight, paused after each reply"
