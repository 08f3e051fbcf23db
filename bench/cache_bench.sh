#!/usr/bin/env bash
# The SDK cache's memory per guild and CPU to cache a shard's GUILD_CREATEs (zlib-stream),
# next to the issue's targets and the figures it quotes for Eris and discord.js.
#
#   bench/cache_bench.sh BUILD_DIR [REPS]     (a Release build)
#
# One fakecord (GUILDS x MEMBERS x CHANNELS x ROLES, default 2500 x 100 x 40 x 25) serves every
# round. Each round runs megane_cache_bench with the cache on (the gateway builds the DOM and
# the cache reads it, as in ClusterWorker) and off (the gateway alone: inflate + DOM parse),
# alternating so a noisy machine slows both alike. The table shows medians.
set -euo pipefail

build=${1:?usage: bench/cache_bench.sh BUILD_DIR [REPS]}
reps=${2:-3}
guilds=${GUILDS:-2500}
members=${MEMBERS:-100}
channels=${CHANNELS:-40}
roles=${ROLES:-25}
bin=$(cd "$build/bin" 2>/dev/null && pwd) || { echo "no $build/bin: build first" >&2; exit 2; }
for exe in fakecord megane_cache_bench; do
  [[ -x $bin/$exe ]] || { echo "missing $bin/$exe: ninja -C $build $exe" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/megane-cache.XXXXXX")
fakecord_pid=
cleanup() {
  [[ -n $fakecord_pid ]] && kill "$fakecord_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

source "$(dirname "$0")/fakecord.sh"
start_fakecord "$bin" "$tmp" --guilds "$guilds" --members-per-guild "$members" \
  --channels-per-guild "$channels" --roles-per-guild "$roles" --max-guilds-per-shard "$guilds" \
  --identify-window-ms 0 || exit 1
gateway=$gateway_port

run() {  # run NAME ARGS...: one round, result line appended to $tmp/NAME
  local name=$1
  shift
  "$bin/megane_cache_bench" --gateway "ws://127.0.0.1:$gateway" --token-file "$tmp/token" --guilds "$guilds" "$@" \
    >>"$tmp/$name" 2>"$tmp/$name.err" || { echo "$name failed:" >&2; cat "$tmp/$name.err" >&2; exit 1; }
}
for round in $(seq "$reps"); do
  run on --cache on
  run off --cache off
  echo "round $round done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" "$2" | median; }
on_cpu=$(field cpu_s "$tmp/on")
off_cpu=$(field cpu_s "$tmp/off")
on_bpg=$(field bytes_per_guild "$tmp/on")
off_bpg=$(field bytes_per_guild "$tmp/off")
echo
echo "Caching $guilds guilds x $members members x $channels channels x $roles roles (1 shard, zlib-stream), median of $reps"
printf '%-40s %14s %12s\n' "" "bytes/guild" "CPU s"
printf '%-40s %14.0f %12.3f\n' "megane, cache on (members all)" "$on_bpg" "$on_cpu"
printf '%-40s %14.0f %12.3f\n' "megane, cache off (gateway only)" "$off_bpg" "$off_cpu"
awk -v a="$on_bpg" -v b="$off_bpg" -v c="$on_cpu" -v d="$off_cpu" \
  'BEGIN {printf "%-40s %14.0f %12.3f\n", "the cache itself (on - off)", a - b, c - d}'
printf '%-40s %14s %12s\n' "target (issue 5)" "<= 16384" "<= 0.650"
printf '%-40s %14s %12s\n' "Eris (issue 5's figures)" "~136000" "~3.4"
printf '%-40s %14s %12s\n' "discord.js (issue 5's figures)" "~169000" "-"
echo
echo "last cache-on run: $(tail -n1 "$tmp/on")"
