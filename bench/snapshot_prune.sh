#!/usr/bin/env bash
# Benchmark: delete N snapshots of one instance with lxd_snapshot state=pruned (deletions
# started concurrently, max_parallel at a time), the same module one deletion at a time
# (max_parallel 1), a shell loop of `lxc delete instance/snapshot`, and the module's way of
# deleting without Ansible (bench/prune_without_ansible.py, the standard library alone over the
# socket). Same LXD, same run. Each row also gives the CPU seconds the LXD daemon spent
# meanwhile and the share of CPU time the hypervisor stole from this machine.
# Usage: bench/snapshot_prune.sh [N]      (env MAX_PARALLEL, default 8; needs: make venv, lxd)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300}
parallel=${MAX_PARALLEL:-8}
instance="bench-snap-$RANDOM"
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d)
cleanup() { lxc delete --force "$instance" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

make -s venv collection COLLECTIONS=$collections >/dev/null
lxc init lxdkit-busybox "$instance" >/dev/null

make_snapshots() {  # $1 prefix: N snapshots; pruning keeps the newest
  local i
  for i in $(seq 1 "$count"); do lxc snapshot "$instance" "$1-$i"; done
}
lxd_pid=$(pgrep -o -x lxd)
lxd_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$lxd_pid/stat"; }
cpu_jiffies() { awk '/^cpu / {print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }  # steal, all
snapshot_count() { lxc query "/1.0/instances/$instance/snapshots" | grep -c '"/1.0/' || true; }

prune_playbook() {  # $1 match prefix, $2 max_parallel
  cat > "$work/prune-$1.yml" <<YAML
- name: Prune all but the newest
  hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - name: Prune
      lxdkit.lxd.lxd_snapshot: {instance: $instance, state: pruned, match: "$1-*", keep_last: 1, max_parallel: $2}
YAML
}
module_prune() { ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$work/prune-$1.yml"; }
shell_prune() { local i; for i in $(seq 1 $((count - 1))); do lxc delete "$instance/sh-$i"; done; }
bare_prune() { .venv/bin/python bench/prune_without_ansible.py "$instance" "$parallel" $(seq -f 'raw-%g' 1 $((count - 1))); }

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
  lxc delete "$instance/$label-$count"
}
measure par module_prune par
measure seq module_prune seq
measure sh shell_prune
measure raw bare_prune

row() {  # $1 label, $2 the method's name in the table
  printf '| %s | %.1f | %.2fx | %.1f | %s%% |\n' "$2" "${wall[$1]}" "$(echo "${wall[$1]} / ${wall[par]}" | bc -l)" "${daemon_cpu[$1]}" "${steal[$1]}"
}
printf '\n%d snapshots of one stopped busybox container, LXD %s (dir pool), %s cores\n\n' "$count" "$(lxd --version)" "$(nproc)"
printf '| method | seconds | vs module | LXD daemon CPU seconds | CPU steal |\n|---|---|---|---|---|\n'
row par "lxd_snapshot state=pruned, max_parallel $parallel"
row seq "lxd_snapshot state=pruned, max_parallel 1"
row sh "shell loop of lxc delete"
row raw "the same deletions without Ansible (bench/prune_without_ansible.py), $parallel at a time"
printf '\nshell loop / no-Ansible client: %.2fx, the ratio left for the module with the Ansible start and the listing taken away.\n' "$(echo "${wall[sh]} / ${wall[raw]}" | bc -l)"
printf '(snapshots left: %s and %s after the module runs, %s after the no-Ansible run, the newest each time;\n module times include ansible-playbook start)\n' \
  "${left[par]}" "${left[seq]}" "${left[raw]}"
