#!/usr/bin/env bash
# The lxdkit.lxd.lxd inventory against instances made here, checked against lxc's own view.
set -eux
prefix="lxdkit-$RANDOM$RANDOM"
scratch=$(mktemp -d)
cleanup() {
  for name in "$prefix-a" "$prefix-b" "$prefix-p"; do lxc delete --force "$name" >/dev/null 2>&1 || true; done
  lxc network delete "$prefix-mv" >/dev/null 2>&1 || true
  lxc delete --force "$prefix-p" --project "$prefix-proj" >/dev/null 2>&1 || true
  lxc project delete "$prefix-proj" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

image=${LXD_TEST_IMAGE:-lxdkit-busybox}
# The server under test (tests/harness/on-server.sh): its bridge and that bridge's subnet.
bridge=${LXDKIT_TEST_SERVER:-lxd}br0
subnet=$(lxc network get "$bridge" ipv4.address | sed 's/\.[0-9]*\/24$/.0\/24/')
subnet_prefix=${subnet%.0/24}.
lxc launch "$image" "$prefix-a" -c user.role=web -q
lxc init "$image" "$prefix-b" -q
# A macvlan network on VLAN 666 for the stopped one: nothing is made on the host until an
# instance on it starts, and this one never does.
lxc network create "$prefix-mv" --type=macvlan parent="$bridge" vlan=666
lxc config device add "$prefix-b" eth1 nic network="$prefix-mv" -q
lxc project create "$prefix-proj" -c features.images=false -c features.profiles=false
lxc init "$image" "$prefix-p" --project "$prefix-proj" -q
# Wait for the running one's DHCP address, so the inventory has one to report.
for _ in $(seq 1 30); do lxc list "$prefix-a" --format csv --columns 4 | grep -qF "$subnet_prefix" && break; sleep 1; done

cat > "$scratch/lxd.yml" <<YAML
plugin: lxdkit.lxd.lxd
projects: [default, $prefix-proj]
name_pattern: "^$prefix-"
keyed_groups:
  - key: lxd_user.role | default('none')
    prefix: role
groups:
  stopped_ones: lxd_status == 'Stopped'
compose:
  lxd_first_address: (lxd_addresses.eth0 | default([]) | first) | default('')
YAML
cat > "$scratch/running.lxd.yml" <<YAML
plugin: lxdkit.lxd.lxd
name_pattern: "^$prefix-"
status: [Running]
YAML

# community.general.lxd's options, as a user of it writes them (only the plugin name changed).
for state in RUNNING STOPPED; do
  cat > "$scratch/cg-$state.lxd.yml" <<YAML
plugin: lxdkit.lxd.lxd
state: $state
projects: [default, $prefix-proj]
name_pattern: "^$prefix-"
server_check_hostname: false
groupby:
  pattern_a:
    type: pattern
    attribute: "-a\$"
  containers:
    type: type
    attribute: container
  busybox:
    type: os
    attribute: BusyBox
  lab:
    type: network_range
    attribute: $subnet
  in_proj:
    type: project
    attribute: $prefix-proj
  default_profile:
    type: profile
    attribute: default
  vlan666:
    type: vlanid
    attribute: 666
  clustered:
    type: location
YAML
done
cat > "$scratch/bad.lxd.yml" <<YAML
plugin: lxdkit.lxd.lxd
name_pattern: "^$prefix-"
groupby:
  odd:
    type: colour
    attribute: red
YAML

ANSIBLE_INVENTORY_ENABLED=lxdkit.lxd.lxd ansible-inventory -i "$scratch/lxd.yml" --list > "$scratch/inventory.json"
ANSIBLE_INVENTORY_ENABLED=lxdkit.lxd.lxd ansible-inventory -i "$scratch/running.lxd.yml" --list > "$scratch/running.json"
for state in RUNNING STOPPED; do
  ANSIBLE_INVENTORY_ENABLED=lxdkit.lxd.lxd ansible-inventory -i "$scratch/cg-$state.lxd.yml" --list \
    > "$scratch/cg-$state.json" 2> "$scratch/cg-$state.err"
done
grep -q "server_check_hostname=false does not apply" "$scratch/cg-RUNNING.err"
# A bad groupby fails the inventory source naming the group and what is allowed.
if ANSIBLE_INVENTORY_ENABLED=lxdkit.lxd.lxd ANSIBLE_INVENTORY_UNPARSED_FAILED=1 \
    ansible-inventory -i "$scratch/bad.lxd.yml" --list > /dev/null 2> "$scratch/bad.err"; then
  echo "a groupby of an unknown type was accepted"; exit 1
fi
grep -q "groupby.odd.type is 'colour'; allowed: location, pattern, network_range" "$scratch/bad.err"
lxc list --format json > "$scratch/lxc.json"
# ansible-inventory marks untrusted strings as {"__ansible_unsafe": value}: plain values to compare.
for file in inventory running cg-RUNNING cg-STOPPED; do
  python -c '
import json, sys
def plain(node):
    if isinstance(node, dict):
        return plain(node["__ansible_unsafe"]) if set(node) == {"__ansible_unsafe"} else {k: plain(v) for k, v in node.items()}
    return [plain(item) for item in node] if isinstance(node, list) else node
path = sys.argv[1]
data = plain(json.load(open(path)))
json.dump(data, open(path, "w"))
' "$scratch/$file.json"
done
ansible-playbook -i localhost, -c local check.yml -e "prefix=$prefix scratch=$scratch bridge=$bridge"
