#!/usr/bin/env bash
# Benchmark: copy an instance holding SIZE MiB of random data (stopped, no snapshots) from this
# machine's LXD to a second LXD daemon with lxd_instance_migration vs `lxc copy`, in push mode
# (the main daemon sends) and relay mode (the client carries the data); then a refresh after
# SIZE/100 MiB changed on the source vs a full copy, module vs `lxc copy --refresh`. The module
# runs as Ansible runs it (python3 module args.json), both talk to the daemons' unix sockets;
# the data goes from daemon to daemon over TLS in push mode, through the client in relay mode.
# Usage: bench/migration.sh [SIZE_MIB]   (default 1024; needs make venv lxd)
#   The second daemon: tests/harness/fabric.sh up bench-mig-N (stopped at the end), or the running
#   one whose LXD_DIR is in BENCH_DEST_LXD_DIR (it must listen on an address the main daemon reaches).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
size=${1:-1024}
rounds=3
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-migration.XXXXXX)
instance="bench-mig-$RANDOM"
daemon=""
dest_dir=${BENCH_DEST_LXD_DIR:-}
export LXD_CONF="$work/lxcconf"  # lxc's remotes of this run, apart from root's

cleanup() {
  lxc delete --force "$instance" >/dev/null 2>&1 || true
  if [ -n "$dest_dir" ]; then
    for name in $(LXD_DIR=$dest_dir lxc list --format csv --columns n 2>/dev/null | grep "^$instance" || true); do
      LXD_DIR=$dest_dir lxc delete --force "$name" >/dev/null 2>&1 || true
    done
  fi
  [ -z "$daemon" ] || tests/harness/fabric.sh down "$daemon" >&2 || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "$dest_dir" ]; then
  daemon="bench-mig-$RANDOM"
  tests/harness/fabric.sh up "$daemon" >&2
  dest_dir=$(tests/harness/fabric.sh env --json "$daemon" | python3 -c 'import json, sys; print(json.load(sys.stdin)["lxd_dir"])')
fi
make -s venv collection COLLECTIONS=$collections >/dev/null
module="$collections/ansible_collections/lxdkit/lxd/plugins/modules/lxd_instance_migration.py"
lxc remote add benchdest "unix://$dest_dir/unix.socket" >/dev/null 2>&1

drop_copy() { LXD_DIR=$dest_dir lxc delete --force "$instance-copy" >/dev/null 2>&1 || true; sync; }

module_copy() {  # MODE REFRESH: the module copies $instance to $instance-copy
  printf '{"ANSIBLE_MODULE_ARGS": {"url": "unix:%s/unix.socket", "source_url": "unix:/var/lib/lxd/unix.socket", "name": "%s-copy", "source_name": "%s", "mode": "%s", "refresh": %s}}\n' \
    "$dest_dir" "$instance" "$instance" "$1" "$2" > "$work/args.json"
  PYTHONPATH=$collections .venv/bin/python "$module" "$work/args.json" > "$work/out.json"
  if grep -q '"failed": true' "$work/out.json"; then cat "$work/out.json" >&2; return 1; fi
}
lxc_copy() {  # MODE [--refresh]
  lxc copy "local:$instance" "benchdest:$instance-copy" --mode="$1" ${2:+"$2"} -q
}
changed_data() {  # a new SIZE/100 MiB file on the source, as a day of changes
  head -c $(( size * 1048576 / 100 )) /dev/urandom > "$work/delta"
  lxc file push -q "$work/delta" "$instance/root/delta-$RANDOM"
}

lxc init lxdkit-busybox "$instance" -q
head -c $(( size * 1048576 )) /dev/urandom > "$work/big"
lxc file push -q "$work/big" "$instance/root/big"
rm -f "$work/big"
module_copy push false; drop_copy  # untimed: the source's data in the page cache

# Full copies: each method once per round, in a rotating order, the copy deleted (untimed) before each.
declare -A times
methods=("module push" "lxc push" "module relay" "lxc relay")
for round in $(seq 0 $(( rounds - 1 ))); do
  for step in 0 1 2 3; do
    method=${methods[$(( (round + step) % 4 ))]}
    drop_copy
    case $method in
      "module push") t=$(seconds module_copy push false) ;;
      "lxc push") t=$(seconds lxc_copy push) ;;
      "module relay") t=$(seconds module_copy relay false) ;;
      "lxc relay") t=$(seconds lxc_copy relay) ;;
    esac
    LXD_DIR=$dest_dir lxc info "$instance-copy" >/dev/null || { echo "bench: $method made no copy" >&2; exit 1; }
    times[$method]="${times[$method]:-} $t"
  done
done
# Refreshes: the copy exists; SIZE/100 MiB change on the source before each, push mode.
drop_copy
module_copy push false
for round in $(seq 0 $(( rounds - 1 ))); do
  for method in "module refresh" "lxc refresh"; do
    [ $(( round % 2 )) -eq 0 ] || method=$([ "$method" = "module refresh" ] && echo "lxc refresh" || echo "module refresh")
    changed_data
    sync
    case $method in
      "module refresh") t=$(seconds module_copy push true) ;;
      "lxc refresh") t=$(seconds lxc_copy push --refresh) ;;
    esac
    times[$method]="${times[$method]:-} $t"
  done
done

# shellcheck disable=SC2086
lxc_push=$(median ${times["lxc push"]})
printf '| instance data | method | seconds, median of %d | / lxc copy --mode=push |\n|---|---|---|---|\n' "$rounds"
for method in "module push" "lxc push" "module relay" "lxc relay" "module refresh" "lxc refresh"; do
  # shellcheck disable=SC2086
  t=$(median ${times[$method]})
  # shellcheck disable=SC2086
  each=$(printf '%.1f/' ${times[$method]})
  label=$method
  case $method in
    *refresh) label="$method ($(( size / 100 )) MiB changed)" ;;
  esac
  printf '| %s MiB | %s | %.1f (%s) | %.2f |\n' "$size" "$label" "$t" "${each%/}" "$(echo "$t / $lxc_push" | bc -l)"
done
printf '\nTargets: module push / lxc push at most 1.10; a refresh of 1%% changed at most a third of a full copy.\n'
printf 'LXD %s, dir pools, second daemon in its own network namespace on this host, %s\n' "$(lxd --version)" "$(date -u +%Y-%m-%d)"
