#!/usr/bin/env bash
# Two playbooks rotating the same instance at the same time lose no backup: every backup the
# retention keeps is there, whole, with a matching checksum, in both copies, and restores.
set -eux
instance="lxdkit-$RANDOM$RANDOM-rot"
scratch=$(mktemp -d)
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$scratch/inventory.ini"
cleanup() {
  local name
  for name in "$instance" "$instance-restored"; do lxc delete --force "$name" >/dev/null 2>&1 || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
export ANSIBLE_ROLES_PATH=..

lxc launch lxdkit-busybox "$instance" >/dev/null
lxc exec "$instance" -- sh -c "echo rotation-marker-$RANDOM > /marker"
marker=$(lxc exec "$instance" -- cat /marker)

together() {  # $1 stamp format, $2 keep: two rotations at once; both must succeed
  local first second
  ansible-playbook -i "$scratch/inventory.ini" rotate.yml -e "instance=$instance scratch=$scratch stamp_format=$1 keep=$2" \
    > "$scratch/run-a.log" 2>&1 & first=$!
  ansible-playbook -i "$scratch/inventory.ini" rotate.yml -e "instance=$instance scratch=$scratch stamp_format=$1 keep=$2" \
    > "$scratch/run-b.log" 2>&1 & second=$!
  wait "$first" || { cat "$scratch/run-a.log"; return 1; }
  wait "$second" || { cat "$scratch/run-b.log"; return 1; }
}

check_copy() {  # $1 directory, $2 expected number of backups: all whole, no leftovers
  local dir=$1 expected=$2 found
  found=$(find "$dir" -maxdepth 1 -name "$instance-*.tar.zst" | wc -l)
  [ "$found" -eq "$expected" ] || { ls -la "$dir"; return 1; }
  [ "$(find "$dir" -maxdepth 1 -name "$instance-*.tar.zst.sha256" | wc -l)" -eq "$expected" ]
  [ -z "$(find "$dir" -name '*.lxdkit-tmp')" ]
  (cd "$dir" && for sidecar in "$instance"-*.sha256; do sha256sum --check --quiet "$sidecar"; done)
  for backup in "$dir/$instance"-*.tar.zst; do zstd --test --quiet "$backup"; done
}

# Same stamp in both runs: both try to write the same snapshot and the same backup file.
together '%Y%m%d' 10
check_copy "$scratch/first" 1
check_copy "$scratch/second" 1
cmp "$scratch/first/$instance-$(date -u +%Y%m%d).tar.zst" "$scratch/second/$instance-$(date -u +%Y%m%d).tar.zst"

# Distinct stamps, three rounds of two at once, nothing pruned yet: six more backups.
for _ in 1 2 3; do together '%Y%m%d-%H%M%S-%f' 10; done
check_copy "$scratch/first" 7
check_copy "$scratch/second" 7

# Two prunes at once down to the newest three, each also adding its own new backup: the three
# left are the two new ones and the newest from before, in both copies. Pruning reads each
# file's time from its name in the current stamp format, so the first round's file (another
# format) is left alone: four files in all.
names() { find "$1" -maxdepth 1 -name "$instance-*.tar.zst" -printf '%f\n' | sort; }
names "$scratch/first" > "$scratch/before.list"
# The newest by the time in its name, which pruning goes by (two runs name files in the same second).
newest_before=$(grep -- "-[0-9]\{8\}-[0-9]\{6\}-" "$scratch/before.list" | sort | tail -n 1)
# Another instance's old backup whose name starts with this instance's (web01, web01-old).
other="$instance-old-20200101-000000-000000.tar.zst"
echo not-a-backup > "$scratch/first/$other"
(cd "$scratch/first" && sha256sum "$other" > "$other.sha256")
touch -d 2020-01-01 "$scratch/first/$other"  # by mtime it would be the oldest: the first to go
together '%Y%m%d-%H%M%S-%f' 3
[ -e "$scratch/first/$other" ] && rm "$scratch/first/$other" "$scratch/first/$other.sha256"
check_copy "$scratch/first" 4
check_copy "$scratch/second" 4
[ -e "$scratch/first/$instance-$(date -u +%Y%m%d).tar.zst" ]
names "$scratch/first" > "$scratch/first.list"
names "$scratch/second" > "$scratch/second.list"
diff "$scratch/first.list" "$scratch/second.list"
[ "$(comm -13 "$scratch/before.list" "$scratch/first.list" | wc -l)" -eq 2 ]
grep -qxF "$newest_before" "$scratch/first.list"
[ "$(lxc query "/1.0/instances/$instance/snapshots" | grep -c manual-)" -eq 3 ]

# The newest backup restores with the marker.
newest=$(tail -n 1 "$scratch/first.list")
ansible -i "$scratch/inventory.ini" localhost -m lxdkit.lxd.lxd_backup \
  -a "state=imported src=$scratch/first/$newest instance=$instance-restored"
lxc start "$instance-restored"
[ "$(lxc exec "$instance-restored" -- cat /marker)" = "$marker" ]
# A copy beside its original got its own MAC address (Incus refuses to start a second NIC with
# the original's on the bridge; LXD would run both with one address).
[ "$(lxc config get "$instance-restored" volatile.eth0.hwaddr)" != "$(lxc config get "$instance" volatile.eth0.hwaddr)" ]
