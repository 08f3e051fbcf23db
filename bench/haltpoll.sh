# Sourced by the latency benchmarks (commands.sh, store_vs_redis.sh). On a KVM guest with the
# cpuidle-haltpoll driver, an idle vCPU polls for guest_halt_poll_ns before it halts; a wake-up
# of a halted vCPU is an exit to the host, tens of microseconds, and a round trip between
# processes on different CPUs pays it at every hop. The kernel's default is 200000 ns; some
# VM images set 0. Both sides of every comparison run under the same setting, but the setting
# moves them differently, so the scripts print it and can run under another one:
#
#   HALT_POLL_NS=200000 bench/commands.sh BUILD     (root; restored when the script exits)
haltpoll_file=/sys/module/haltpoll/parameters/guest_halt_poll_ns
haltpoll_saved=

# Applies HALT_POLL_NS when set (needs root and the haltpoll driver); describes the setting.
haltpoll_apply() {
  if [[ -n ${HALT_POLL_NS:-} ]]; then
    [[ -w $haltpoll_file ]] || { echo "HALT_POLL_NS: $haltpoll_file is not writable here" >&2; return 1; }
    haltpoll_saved=$(cat "$haltpoll_file")
    echo "$HALT_POLL_NS" >"$haltpoll_file"
  fi
  return 0
}
haltpoll_restore() {
  if [[ -n $haltpoll_saved ]]; then echo "$haltpoll_saved" >"$haltpoll_file" 2>/dev/null || true; fi
  haltpoll_saved=
}
haltpoll_describe() {
  if [[ -r $haltpoll_file ]]; then echo "guest_halt_poll_ns $(cat "$haltpoll_file")"
  else echo "no cpuidle-haltpoll"; fi
}
