#!/usr/bin/env bash
# Fault: the LXD daemon stops in the middle of a task. The task fails with a clear message
# (no traceback), leaves nothing half-written, and a rerun after the restart converges.
# Only the daemon the test harness started is stopped (found by its exact command line).
set -eux
prefix="lxdkit-$RANDOM$RANDOM"
scratch=$(mktemp -d)
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$scratch/inventory.ini"
harness_daemon="lxd --group root --logfile ${LXD_LOG:-/var/log/lxd.log}"

daemon_pid() { pgrep -xf "$harness_daemon" || true; }
start_daemon() {
  lxc query /1.0 >/dev/null 2>&1 && return 0
  # From /, as the harness does: the daemon's working directory must outlive this test's.
  # shellcheck disable=SC2086
  (cd / && exec setsid $harness_daemon) >/dev/null 2>&1 < /dev/null &
  lxd waitready --timeout 120
}
cleanup() {
  start_daemon
  local name
  for name in "$prefix-big" "$prefix-snaps"; do lxc delete --force "$name" >/dev/null 2>&1 || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

if [ -z "$(daemon_pid)" ]; then
  echo "no LXD daemon started by tests/harness/prepare-lxd.sh ('$harness_daemon'): not stopping another one" >&2
  exit 1
fi

stop_daemon_when() {  # $1: a shell condition; kills the daemon (a crash; instances keep running) once it holds
  local i
  for i in $(seq 1 600); do
    if eval "$1"; then
      kill -KILL "$(daemon_pid)"
      while [ -n "$(daemon_pid)" ]; do sleep 0.1; done
      return 0
    fi
    sleep 0.05
  done
  echo "condition never held: $1" >&2
  return 1
}

crash_during() {  # $1 log name, $2 condition, $3 expected text, then the playbook and its arguments
  local log="$scratch/$1.log" condition=$2 expected=$3 pid status=0
  shift 3
  ansible-playbook -i "$scratch/inventory.ini" "$@" > "$log" 2>&1 & pid=$!
  stop_daemon_when "$condition"
  wait "$pid" || status=$?
  cat "$log"
  [ "$status" -ne 0 ]                 # the task failed,
  grep -q "$expected" "$log"          # saying why,
  if grep -q "Traceback" "$log"; then exit 1; fi   # without a traceback
}

# 1. Export of a 200 MiB instance: the daemon stops while the backup is built or downloaded.
lxc launch lxdkit-busybox "$prefix-big" >/dev/null
lxc exec "$prefix-big" -- sh -c 'head -c 209715200 /dev/urandom > /data.bin && sync'
lxc exec "$prefix-big" -- sh -c 'echo daemon-restart-marker > /marker'
crash_during export "lxc query /1.0/instances/$prefix-big/backups 2>/dev/null | grep -q lxdkit-" "LXD" \
  export.yml -e "instance=$prefix-big dest=$scratch/big.tar.zst"
[ ! -e "$scratch/big.tar.zst" ] && [ ! -e "$scratch/big.tar.zst.sha256" ]
[ -z "$(find "$scratch" -name '*.lxdkit-tmp')" ]

# While the daemon is down every module says so and changes nothing.
ansible-playbook -i "$scratch/inventory.ini" down.yml -e "prefix=$prefix"

start_daemon
ansible-playbook -i "$scratch/inventory.ini" export.yml -e "instance=$prefix-big dest=$scratch/big.tar.zst" -e check_rerun=true -v
(cd "$scratch" && sha256sum --check big.tar.zst.sha256)
# The interrupted run's server-side backup was cleaned by the rerun (same machine, process gone).
[ "$(lxc query "/1.0/instances/$prefix-big/backups" | grep -c lxdkit- || true)" -eq 0 ]

# 1b. The same export, the daemon killed while the module downloads (its temp file exists).
mkdir "$scratch/mid"
crash_during export-mid "[ -n \"\$(find $scratch/mid -name '*.lxdkit-tmp' -size +1k)\" ]" "lost the connection to LXD" \
  export.yml -e "instance=$prefix-big dest=$scratch/mid/big.tar.zst"
[ "$(find "$scratch/mid" -mindepth 1 ! -name .lxdkit.lock | wc -l)" -eq 0 ]
start_daemon
ansible-playbook -i "$scratch/inventory.ini" export.yml -e "instance=$prefix-big dest=$scratch/mid/big.tar.zst" -e check_rerun=true -v
(cd "$scratch/mid" && sha256sum --check big.tar.zst.sha256)
[ "$(lxc query "/1.0/instances/$prefix-big/backups" | grep -c lxdkit- || true)" -eq 0 ]
# The container kept running through both crashes and still has its data.
[ "$(lxc exec "$prefix-big" -- cat /marker)" = daemon-restart-marker ]
lxc delete --force "$prefix-big"

# 2. Pruning 200 snapshots: the daemon stops part way; the rerun deletes the rest.
lxc init lxdkit-busybox "$prefix-snaps" >/dev/null
for i in $(seq 1 200); do lxc snapshot "$prefix-snaps" "snap-$i"; done
crash_during prune "[ \$(lxc query /1.0/instances/$prefix-snaps/snapshots 2>/dev/null | grep -c snap- || echo 200) -lt 190 ]" "LXD" \
  prune.yml -e "instance=$prefix-snaps"
start_daemon
ansible-playbook -i "$scratch/inventory.ini" prune.yml -e "instance=$prefix-snaps" -e check_rerun=true -v
[ "$(lxc query "/1.0/instances/$prefix-snaps/snapshots" | grep -c snap-)" -eq 1 ]
lxc query "/1.0/instances/$prefix-snaps/snapshots" | grep -q "snap-200"
