#!/usr/bin/env bash
# Every benchmark in one run, on this machine's LXD: prints one report (markdown) with the date,
# the LXD and ansible-core versions, and each benchmark's table of times and ratios, ready to
# paste into bench/RESULTS.md. Progress goes to stderr; a failing benchmark stops the run.
# Usage: bench/run-all.sh   (or make bench; needs make venv lxd incus; downloads `ansible` once, ~580 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
benchmarks=(
  "Profiles|bench/profiles.sh 50"
  "Snapshot pruning|bench/snapshot_prune.sh 300"
  "Snapshot pruning, btrfs loop pool|env POOL=btrfs bench/snapshot_prune.sh 300"
  "Volume snapshot pruning|env VOLUME=1 bench/snapshot_prune.sh 300"
  "Backup export|bench/backup_export.sh 100 1024"
  "Volume export|bench/volume_export.sh 100 1024"
  "Connection plugin|bench/connection.sh 50"
  "Instance migration|bench/migration.sh 1024"
  "Site playbook|bench/site.sh"
  "Cluster: form, evacuate and restore|bench/cluster.sh 1"
  # 150, not 300: making 4 x N snapshots is most of its time (300 took 7 min on a busy 2-core machine)
  "Incus beside LXD: snapshot pruning|bench/incus.sh prune 150"
  "Incus beside LXD: backup export|bench/incus.sh export 1024"
)
report=$(mktemp)
trap 'rm -f "$report" "$report.out" "$report.err"' EXIT
make -s venv >/dev/null
{
  printf '# Benchmarks, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'LXD %s, Incus %s, %s, Python %s, %s cores, %s\n' "$(lxd --version)" "$(incus version | sed -n 's/^Server version: //p')" \
    "$(.venv/bin/ansible --version | head -n 1 | tr -d '[]')" "$(.venv/bin/python -c 'import platform; print(platform.python_version())')" \
    "$(nproc)" "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
} > "$report"
for entry in "${benchmarks[@]}"; do
  title=${entry%%|*} command=${entry#*|}
  echo "bench: $title ($command)" >&2
  start=$(date +%s)
  if ! $command > "$report.out" 2> "$report.err"; then
    echo "bench: $title failed:" >&2; tail -n 20 "$report.err" >&2; exit 1
  fi
  # lxc's progress bars (lines redrawn with carriage returns) stay out of the report.
  output=$(grep -v $'\r' "$report.out" | cat -s)
  grep -q '^|' <<< "$output" || { echo "bench: $title printed no table" >&2; exit 1; }
  printf '\n## %s — %s (%d s)\n\n%s\n' "$title" "\`$command\`" "$(( $(date +%s) - start ))" "$output" >> "$report"
done
cat "$report"
