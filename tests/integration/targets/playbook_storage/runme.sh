#!/usr/bin/env bash
# playbooks/storage.yml as a newcomer runs it, under names of its own: the first run makes the
# project, the btrfs pool, the volume, the profile and the two containers, and proves the sharing;
# the second changes nothing. Everything it made is removed afterwards.
set -euxo pipefail
prefix="lxdkit-$RANDOM$RANDOM"
project="$prefix-team"
pool="$prefix-pool"
volume="$prefix-shared"
scratch=$(mktemp -d)
cleanup() {
  lxc delete --force "$project-c1" "$project-c2" --project "$project" >/dev/null 2>&1 || true
  lxc profile delete "$volume" --project "$project" >/dev/null 2>&1 || true
  lxc storage volume delete "$pool" "$volume" --project "$project" >/dev/null 2>&1 || true
  lxc project delete "$project" >/dev/null 2>&1 || true
  lxc storage delete "$pool" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# The inventory of playbooks/inventory, on this machine's LXD.
cat > "$scratch/hosts.yml" <<YAML
all:
  children:
    lxd_hosts:
      hosts:
        localhost:
          ansible_connection: local
          ansible_python_interpreter: $(command -v python)
      vars: {lxd_url: "", lxd_client_cert: "", lxd_client_key: "", lxd_server_cert: ""}
YAML
names=(-e "storage_project=$project" -e "storage_pool=$pool" -e "storage_volume=$volume" -e "storage_profile=$volume"
       -e "storage_image=${LXD_TEST_IMAGE:-lxdkit-busybox}")

# The playbook from the installed collection, as ansible-playbook finds it by name.
ansible-playbook -i "$scratch/hosts.yml" lxdkit.lxd.storage "${names[@]}" | tee "$scratch/first.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0' "$scratch/first.log"
grep -qF "$project-c2 read: written by $project-c1 at " "$scratch/first.log"

ansible-playbook -i "$scratch/hosts.yml" lxdkit.lxd.storage "${names[@]}" | tee "$scratch/second.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$scratch/second.log"
# The proof ran again (a new line, written and read) without counting as a change.
grep -qF "$project-c2 read: written by $project-c1 at " "$scratch/second.log"

# What LXD has, seen with lxc.
[ "$(lxc storage get "$pool" size)" = 1GiB ]
lxc storage show "$pool" | grep -qx 'driver: btrfs'
[ "$(lxc project get "$project" features.profiles)" = true ]
[ "$(lxc project get "$project" features.storage.volumes)" = true ]
[ "$(lxc project get "$project" features.images)" = false ]
[ "$(lxc list --project "$project" --format csv --columns ns)" = "$project-c1,RUNNING
$project-c2,RUNNING" ]
lxc storage volume show "$pool" "$volume" --project "$project" | grep -qF -- "- /1.0/profiles/$volume?project=$project"
# Sharing, once more, the other way round and outside Ansible.
lxc exec "$project-c2" --project "$project" -- sh -c "echo back-from-c2-$prefix > /shared/reply"
[ "$(lxc exec "$project-c1" --project "$project" -- cat /shared/reply)" = "back-from-c2-$prefix" ]

# The cleanup leaves nothing behind.
cleanup
trap - EXIT
if lxc project show "$project" >/dev/null 2>&1; then echo "FAIL: project $project left behind"; exit 1; fi
if lxc storage show "$pool" >/dev/null 2>&1; then echo "FAIL: pool $pool left behind"; exit 1; fi
[ ! -e "/var/lib/lxd/disks/$pool.img" ]
echo "playbook_storage: passed"
