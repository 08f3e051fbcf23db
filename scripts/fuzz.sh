#!/usr/bin/env bash
# Runs one libFuzzer target for a while, building the clang-14 fuzz tree (build-fuzz) first if
# needed. New interesting inputs go to build-fuzz/corpus/TARGET (a scratch corpus, seeded
# from fuzz/corpus/TARGET); crashes are written to build-fuzz/findings/TARGET/.
#   scripts/fuzz.sh TARGET SECONDS [extra libFuzzer flags]
#   scripts/fuzz.sh list                      the targets
# One in-process job (no -jobs/-workers: they fork workers that log to files); the machines are
# shared. To keep a finding, copy it into fuzz/corpus/TARGET/finding-WHAT (the replay test then
# runs it forever); to fold the scratch corpus back into the kept one, minimised:
# scripts/fuzz.sh --merge TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
TARGETS=$(sed -n 's/^set(MEGANE_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/CMakeLists.txt)

usage() { echo "usage: $0 TARGET SECONDS [libFuzzer flags] | $0 --merge TARGET | $0 list (targets: $TARGETS)" >&2; exit 64; }
[ $# -ge 1 ] || usage
if [ "$1" = list ]; then echo "$TARGETS"; exit 0; fi

build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DMEGANE_FUZZ=ON -DMEGANE_BUILD_TESTS=OFF \
      -DMEGANE_BUILD_BENCH=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j 2 --target "megane-fuzz-$1"
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

if [ "$1" = --merge ]; then
  [ $# -eq 2 ] || usage
  t=$2
  build "$t"
  # Keeps the named inputs (seed-*, finding-*) as they are, then adds the fewest inputs of the
  # kept and scratch corpora that cover more edges (-use_counters=0: hit counts do not count,
  # which keeps the set to a few hundred files).
  merged=$(mktemp -d)
  find "fuzz/corpus/$t" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'finding-*' \) -exec cp {} "$merged/" \;
  "$BUILD_DIR/bin/megane-fuzz-$t" -merge=1 -use_counters=0 "$merged" "fuzz/corpus/$t" "$BUILD_DIR/corpus/$t"
  rm -rf "fuzz/corpus/$t"
  mv "$merged" "fuzz/corpus/$t"
  chmod 755 "fuzz/corpus/$t"
  echo "fuzz/corpus/$t: $(ls "fuzz/corpus/$t" | wc -l) inputs"
  exit 0
fi

[ $# -ge 2 ] || usage
t=$1; secs=$2; shift 2
echo " $TARGETS " | grep -q " $t " || usage
build "$t"
mkdir -p "$BUILD_DIR/corpus/$t" "$BUILD_DIR/findings/$t"
dict=()
[ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
# Per-target defaults; flags given on the command line come later and win.
defaults=()
case $t in
  # Inputs up to 16 KiB: a READY and a few of fakecord's GUILD_CREATEs. libFuzzer's guess
  # (the largest seed, 23 KB) lets mutations grow to sizes that only make each run slower.
  gateway_events) defaults=(-max_len=16384) ;;
esac
exec "$BUILD_DIR/bin/megane-fuzz-$t" "$BUILD_DIR/corpus/$t" "fuzz/corpus/$t" "${dict[@]}" "${defaults[@]}" \
  -max_total_time="$secs" -print_final_stats=1 \
  -artifact_prefix="$BUILD_DIR/findings/$t/" "$@"
