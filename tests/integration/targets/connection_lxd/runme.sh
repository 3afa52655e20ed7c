#!/usr/bin/env bash
# The lxdkit.lxd.lxd connection against a Debian container, with and without pipelining.
set -eux
prefix="lxdkit-$RANDOM$RANDOM"
export ANSIBLE_ROLES_PATH=..
cleanup() { lxc delete --force "$prefix-c" >/dev/null 2>&1 || true; rm -rf "$scratch"; }
scratch=$(mktemp -d)
trap cleanup EXIT

cat > "$scratch/inventory.ini" <<INI
[controller]
localhost ansible_connection=local ansible_python_interpreter=$(command -v python)

[containers]
$prefix-c ansible_connection=lxdkit.lxd.lxd ansible_python_interpreter=/usr/bin/python3
INI

ansible-playbook -i "$scratch/inventory.ini" setup.yml -e "container=$prefix-c"
ANSIBLE_PIPELINING=1 ansible-playbook -i "$scratch/inventory.ini" tasks.yml -e "scratch=$scratch pipelining=true"
ANSIBLE_PIPELINING=0 ansible-playbook -i "$scratch/inventory.ini" tasks.yml -e "scratch=$scratch pipelining=false"
ansible-playbook -i "$scratch/inventory.ini" stopped.yml -e "container=$prefix-c"
