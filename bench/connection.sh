#!/usr/bin/env bash
# Benchmark: N `command: /bin/true` tasks in a Debian container through lxdkit.lxd.lxd (API)
# vs community.general.lxd (the lxc binary), pipelining on, same container, same run.
# Usage: bench/connection.sh [N]   (needs make venv lxd; downloads the `ansible` package once)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-50}
full_venv=${BENCH_ANSIBLE_VENV:-/tmp/lxdkit-bench-ansible}
collections=/tmp/lxdkit-bench-collections
instance="bench-conn-$RANDOM"
work=$(mktemp -d)
cleanup() { lxc delete --force "$instance" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
make -s venv collection COLLECTIONS=$collections >/dev/null
if [ ! -x "$full_venv/bin/ansible-playbook" ]; then
  python3 -m venv "$full_venv" && "$full_venv/bin/pip" install -q ansible pylxd >/dev/null
fi
lxc launch lxdkit-debian "$instance" -q
lxc exec "$instance" -- systemctl is-system-running --wait >/dev/null || true

cat > "$work/play.yml" <<YAML
- hosts: all
  gather_facts: false
  vars: {ansible_python_interpreter: /usr/bin/python3}
  tasks:
    - name: true
      ansible.builtin.command: /bin/true
      loop: "{{ range($count) | list }}"
YAML
# shellcheck source=bench/lib.sh
. bench/lib.sh
ours() { ANSIBLE_PIPELINING=1 ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i "$instance," -c lxdkit.lxd.lxd "$work/play.yml"; }
theirs() { ANSIBLE_PIPELINING=1 "$full_venv/bin/ansible-playbook" -i "$instance," -c community.general.lxd "$work/play.yml"; }
ours >/dev/null 2>&1; theirs >/dev/null 2>&1  # warm both (interpreter discovery, caches)
ours_time=$(seconds ours); theirs_time=$(seconds theirs)
printf '\n%d command tasks, pipelining on, LXD %s\n\n| connection | seconds | vs lxdkit |\n|---|---|---|\n' "$count" "$(lxd --version)"
printf '| lxdkit.lxd.lxd (API) | %.1f | 1.00x |\n' "$ours_time"
printf '| community.general.lxd (lxc binary) | %.1f | %.2fx |\n' "$theirs_time" "$(echo "$theirs_time / $ours_time" | bc -l)"
