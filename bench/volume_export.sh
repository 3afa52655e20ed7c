#!/usr/bin/env bash
# Benchmark: export a custom storage volume holding SIZE MiB of random data (incompressible,
# written from /dev/urandom by a container the volume is attached to) with lxd_backup
# (pool + volume) vs `lxc storage volume export`, same compression (zstd) side by side, then
# default vs default (lxc's gzip vs the module's zstd). Reports medians, ratios and the module
# process's peak RSS (GNU time), as bench/backup_export.sh does for instances.
# Usage: bench/volume_export.sh [SIZE_MIB ...]   (default: 100 1024; env POOL, an existing
# storage pool, default `default`; needs make venv lxd, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 1024)
pool=${POOL:-default}
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-volume.XXXXXX)
volume="bench-vol-$RANDOM"
filler="bench-volfill-$RANDOM"
cleanup() {
  trap - EXIT INT TERM HUP
  lxc delete --force "$filler" >/dev/null 2>&1 || true
  # An export still running on the server (the script killed during one) holds the volume for
  # a moment: try again for up to 30 s. Deleting the volume deletes its backups with it.
  local try
  for try in $(seq 1 30); do
    lxc storage volume show "$pool" "$volume" >/dev/null 2>&1 || break
    lxc storage volume delete "$pool" "$volume" >/dev/null 2>&1 && break
    [ "$try" -lt 30 ] && sleep 1
  done
  lxc storage volume show "$pool" "$volume" >/dev/null 2>&1 && echo "bench: volume $pool/$volume left behind" >&2
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
# shellcheck source=bench/lib.sh
. bench/lib.sh
need_gnu_time
make -s venv collection COLLECTIONS=$collections >/dev/null
module="$collections/ansible_collections/lxdkit/lxd/plugins/modules/lxd_backup.py"


module_export() {  # $1 dest, $2 compression or "" for the default; prints "seconds peak_kib"
  timed_module "$work" "$collections" "$module" "{\"pool\": \"$pool\", \"volume\": \"$volume\", \"dest\": \"$1\"${2:+, \"compression\": \"$2\"}}"
}
lxc_export() {  # $1 dest, then lxc's flags
  local dest=$1; shift
  lxc storage volume export "$pool" "$volume" "$dest" "$@"
}

printf '| volume data | method | seconds | module / lxc | module peak RSS (MiB) |\n|---|---|---|---|---|\n'
lxc storage volume create "$pool" "$volume" >/dev/null
lxc init lxdkit-busybox "$filler" -q >/dev/null
lxc storage volume attach "$pool" "$volume" "$filler" /mnt/data >/dev/null
for size in "${sizes[@]}"; do
  # The data goes in through the container; the container is stopped again before anything is
  # timed, so the volume is quiet during the exports.
  lxc start -q "$filler" >/dev/null
  lxc exec "$filler" -- sh -c "rm -f /mnt/data/big; dd if=/dev/urandom of=/mnt/data/big bs=1048576 count=$size 2>/dev/null; sync"
  lxc stop -q --force "$filler" >/dev/null
  rm -f "$work"/*.tar*
  # Same compression: five rounds, the three commands in a rotating order (each one runs first,
  # second and third in turn), each started with nothing dirty in the page cache (a sync before
  # it), medians reported. The module fsyncs its file; lxc does not, so "lxc + sync" also shows
  # lxc with its file made durable.
  module_export "$work/warm.tar.zst" zstd > /dev/null  # untimed: the volume's data in the page cache
  mods=() rsss=() lxcs=() lxc_syncs=()
  run_module() { read -r mod rss < <(module_export "$work/m-zstd.tar.zst" zstd); mods+=("$mod") rsss+=("$rss"); }
  run_lxc() { lxcs+=("$(seconds lxc_export "$work/l-zstd.tar.zst" --compression zstd)"); rm -f "$work/l-zstd.tar.zst"; }
  run_lxc_sync() {
    lxc_syncs+=("$(seconds sh -c "lxc storage volume export $pool $volume $work/l-zstd.tar.zst --compression zstd && sync $work/l-zstd.tar.zst")")
    rm -f "$work/l-zstd.tar.zst"
  }
  rotated 5 "$work" run_module run_lxc run_lxc_sync
  mod_zstd=$(median "${mods[@]}") rss_zstd=$(median "${rsss[@]}") lxc_zstd=$(median "${lxcs[@]}") lxc_zstd_sync=$(median "${lxc_syncs[@]}")
  rm -f "$work"/*.tar* "$work"/*.sha256; sync
  read -r mod_default rss_default < <(module_export "$work/m-default.tar.zst" "")
  rm -f "$work"/*.tar* "$work"/*.sha256; sync
  lxc_default=$(seconds lxc_export "$work/l-default.tar.gz")
  rm -f "$work"/*.tar* "$work"/*.sha256
  printf '| %s MiB | same compression (zstd), median of 5 | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_zstd" "$lxc_zstd" \
    "$(echo "$mod_zstd / $lxc_zstd" | bc -l)" "$(echo "$rss_zstd / 1024" | bc -l)"
  printf '| %s MiB | same compression, lxc + sync of its file | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_zstd" "$lxc_zstd_sync" \
    "$(echo "$mod_zstd / $lxc_zstd_sync" | bc -l)" "$(echo "$rss_zstd / 1024" | bc -l)"
  printf '| %s MiB | defaults (module zstd, lxc gzip) | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_default" "$lxc_default" \
    "$(echo "$mod_default / $lxc_default" | bc -l)" "$(echo "$rss_default / 1024" | bc -l)"
done
left=$(lxc query "/1.0/storage-pools/$pool/volumes/custom/$volume/backups" | grep -c '"/1.0/' || true)
printf '\nTargets: same compression module / lxc at most 1.10; peak RSS at most 100 MB and flat.\n'
driver=$(lxc query "/1.0/storage-pools/$pool" | sed -n 's/^[[:space:]]*"driver": "\([^"]*\)".*/\1/p')
printf 'LXD %s, custom volume on pool %s (%s), %s; backups left on the server: %s\n' "$(lxd --version)" "$pool" "$driver" \
  "$(date -u +%Y-%m-%d)" "$left"
