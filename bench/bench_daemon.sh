# Sourced by the benchmarks that run a real meganed whose benchmark cluster writes its results
# to a file and then exits for good (commands.sh, busy_poll_cost.sh, fetch_bench.sh). Needs
# $bin (meganed's directory) and $timeout_s (seconds one run may take). daemon_launcher, if
# set, is a command meganed runs under (e.g. taskset -c 0; its children inherit the CPU mask).
daemon_pid=
daemon_launcher=()

# daemon_config FILE NAME BUSY_POLL_US SOCKET CPU CLUSTER_ARGS: the benchmark bot, one cluster
# (megane_bench_cluster with CLUSTER_ARGS, a TOML array's inside) pinned to CPU, commanding
# one echo service (megane_bench_service), store in memory.
daemon_config() {
  cat >"$1" <<EOF
name = "$2"
[bot]
executable = "$bin/megane_bench_cluster"
args = [$6]
[[services]]
name = "bench-echo"
executable = "$bin/megane_bench_service"
[sharding]
shards = 1
clusters = 1
cores = [$5]
[ipc]
socket = "$4"
busy_poll_us = $3
[store]
persistence = false
[log]
level = "warn"
EOF
}

# The median of the numbers on stdin, one per line ("nan" if none).
median_of() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2];
                                      else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

daemon_stop() {
  [[ -n $daemon_pid ]] || return 0
  if kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    # meganed stops its children within their stop_timeout; give it that, then force.
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
}

# daemon_run CONFIG OUT LOG: runs meganed on CONFIG until the cluster has renamed its results
# into place at OUT, then stops it; exits the script if meganed dies or the results say error.
daemon_run() {
  local config=$1 out=$2 log=$3 waited=0
  "${daemon_launcher[@]}" "$bin/meganed" --config "$config" >>"$log" 2>&1 &
  daemon_pid=$!
  until [[ -f $out ]]; do
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      echo "meganed exited early; its log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    if ((waited >= timeout_s * 10)); then
      echo "no results after ${timeout_s}s; meganed's log:" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  daemon_stop
  if grep -q '"error"' "$out"; then
    echo "the benchmark cluster failed: $(cat "$out"); meganed's log:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}
