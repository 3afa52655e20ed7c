#!/usr/bin/env bash
# Benchmark: create N profiles, then rerun (no-op), with lxdkit.lxd.lxd_profile,
# community.general.lxd_profile (from the `ansible` PyPI package, in its own venv) and a
# shell loop of lxc commands. Same LXD, same run. Prints a table with ratios.
# Usage: bench/profiles.sh [N]     (needs: make venv lxd; downloads `ansible` once, ~580 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-50}
prefix="bench-$RANDOM"
full_venv=${BENCH_ANSIBLE_VENV:-/tmp/lxdkit-bench-ansible}
work=$(mktemp -d)
cleanup() {
  local name
  for name in $(lxc profile list -f csv | cut -d, -f1 | grep "^$prefix-" || true); do
    lxc profile delete "$name" >/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

collections=/tmp/lxdkit-bench-collections
make -s venv collection COLLECTIONS=$collections >/dev/null
if [ ! -x "$full_venv/bin/ansible-playbook" ]; then
  echo "installing the ansible package (community.general) into $full_venv" >&2
  python3 -m venv "$full_venv" && "$full_venv/bin/pip" install -q ansible pylxd >/dev/null
fi

playbook() {  # $1 module FQCN, $2 name prefix
  cat > "$work/$2.yml" <<YAML
- hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - name: Profiles
      $1:
        name: "$2-{{ item }}"
        config: {limits.cpu: "2", limits.memory: 2GB}
        devices:
          http: {type: proxy, listen: "tcp:127.0.0.1:18080", connect: "tcp:127.0.0.1:80"}
      loop: "{{ range($count) | list }}"
YAML
  echo "$work/$2.yml"
}

# shellcheck source=bench/lib.sh
. bench/lib.sh

ours=$(playbook lxdkit.lxd.lxd_profile "$prefix-ours")
theirs=$(playbook community.general.lxd_profile "$prefix-cg")
run_ours() { ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$ours"; }
run_theirs() { "$full_venv/bin/ansible-playbook" -i localhost, "$theirs"; }
shell_create() {
  for i in $(seq 0 $((count - 1))); do
    lxc profile create "$prefix-sh-$i"
    lxc profile set "$prefix-sh-$i" limits.cpu=2 limits.memory=2GB
    lxc profile device add "$prefix-sh-$i" http proxy listen=tcp:127.0.0.1:18080 connect=tcp:127.0.0.1:80
  done
}
shell_check() { for i in $(seq 0 $((count - 1))); do lxc profile show "$prefix-sh-$i"; done; }

ours_create=$(seconds run_ours); ours_noop=$(seconds run_ours)
cg_create=$(seconds run_theirs); cg_noop=$(seconds run_theirs)
sh_create=$(seconds shell_create); sh_noop=$(seconds shell_check)

printf '\n%d profiles, LXD %s, %s\n\n' "$count" "$(lxd --version)" "$(.venv/bin/ansible --version | head -n1)"
printf '| tool | create (s) | no-op rerun (s) | create vs lxdkit | rerun vs lxdkit |\n|---|---|---|---|---|\n'
row() {  # name create noop
  printf '| %s | %.1f | %.1f | %.2fx | %.2fx |\n' "$1" "$2" "$3" "$(echo "$2 / $ours_create" | bc -l)" "$(echo "$3 / $ours_noop" | bc -l)"
}
row lxdkit.lxd.lxd_profile "$ours_create" "$ours_noop"
row community.general.lxd_profile "$cg_create" "$cg_noop"
row "shell loop of lxc (rerun: lxc profile show)" "$sh_create" "$sh_noop"
