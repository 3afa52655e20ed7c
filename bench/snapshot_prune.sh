#!/usr/bin/env bash
# Benchmark: delete N snapshots of one instance with lxd_snapshot state=pruned (deletions
# started concurrently, max_parallel at a time), the same module one deletion at a time
# (max_parallel 1), and a shell loop of `lxc delete instance/snapshot`. Same LXD, same run.
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
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N); echo "$end - $start" | bc; }
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

prune_playbook par "$parallel"
prune_playbook seq 1

make_snapshots par; parallel_time=$(seconds module_prune par); parallel_left=$(snapshot_count)
lxc delete "$instance/par-$count"
make_snapshots seq; sequential_time=$(seconds module_prune seq); sequential_left=$(snapshot_count)
lxc delete "$instance/seq-$count"
make_snapshots sh; shell_time=$(seconds shell_prune)

ratio() { echo "$1 / $parallel_time" | bc -l; }
printf '\n%d snapshots of one stopped busybox container, LXD %s (dir pool), %s cores\n\n' "$count" "$(lxd --version)" "$(nproc)"
printf '| method | seconds | vs module |\n|---|---|---|\n'
printf '| lxd_snapshot state=pruned, max_parallel %s | %.1f | 1.00x |\n' "$parallel" "$parallel_time"
printf '| lxd_snapshot state=pruned, max_parallel 1 | %.1f | %.2fx |\n' "$sequential_time" "$(ratio "$sequential_time")"
printf '| shell loop of lxc delete | %.1f | %.2fx |\n' "$shell_time" "$(ratio "$shell_time")"
printf '\n(snapshots left after the module runs: %s and %s, the newest each time; module times include ansible-playbook start)\n' \
  "$parallel_left" "$sequential_left"
