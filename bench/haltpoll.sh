# Sourced by the latency benchmarks (commands.sh, store_vs_redis.sh). On a KVM guest with the
# cpuidle-haltpoll driver, an idle vCPU polls for guest_halt_poll_ns before it halts; a wake-up
# of a halted vCPU is an exit to the host, tens of microseconds, and a round trip between
# processes on different CPUs pays it at every hop. The kernel's default is 200000 ns; some
# VM images set 0. Both sides of every comparison run under the same setting, but the setting
# moves them differently, so the scripts print it and can run under another one:
#
#   HALT_POLL_NS=200000 bench/commands.sh BUILD     (root; restored when the script exits)
haltpoll_file=/sys/module/haltpoll/parameters/guest_halt_poll_ns
haltpoll_driver_file=/sys/devices/system/cpu/cpuidle/current_driver
haltpoll_saved=

# The parameter exists whenever the module is built in, but only the haltpoll cpuidle driver
# reads it: under another driver (or "none", plain HLT) the setting changes nothing.
haltpoll_active() {
  [[ -r $haltpoll_file && $(cat "$haltpoll_driver_file" 2>/dev/null) == haltpoll ]]
}

# Applies HALT_POLL_NS when set (needs root and the haltpoll driver); describes the setting.
haltpoll_apply() {
  if [[ -n ${HALT_POLL_NS:-} ]]; then
    [[ -w $haltpoll_file ]] || { echo "HALT_POLL_NS: $haltpoll_file is not writable here" >&2; return 1; }
    haltpoll_active || {
      echo "HALT_POLL_NS: the cpuidle driver is '$(cat "$haltpoll_driver_file" 2>/dev/null || echo unknown)', not haltpoll: the setting would change nothing" >&2
      return 1
    }
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
  if haltpoll_active; then echo "guest_halt_poll_ns $(cat "$haltpoll_file")"
  else echo "no cpuidle-haltpoll (cpuidle driver: $(cat "$haltpoll_driver_file" 2>/dev/null || echo unknown))"; fi
}
