#!/usr/bin/env bash
# Benchmark: export an instance holding SIZE MiB of random data with lxd_backup vs `lxc export`,
# same compression side by side, then default vs default (lxc export's gzip vs the module's
# zstd). Reports times, ratios and the module process's peak RSS (GNU time).
# Usage: bench/backup_export.sh [SIZE_MIB ...]   (default: 100 1024; needs make venv lxd, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 1024)
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-backup.XXXXXX)
instance="bench-bk-$RANDOM"
cleanup() { lxc delete --force "$instance" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. bench/lib.sh
need_gnu_time
make -s venv collection COLLECTIONS=$collections >/dev/null
module="$collections/ansible_collections/lxdkit/lxd/plugins/modules/lxd_backup.py"


module_export() {  # $1 dest, $2 compression or "" for the default; prints "seconds peak_kib"
  timed_module "$work" "$collections" "$module" "{\"instance\": \"$instance\", \"dest\": \"$1\"${2:+, \"compression\": \"$2\"}}"
}

printf '| instance data | method | seconds | module / lxc | module peak RSS (MiB) |\n|---|---|---|---|---|\n'
lxc launch lxdkit-busybox "$instance" -q
for size in "${sizes[@]}"; do
  lxc exec "$instance" -- sh -c "rm -f /root/big; dd if=/dev/urandom of=/root/big bs=1048576 count=$size 2>/dev/null; sync"
  rm -f "$work"/*.tar*
  # Same compression: five rounds, the three commands in a rotating order (each one runs first,
  # second and third in turn, so no order effect favours one), each started with nothing dirty
  # in the page cache (a sync before it), medians reported. The module fsyncs its file;
  # `lxc export` does not, so "lxc + sync" also shows lxc with its file made durable.
  module_export "$work/warm.tar.zst" zstd > /dev/null  # untimed: the instance's data in the page cache
  mods=() rsss=() lxcs=() lxc_syncs=()
  run_module() { read -r mod rss < <(module_export "$work/m-zstd.tar.zst" zstd); mods+=("$mod") rsss+=("$rss"); }
  run_lxc() { lxcs+=("$(seconds lxc export "$instance" "$work/l-zstd.tar.zst" --compression zstd)"); rm -f "$work/l-zstd.tar.zst"; }
  run_lxc_sync() {
    lxc_syncs+=("$(seconds sh -c "lxc export $instance $work/l-zstd.tar.zst --compression zstd && sync $work/l-zstd.tar.zst")")
    rm -f "$work/l-zstd.tar.zst"
  }
  rotated 5 "$work" run_module run_lxc run_lxc_sync
  mod_zstd=$(median "${mods[@]}") rss_zstd=$(median "${rsss[@]}") lxc_zstd=$(median "${lxcs[@]}") lxc_zstd_sync=$(median "${lxc_syncs[@]}")
  rm -f "$work"/*.tar* "$work"/*.sha256; sync
  read -r mod_default rss_default < <(module_export "$work/m-default.tar.zst" "")
  lxc_default=$(seconds lxc export "$instance" "$work/l-default.tar.gz")
  rm -f "$work"/*.tar* "$work"/*.sha256
  printf '| %s MiB | same compression (zstd), median of 5 | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_zstd" "$lxc_zstd" \
    "$(echo "$mod_zstd / $lxc_zstd" | bc -l)" "$(echo "$rss_zstd / 1024" | bc -l)"
  printf '| %s MiB | same compression, lxc + sync of its file | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_zstd" "$lxc_zstd_sync" \
    "$(echo "$mod_zstd / $lxc_zstd_sync" | bc -l)" "$(echo "$rss_zstd / 1024" | bc -l)"
  printf '| %s MiB | defaults (module zstd, lxc gzip) | module %.1f, lxc %.1f | %.2f | %.0f |\n' "$size" "$mod_default" "$lxc_default" \
    "$(echo "$mod_default / $lxc_default" | bc -l)" "$(echo "$rss_default / 1024" | bc -l)"
done
printf '\nTargets: same compression module / lxc at most 1.10; defaults at most 0.40 (2.5x faster); peak RSS at most 100 MB and flat.\n'
printf 'LXD %s, dir pool, %s\n' "$(lxd --version)" "$(date -u +%Y-%m-%d)"
