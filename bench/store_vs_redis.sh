#!/usr/bin/env bash
# The central store over its Unix socket vs Redis over a Unix socket, GET and SET, 1 and 16
# requests in flight, persistence off and fsync-always. Prints one table of medians.
#
#   bench/store_vs_redis.sh BUILD_DIR [OPS] [REPS] [ALWAYS_OPS]
#
# Defaults: 200000 ops per run, 5 repetitions, and 20000 ops per run in the fsync-always mode
# (a SET waits for an fsync there: 200000 of them one at a time take minutes per run).
#
# Builds nothing: BUILD_DIR (a Release build, for real numbers) must have bin/meganed,
# bin/meganed-launch, bin/megane_store_bench and bin/megane-example-cluster (the config's bot;
# it takes no part in the benchmark). Installs redis-server with apt-get when
# it is missing.
#
# megane side: bin/megane_store_bench, the real SDK (megane::IpcClient + megane::Store) in a
# process that connects as a *control* client (like meganectl). "in flight N" = N coroutines on
# one connection, each awaiting its op before the next (at most N outstanding).
# Redis side: redis-benchmark -c 1 -P N (one connection, N pipelined commands per round trip).
# (megane_store_bench --batch 1 copies -P's shape exactly, N issued then all N awaited; on the
# development VM it measured within run-to-run noise of the sliding window used here.)
# "16 batch" rows: the same 16 in flight as rounds of one megane::StoreBatch each (the SDK's
# pipelining API: one write and one resumption per round), redis-benchmark -P 16 beside it.
# Both: keys key:NNNNNNNNNNNN uniformly over 10000 keys, 16-byte values. Persistence off:
# meganed [store] persistence = false / redis --save '' --appendonly no. Always: meganed
# fsync = "always" / redis --appendonly yes --appendfsync always. HALT_POLL_NS: as in
# bench/commands.sh (bench/haltpoll.sh). Each mode starts a fresh pair of servers, and each
# repetition runs megane and then Redis; GET runs against keys that all exist (both sides
# write them first).
set -euo pipefail

BUILD=${1:?usage: $0 BUILD_DIR [OPS] [REPS] [ALWAYS_OPS]}
OPS_OFF=${2:-200000}
REPS=${3:-5}
OPS_ALWAYS=${4:-20000}
OPS=$OPS_OFF
KEYS=10000
BYTES=16
BIN=$(cd "$BUILD/bin" && pwd)
for b in meganed meganed-launch megane_store_bench megane-example-cluster; do
  [[ -x "$BIN/$b" ]] || { echo "$0: $BIN/$b is missing: build it first" >&2; exit 1; }
done

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "installing redis-server ..." >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends redis-server >/dev/null
fi

TMP=$(mktemp -d /tmp/store-vs-redis-XXXXXX)
MEGANED_PID=""
REDIS_PID=""
stop_servers() {
  local pid
  for pid in "$MEGANED_PID" "$REDIS_PID"; do
    [[ -n $pid ]] || continue
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  MEGANED_PID=""
  REDIS_PID=""
}
source "$(dirname "$0")/haltpoll.sh"
trap 'stop_servers; haltpoll_restore; rm -rf "$TMP"' EXIT
haltpoll_apply

wait_for_socket() {
  for _ in $(seq 200); do [[ -S "$1" ]] && return 0; sleep 0.05; done
  echo "$0: no socket at $1" >&2; exit 1
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Median over the repetitions of megane/redis measured in the same repetition: $1 = megane's
# file (one ops/s per line), $2 = Redis's file ("GET SET" per line), $3 = 1 (GET) or 2 (SET).
paired_ratio() { paste -d' ' "$1" "$2" | awk -v c="$3" '{ print $1 / $(1 + c) }' | median; }

# $1 = off | always
start_meganed() {
  local store
  if [[ $1 == off ]]; then store='persistence = false'; else store="fsync = \"always\"
path = \"$TMP/bench.store\""; fi
  rm -f "$TMP/bench.store" "$TMP/megane.sock"
  cat >"$TMP/bench.toml" <<EOF
name = "store-bench"
[bot]
executable = "$BIN/megane-example-cluster"
[sharding]
shards = 1
clusters = 1
[ipc]
socket = "$TMP/megane.sock"
[store]
$store
EOF
  "$BIN/meganed" --config "$TMP/bench.toml" >"$TMP/meganed.log" 2>&1 &
  MEGANED_PID=$!
  wait_for_socket "$TMP/megane.sock"
}

start_redis() {
  local persistence=(--save '' --appendonly no)
  [[ $1 == always ]] && persistence=(--save '' --appendonly yes --appendfsync always)
  rm -rf "$TMP/redis" "$TMP/redis.sock" && mkdir -p "$TMP/redis"
  redis-server --port 0 --unixsocket "$TMP/redis.sock" --dir "$TMP/redis" "${persistence[@]}" \
    --daemonize no >"$TMP/redis.log" 2>&1 &
  REDIS_PID=$!
  wait_for_socket "$TMP/redis.sock"
}

# megane ops/s: $1 = get|set, $2 = in flight, $3 = 1 for StoreBatch rounds (else coroutines)
megane_run() {
  "$BIN/megane_store_bench" --socket "$TMP/megane.sock" --op "$1" --in-flight "$2" --ops "$OPS" \
    --keys "$KEYS" --value-bytes "$BYTES" --pipeline "${3:-0}" | sed -n 's/.*ops_per_sec=\([0-9.]*\).*/\1/p'
}

# redis ops/s for GET and SET in one run: prints "GET SET"; $1 = pipeline depth
redis_run() {
  redis-benchmark -s "$TMP/redis.sock" -t set,get -n "$OPS" -P "$1" -r "$KEYS" -d "$BYTES" -c 1 --csv |
    tr -d '"' | awk -F, '$1 == "SET" { s = $2 } $1 == "GET" { g = $2 } END { print g, s }'
}

# Both servers of a mode run side by side (each idle while the other is measured), and every
# repetition measures megane and then Redis: a machine that gets slower or faster during the
# run (other work, the host's disk under fsync) moves both alike instead of favouring whoever
# ran in the quieter minutes. As in redis-benchmark -t set,get, SETs come first, so the GETs
# find their keys.
declare -A RESULT
for mode in off always; do
  OPS=$OPS_OFF; [[ $mode == always ]] && OPS=$OPS_ALWAYS
  start_meganed "$mode"
  start_redis "$mode"
  for depth in 1 16; do
    : >"$TMP/m.set.$depth"; : >"$TMP/m.get.$depth"; : >"$TMP/r.$depth"
    : >"$TMP/m.set.$depth.batch"; : >"$TMP/m.get.$depth.batch"
    for _ in $(seq "$REPS"); do
      megane_run set "$depth" >>"$TMP/m.set.$depth"
      megane_run get "$depth" >>"$TMP/m.get.$depth"
      if [[ $depth -gt 1 ]]; then
        megane_run set "$depth" 1 >>"$TMP/m.set.$depth.batch"
        megane_run get "$depth" 1 >>"$TMP/m.get.$depth.batch"
      fi
      redis_run "$depth" >>"$TMP/r.$depth"
    done
    for op in set get; do
      col=1; [[ $op == set ]] && col=2
      RESULT[$mode,$op,$depth,megane]=$(median <"$TMP/m.$op.$depth")
      RESULT[$mode,$op,$depth,paired]=$(paired_ratio "$TMP/m.$op.$depth" "$TMP/r.$depth" "$col")
      echo "megane $mode $op in-flight $depth: $(tr '\n' ' ' <"$TMP/m.$op.$depth")" >&2
      if [[ $depth -gt 1 ]]; then
        RESULT[$mode,$op,$depth batch,megane]=$(median <"$TMP/m.$op.$depth.batch")
        RESULT[$mode,$op,$depth batch,paired]=$(paired_ratio "$TMP/m.$op.$depth.batch" "$TMP/r.$depth" "$col")
        echo "megane $mode $op in-flight $depth batch: $(tr '\n' ' ' <"$TMP/m.$op.$depth.batch")" >&2
      fi
    done
    RESULT[$mode,get,$depth,redis]=$(awk '{ print $1 }' "$TMP/r.$depth" | median)
    RESULT[$mode,set,$depth,redis]=$(awk '{ print $2 }' "$TMP/r.$depth" | median)
    RESULT[$mode,get,$depth batch,redis]=${RESULT[$mode,get,$depth,redis]}
    RESULT[$mode,set,$depth batch,redis]=${RESULT[$mode,set,$depth,redis]}
    echo "redis $mode in-flight $depth (GET SET): $(tr '\n' ' ' <"$TMP/r.$depth")" >&2
  done
  stop_servers
done

echo
echo "store vs redis over Unix sockets: medians of $REPS runs ($OPS_OFF ops each; $OPS_ALWAYS with fsync=always), $KEYS keys, $BYTES-byte values, $(haltpoll_describe)"
# ratio: of the two medians; paired: the median of each repetition's megane/redis, which cancels
# a drift of the machine (the disk's flush time under fsync=always) that hits one repetition.
printf '%-22s %-4s %9s %14s %14s %7s %7s\n' persistence op in-flight "megane ops/s" "redis ops/s" ratio paired
for mode in off always; do
  label="off"; [[ $mode == always ]] && label="fsync=always"
  for op in get set; do
    for depth in 1 16 "16 batch"; do
      m=${RESULT[$mode,$op,$depth,megane]}
      r=${RESULT[$mode,$op,$depth,redis]}
      printf '%-22s %-4s %9s %14.0f %14.0f %7.2f %7.2f\n' "$label" "${op^^}" "$depth" "$m" "$r" \
        "$(awk -v m="$m" -v r="$r" 'BEGIN { print (r > 0 ? m / r : 0) }')" "${RESULT[$mode,$op,$depth,paired]}"
    done
  done
done
