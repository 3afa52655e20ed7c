#!/usr/bin/env bash
# Benchmark: keeping a standby copy of an instance (SIZE MiB of random data, stopped) on a second
# LXD daemon up to date after a 10 MiB change on the source, the two ways backup_rotation could:
# a refresh with lxd_instance_migration (push mode, what the role does) vs a full export with
# lxd_backup (zstd, verified, fsynced) followed by an import of that file on the standby with
# lxd_backup (replace=true). The modules run as Ansible runs them (python3 module args.json),
# both talk to the daemons' unix sockets; each round runs both, in alternating order.
# Usage: bench/replica.sh [SIZE_MIB]   (default 256; needs make venv lxd)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
size=${1:-256}
rounds=3
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-replica.XXXXXX)
instance="bench-rep-$RANDOM"
daemon="bench-rep-$RANDOM"

cleanup() {
  lxc delete --force "$instance" >/dev/null 2>&1 || true
  tests/harness/fabric.sh down "$daemon" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

tests/harness/fabric.sh up "$daemon" >&2
dest_dir=$(tests/harness/fabric.sh env --json "$daemon" | python3 -c 'import json, sys; print(json.load(sys.stdin)["lxd_dir"])')
make -s -o .venv/.installed venv collection COLLECTIONS=$collections >/dev/null
modules="$collections/ansible_collections/lxdkit/lxd/plugins/modules"

run_module() {  # MODULE ARGS_JSON: fails with the module's output when it fails
  echo "{\"ANSIBLE_MODULE_ARGS\": $2}" > "$work/args.json"
  PYTHONPATH=$collections .venv/bin/python "$modules/$1.py" "$work/args.json" > "$work/out.json"
  if grep -q '"failed": true' "$work/out.json"; then cat "$work/out.json" >&2; return 1; fi
}
refresh() {
  run_module lxd_instance_migration "{\"url\": \"unix:$dest_dir/unix.socket\", \"source_url\": \"unix:/var/lib/lxd/unix.socket\",
    \"name\": \"$instance\", \"mode\": \"push\", \"refresh\": true}"
}
export_import() {
  rm -f "$work"/*.tar.zst*
  run_module lxd_backup "{\"instance\": \"$instance\", \"dest\": \"$work/$instance.tar.zst\", \"verify\": true}"
  run_module lxd_backup "{\"url\": \"unix:$dest_dir/unix.socket\", \"state\": \"imported\", \"src\": \"$work/$instance.tar.zst\",
    \"instance\": \"$instance\", \"replace\": true}"
}
changed_data() {  # a new 10 MiB file on the source, as a day of changes
  head -c 10M /dev/urandom > "$work/delta"
  lxc file push -q "$work/delta" "$instance/root/delta-$RANDOM"
  sync
}

lxc init lxdkit-busybox "$instance" -q
head -c $(( size * 1048576 )) /dev/urandom > "$work/big"
lxc file push -q "$work/big" "$instance/root/big"
rm -f "$work/big"
refresh  # untimed: the standby copy made, the source's data in the page cache

declare -A times
methods=("refresh" "export + import")
for round in $(seq 0 $(( rounds - 1 ))); do
  for step in 0 1; do
    method=${methods[$(( (round + step) % 2 ))]}
    changed_data
    case $method in
      refresh) t=$(seconds refresh) ;;
      *) t=$(seconds export_import) ;;
    esac
    [ "$(LXD_DIR=$dest_dir lxc file pull "$instance/root/big" - | wc -c)" -eq $(( size * 1048576 )) ] \
      || { echo "bench: $method left no whole standby copy" >&2; exit 1; }
    times[$method]="${times[$method]:-} $t"
  done
done

# shellcheck disable=SC2086
full=$(median ${times["export + import"]})
printf '| instance data | standby update after 10 MiB changed | seconds, median of %d | / export + import |\n|---|---|---|---|\n' "$rounds"
for method in "refresh" "export + import"; do
  # shellcheck disable=SC2086
  t=$(median ${times[$method]})
  # shellcheck disable=SC2086
  each=$(printf '%.1f/' ${times[$method]})
  printf '| %s MiB | %s | %.1f (%s) | %.2f |\n' "$size" "$method" "$t" "${each%/}" "$(echo "$t / $full" | bc -l)"
done
printf '\nLXD %s, dir pools, second daemon in its own network namespace on this host, %s\n' "$(lxd --version)" "$(date -u +%Y-%m-%d)"
