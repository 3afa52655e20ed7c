#!/usr/bin/env bash
# Benchmark: delete N snapshots of one instance with lxd_snapshot state=pruned (deletions
# started concurrently, max_parallel at a time), the same module one deletion at a time
# (max_parallel 1), a shell loop of `lxc delete instance/snapshot`, and the module's way of
# deleting without Ansible (bench/prune_without_ansible.py, the standard library alone over the
# socket). Same LXD, same run. Each row also gives the CPU seconds the LXD daemon spent
# meanwhile and the share of CPU time the hypervisor stole from this machine.
# Usage: bench/snapshot_prune.sh [N]      (env MAX_PARALLEL, default 8; needs: make venv, lxd)
# Env POOL: the storage pool of the instance's root disk (default: the default profile's, the
# pool `default`). POOL naming no existing pool is taken as a driver: a pool of it is made for
# this run and deleted on exit (POOL=btrfs: a btrfs pool on a loop file of POOL_SIZE, 5GiB).
# Env VOLUME=1: prune the snapshots of a custom volume in POOL instead (lxd_snapshot pool/volume
# with name_time_format, since LXD 5.0 records no creation time for volume snapshots, vs a loop
# of `lxc storage volume delete POOL VOLUME/SNAPSHOT`); same columns.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300}
parallel=${MAX_PARALLEL:-8}
pool=${POOL:-default}
volume_mode=${VOLUME:-0}; [ "$volume_mode" = 0 ] && volume_mode=
instance="bench-snap-$RANDOM"
volume="bench-snapvol-$RANDOM"
temp_pool=
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d)
cleanup() {
  trap - EXIT INT TERM HUP
  lxc delete --force "$instance" >/dev/null 2>&1 || true
  if [ -n "$volume_mode" ]; then lxc storage volume delete "$pool" "$volume" >/dev/null 2>&1 || true; fi
  if [ -n "$temp_pool" ]; then
    lxc storage delete "$temp_pool" >/dev/null 2>&1 || echo "bench: storage pool $temp_pool left behind" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

make -s venv collection COLLECTIONS=$collections >/dev/null
if ! lxc storage show "$pool" >/dev/null 2>&1; then
  temp_pool="bench-$pool-$RANDOM"
  case $pool in dir) size=() ;; *) size=("size=${POOL_SIZE:-5GiB}") ;; esac
  lxc storage create "$temp_pool" "$pool" "${size[@]}" >/dev/null
  pool=$temp_pool
fi
driver=$(lxc query "/1.0/storage-pools/$pool" | sed -n 's/^[[:space:]]*"driver": "\([^"]*\)".*/\1/p')
if [ -n "$volume_mode" ]; then
  lxc storage volume create "$pool" "$volume" >/dev/null
  owner="$pool/$volume"  # for bench/prune_without_ansible.py
  snapshots_path="/1.0/storage-pools/$pool/volumes/custom/$volume/snapshots"
else
  # Without POOL the instance gets its root disk from the default profile, as before POOL existed.
  lxc init lxdkit-busybox "$instance" ${POOL:+-s "$pool"} >/dev/null
  owner=$instance
  snapshots_path="/1.0/instances/$instance/snapshots"
fi

names() {  # $1 prefix, $2 first, $3 last: snapshot names, oldest first
  if [ -n "$volume_mode" ]; then  # the time in the name, one second apart, for name_time_format
    seq "$2" "$3" | awk -v p="$1" '{printf "%s-20260101-%02d%02d%02d\n", p, int($1 / 3600), int($1 / 60) % 60, $1 % 60}'
  else
    seq -f "$1-%g" "$2" "$3"
  fi
}
make_snapshots() {  # $1 prefix: N snapshots; pruning keeps the newest
  local name
  for name in $(names "$1" 1 "$count"); do
    if [ -n "$volume_mode" ]; then lxc storage volume snapshot "$pool" "$volume" "$name" >/dev/null; else lxc snapshot "$instance" "$name"; fi
  done
}
delete_snapshot() {  # $1 name
  if [ -n "$volume_mode" ]; then lxc storage volume delete "$pool" "$volume/$1" >/dev/null; else lxc delete "$instance/$1"; fi
}
# The daemon listening on the main socket: fabric daemons (tests/harness/fabric.sh) run the same
# binary, so the oldest "lxd" process need not be the main one.
lxd_pid=$(ss -xlpn | awk '$5 == "/var/lib/lxd/unix.socket" { match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }')
lxd_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$lxd_pid/stat"; }
cpu_jiffies() { awk '/^cpu / {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }  # steal, all
snapshot_count() { lxc query "$snapshots_path" | grep -c '"/1.0/' || true; }

prune_playbook() {  # $1 match prefix, $2 max_parallel
  local target="instance: $instance"
  [ -z "$volume_mode" ] || target="pool: $pool, volume: $volume, name_time_format: \"$1-%Y%m%d-%H%M%S\""
  cat > "$work/prune-$1.yml" <<YAML
- name: Prune all but the newest
  hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - name: Prune
      lxdkit.lxd.lxd_snapshot: {$target, state: pruned, match: "$1-*", keep_last: 1, max_parallel: $2}
YAML
}
module_prune() { ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$work/prune-$1.yml"; }
shell_prune() { local name; for name in $(names sh 1 $((count - 1))); do delete_snapshot "$name"; done; }
# shellcheck disable=SC2046  # one argument per name
bare_prune() { .venv/bin/python bench/prune_without_ansible.py "$owner" "$parallel" $(names raw 1 $((count - 1))); }

prune_playbook par "$parallel"
prune_playbook seq 1

declare -A wall daemon_cpu steal left
measure() {  # $1 label, also the snapshots' prefix; then the command that prunes them
  local label=$1 start cpu steal0 all0 steal1 all1; shift
  make_snapshots "$label"
  cpu=$(lxd_cpu); read -r steal0 all0 < <(cpu_jiffies); start=$(date +%s.%N)
  "$@" >/dev/null
  wall[$label]=$(echo "$(date +%s.%N) - $start" | bc); read -r steal1 all1 < <(cpu_jiffies)
  daemon_cpu[$label]=$(echo "$(lxd_cpu) - $cpu" | bc)
  # Steal: the hypervisor ran someone else on our cores; high steal makes a run's times noise.
  steal[$label]=$(( 100 * (steal1 - steal0) / (all1 - all0 > 0 ? all1 - all0 : 1) ))
  left[$label]=$(snapshot_count)
  delete_snapshot "$(names "$label" "$count" "$count")"
}
measure par module_prune par
measure seq module_prune seq
measure sh shell_prune
measure raw bare_prune

row() {  # $1 label, $2 the method's name in the table
  printf '| %s | %.1f | %.2fx | %.1f | %s%% |\n' "$2" "${wall[$1]}" "$(echo "${wall[$1]} / ${wall[par]}" | bc -l)" "${daemon_cpu[$1]}" "${steal[$1]}"
}
owner_text="one stopped busybox container"
[ -z "$volume_mode" ] || owner_text="one empty custom volume (pruned by the time in their names)"
pool_text="$driver pool"
[ "$pool" = default ] || pool_text="$driver pool $pool"
[ -z "$temp_pool" ] || pool_text="$driver pool made for this run${size[0]:+ on a loop file of ${size[0]#size=}}"
printf '\n%d snapshots of %s, LXD %s (%s), %s cores\n\n' "$count" "$owner_text" "$(lxd --version)" "$pool_text" "$(nproc)"
printf '| method | seconds | vs module | LXD daemon CPU seconds | CPU steal |\n|---|---|---|---|---|\n'
row par "lxd_snapshot state=pruned, max_parallel $parallel"
row seq "lxd_snapshot state=pruned, max_parallel 1"
row sh "shell loop of lxc ${volume_mode:+storage volume }delete"
row raw "the same deletions without Ansible (bench/prune_without_ansible.py), $parallel at a time"
printf '\nshell loop / no-Ansible client: %.2fx, the ratio left for the module with the Ansible start and the listing taken away.\n' "$(echo "${wall[sh]} / ${wall[raw]}" | bc -l)"
printf '(snapshots left: %s and %s after the module runs, %s after the no-Ansible run, the newest each time;\n module times include ansible-playbook start)\n' \
  "${left[par]}" "${left[seq]}" "${left[raw]}"
