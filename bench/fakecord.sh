# Sourced by the benchmark scripts that need a fakecord (docs/fakecord.md):
#
#   start_fakecord BIN_DIR DIR [fakecord flags...]
#
# writes the benchmark's token to DIR/token (mode 0600), starts BIN_DIR/fakecord with it in the
# background (its log appended to DIR/fakecord.log), waits for the line with its ports and sets
# fakecord_pid, gateway_port, api_port and control_port. Returns 1 (after showing fakecord's
# log) when no ports line comes within 10 s. The caller stops fakecord_pid.
start_fakecord() {
  local bin=$1 dir=$2 ports
  shift 2
  printf '%s' bench-token >"$dir/token"
  chmod 600 "$dir/token"
  "$bin/fakecord" --token-file "$dir/token" --log-level warn "$@" >"$dir/ports" 2>>"$dir/fakecord.log" &
  fakecord_pid=$!
  for _ in $(seq 200); do [[ -s $dir/ports ]] && break; sleep 0.05; done
  if [[ ! -s $dir/ports ]]; then
    echo "fakecord did not start; its log:" >&2
    tail -n 20 "$dir/fakecord.log" >&2
    return 1
  fi
  ports=$(head -n1 "$dir/ports")
  gateway_port=$(sed -E 's/.*"gateway_port":([0-9]+).*/\1/' <<<"$ports")
  api_port=$(sed -E 's/.*"api_port":([0-9]+).*/\1/' <<<"$ports")
  control_port=$(sed -E 's/.*"control_port":([0-9]+).*/\1/' <<<"$ports")
}
