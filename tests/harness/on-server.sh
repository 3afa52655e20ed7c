#!/usr/bin/env bash
# on-server.sh "SERVERS" COMMAND...: run COMMAND (ansible-test integration ..., from the
# collection's build copy) once per server of SERVERS ("lxd", "incus" or "lxd incus"), with the
# integration targets talking to that server. The one switch behind `make integration SERVERS=...`.
#
# Two servers run as two lanes at the same time: the targets mostly wait on the daemons, and one
# lane after the other would not fit make test's time (README, "What runs where"). The incus
# lane's output goes to a log printed when both are done; each lane's result and time are said
# at the end, and the exit status is non-zero when either failed. The targets keep the lanes
# apart: random name prefixes, random free subnets and ports, nothing fixed on the host.
#
# lxd: COMMAND as it is, in the build copy.
# incus (Incus 6.0 of tests/harness/prepare-incus.sh), in a copy of the build copy made for this
# run (never the source tree, never the build copy the other make goals use; removed at the end):
#   - every target gets the ansible-test aliases env/set/LXD_URL/unix:/var/lib/incus/unix.socket and
#     env/set/LXDKIT_TEST_SERVER/incus (ansible-test passes targets no other environment): the
#     modules, the connection and the inventory plugin then reach Incus, and a target can tell
#     which server it tests (setup_test_server);
#   - a directory first in PATH whose `lxc` runs `incus` (the targets cross-check with the CLI),
#     with LXD's few commands that Incus spells otherwise translated (snapshots of instances and
#     volumes, trust add); with LXD_DIR set (a fabric daemon: an Incus one in this lane,
#     tests/harness/fabric.sh) it runs incus with INCUS_DIR, or the real lxc for an LXD one;
#   - targets marked lxd_only in their aliases (each says why) are left out.
set -euo pipefail

servers=${1:?usage: on-server.sh "lxd|incus|lxd incus" COMMAND...}
shift
[ $# -gt 0 ] || { echo "on-server.sh: give the command to run" >&2; exit 2; }
for server in $servers; do
  case "$server" in
    lxd|incus) ;;
    *) echo "on-server.sh: SERVERS must be lxd, incus or both (got '$server')" >&2; exit 2 ;;
  esac
done
[ -d tests/integration/targets ] || { echo "on-server.sh: run from the collection's build copy" >&2; exit 2; }

incus_socket=/var/lib/incus/unix.socket
workdir=$(mktemp -d /tmp/lxdkit-lanes.XXXXXX)
lane_pids=()
# A lane still running when this script stops (interrupted) is stopped with all it started.
trap '[ ${#lane_pids[@]} -eq 0 ] || kill -- "${lane_pids[@]/#/-}" 2>/dev/null; rm -rf "$workdir"' EXIT
trap 'exit 130' INT TERM

lane_lxd() {
  "$@"
}

lane_incus() {
  if ! incus query /1.0 >/dev/null 2>&1; then
    echo "on-server.sh: Incus does not answer at $incus_socket: run make incus first" >&2
    return 1
  fi
  local namespace_dir copy shim real_lxc aliases
  namespace_dir=$(dirname "$PWD")
  copy="$workdir/incus/ansible_collections/$(basename "$namespace_dir")/$(basename "$PWD")"
  mkdir -p "$(dirname "$copy")"
  cp -a . "$copy"
  for aliases in "$copy"/tests/integration/targets/*/aliases; do
    grep -qx 'env/set/LXDKIT_TEST_SERVER/incus' "$aliases" ||
      printf 'env/set/LXD_URL/unix:%s\nenv/set/LXDKIT_TEST_SERVER/incus\n' "$incus_socket" >> "$aliases"
  done
  shim="$workdir/incus/bin"
  mkdir -p "$shim"
  real_lxc=$(command -v lxc)
  cat > "$shim/lxc" <<SHIM
#!/usr/bin/env bash
# lxc for the targets, answered by incus (tests/harness/on-server.sh).
# LXD_DIR names a fabric daemon (tests/harness/fabric.sh): lxc for an LXD one, incus for an Incus one.
if [ -n "\${LXD_DIR:-}" ]; then
  [ "\$(cat "\$LXD_DIR/../kind" 2>/dev/null)" = incus ] || exec "$real_lxc" "\$@"
  export INCUS_DIR=\$LXD_DIR
  unset LXD_DIR
fi
case "\${1:-}" in
  snapshot) shift; exec incus snapshot create "\$@" ;;
  restore) shift; exec incus snapshot restore "\$@" ;;
  delete) case "\${2:-}" in */*) exec incus snapshot delete "\${2%%/*}" "\${2#*/}" ;; esac ;;
esac
if [ "\${1:-}" = storage ] && [ "\${2:-}" = volume ]; then
  case "\${3:-}" in
    snapshot) shift 3; exec incus storage volume snapshot create "\$@" ;;
    restore) shift 3; exec incus storage volume snapshot restore "\$@" ;;
  esac
fi
if [ "\${1:-}" = config ] && [ "\${2:-}" = trust ] && [ "\${3:-}" = add ] && [ -f "\${4:-}" ]; then
  shift 3; exec incus config trust add-certificate "\$@"
fi
# LXD 5.0 names a token with --name; Incus takes the name as an argument.
if [ "\${1:-}" = config ] && [ "\${2:-}" = trust ] && [ "\${3:-}" = add ] && [ "\${4:-}" = --name ]; then
  name=\$5; shift 5; exec incus config trust add "\$name" "\$@"
fi
exec incus "\$@"
SHIM
  chmod +x "$shim/lxc"
  (cd "$copy" && PATH="$shim:$PATH" "$@" --exclude lxd_only/)
}

run_lane() {  # run_lane SERVER COMMAND...
  local server=$1
  shift
  case "$server" in
    lxd) lane_lxd "$@" ;;
    incus) lane_incus "$@" ;;
  esac
}

report() {  # report SERVER STATUS SECONDS
  if [ "$2" -eq 0 ]; then
    echo "on-server.sh: the $1 lane passed in $3 s"
  else
    echo "on-server.sh: the $1 lane FAILED (exit $2) after $3 s" >&2
  fi
}

read -r -a wanted <<< "$servers"
if [ "${#wanted[@]}" -eq 1 ]; then
  start=$SECONDS
  status=0
  run_lane "${wanted[0]}" "$@" || status=$?
  report "${wanted[0]}" "$status" $((SECONDS - start))
  exit "$status"
fi

# The first server runs in the foreground, the others in the background with their own logs.
declare -A lane_pid lane_log
for server in "${wanted[@]:1}"; do
  lane_log[$server]="$workdir/$server.log"
  echo "on-server.sh: the $server lane runs beside; its output follows when it is done"
  set -m
  ( start=$SECONDS; status=0; run_lane "$server" "$@" > "${lane_log[$server]}" 2>&1 || status=$?
    echo "$status $((SECONDS - start))" > "$workdir/$server.status" ) &
  set +m
  lane_pid[$server]=$!
  lane_pids+=("$!")
done
start=$SECONDS
first_status=0
run_lane "${wanted[0]}" "$@" || first_status=$?
first_time=$((SECONDS - start))

failed=$first_status
for server in "${wanted[@]:1}"; do
  wait "${lane_pid[$server]}" || true
  echo "===== the $server lane's output ====="
  cat "${lane_log[$server]}"
done
lane_pids=()
report "${wanted[0]}" "$first_status" "$first_time"
for server in "${wanted[@]:1}"; do
  read -r status seconds < "$workdir/$server.status" || { status=1; seconds=0; }
  report "$server" "$status" "$seconds"
  [ "$status" -eq 0 ] || failed=$status
done
exit "$failed"
