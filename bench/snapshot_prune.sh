#!/usr/bin/env bash
# Benchmark: delete N snapshots of one instance with lxd_snapshot state=pruned (deletions
# started concurrently) vs a shell loop of `lxc delete instance/snapshot`. Same LXD, same run.
# Usage: bench/snapshot_prune.sh [N]      (needs: make venv lxd)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-300}
instance="bench-snap-$RANDOM"
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d)
cleanup() { lxc delete --force "$instance" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

make -s venv collection COLLECTIONS=$collections >/dev/null
lxc init lxdkit-busybox "$instance" >/dev/null

make_snapshots() {  # $1 prefix: N snapshots plus one newest that pruning keeps
  local i
  for i in $(seq 1 "$count"); do lxc snapshot "$instance" "$1-$i"; done
}
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }

cat > "$work/prune.yml" <<YAML
- hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - name: Prune all but the newest
      lxdkit.lxd.lxd_snapshot: {instance: $instance, state: pruned, match: "mod-*", keep_last: 1, max_parallel: ${MAX_PARALLEL:-8}}
YAML
module_prune() { ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$work/prune.yml"; }
shell_prune() { local i; for i in $(seq 1 $((count - 1))); do lxc delete "$instance/sh-$i"; done; }

make_snapshots mod; module_time=$(seconds module_prune)
left=$(lxc query "/1.0/instances/$instance/snapshots" | grep -c '"/1.0/' || true)
make_snapshots sh; shell_time=$(seconds shell_prune)

printf '\n%d snapshots of one stopped busybox container, LXD %s (dir pool)\n\n' "$count" "$(lxd --version)"
printf '| method | seconds | vs module |\n|---|---|---|\n'
printf '| lxd_snapshot state=pruned (max_parallel %s) | %.1f | 1.00x |\n' "${MAX_PARALLEL:-8}" "$module_time"
printf '| shell loop of lxc delete | %.1f | %.2fx |\n' "$shell_time" "$(echo "$shell_time / $module_time" | bc -l)"
printf '\n(after the module run %s snapshot(s) were left: the newest)\n' "$left"
