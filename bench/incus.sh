#!/usr/bin/env bash
# Benchmark: the collection against Incus, with the same figures for LXD beside them in the same
# run (both daemons of this machine: LXD's /var/lib/lxd/unix.socket, Incus's
# /var/lib/incus/unix.socket; the modules get url: unix:SOCKET).
#   prune [N]        N snapshots of one stopped busybox container pruned to the newest with
#                    lxd_snapshot state=pruned (max_parallel 8, one ansible-playbook run) vs a
#                    shell loop of the server's CLI (`lxc delete INSTANCE/SNAP`, `incus snapshot
#                    delete INSTANCE SNAP`), each deletion of the loop timed on its own: the mean of
#                    the first 20 (N snapshots left) against the last 20 (20 left) shows whether a
#                    deletion's cost grows with the snapshot count. The loop's first deletion is
#                    also watched on disk: the instance's backup.yaml (mtime, the snapshots it
#                    lists) before and after. Each row gives the daemon's CPU seconds meanwhile.
#   export [SIZE]    an export of a running busybox container holding SIZE MiB of random data
#                    (default 1024) with lxd_backup vs `lxc export` / `incus export`, zstd both,
#                    three rounds, the four commands in a rotating order, medians.
# Usage: bench/incus.sh prune [N] | export [SIZE_MIB]   (N default 300; needs make venv, lxd,
# make incus, the busybox image in both: tests/harness/prepare-lxd.sh, prepare-incus.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
part=${1:-}
parallel=8
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-incus.XXXXXX)
instance="bench-inc-$RANDOM"
servers=(lxd incus)
declare -A socket=([lxd]=/var/lib/lxd/unix.socket [incus]=/var/lib/incus/unix.socket)
declare -A title=([lxd]="LXD $(lxd --version)" [incus]="Incus $(incus version | sed -n 's/^Server version: //p')")
declare -A delete_command=([lxd]="\`lxc delete\`" [incus]="\`incus snapshot delete\`")
cli() {  # SERVER ARGS...: the server's own client on its default socket
  case $1 in
    lxd) shift; env -u LXD_DIR lxc "$@" ;;
    incus) shift; env -u INCUS_DIR incus "$@" ;;
  esac
}
cleanup() {
  trap - EXIT INT TERM HUP
  local server
  for server in "${servers[@]}"; do cli "$server" delete --force "$instance" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

case $part in
  prune) count=${2:-300} ;;
  export) size=${2:-1024} ;;
  *) echo "usage: bench/incus.sh prune [N] | export [SIZE_MIB]" >&2; exit 2 ;;
esac
need_gnu_time
make -s -o .venv/.installed venv collection COLLECTIONS=$collections >/dev/null
for server in "${servers[@]}"; do
  [ -S "${socket[$server]}" ] || { echo "bench: no $server socket at ${socket[$server]} (make incus / make lxd)" >&2; exit 1; }
done

daemon_pid() {  # SERVER: the PID listening on its socket (fabric daemons run the same binary)
  ss -xlpn | awk -v s="${socket[$1]}" '$5 == s { match($0, /pid=[0-9]+/); print substr($0, RSTART + 4, RLENGTH - 4); exit }'
}
daemon_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

declare -A wall cpu left first last yaml
backup_yaml() {  # SERVER: the instance's backup.yaml, on its root disk's pool
  local pool root
  pool=$(cli "$1" query "/1.0/instances/$instance" | python3 -c 'import json, sys; print(json.load(sys.stdin)["expanded_devices"]["root"]["pool"])')
  root=$(dirname "${socket[$1]}")
  echo "$root/storage-pools/$pool/containers/$instance/backup.yaml"
}
yaml_state() {  # FILE: "MTIME SNAPSHOTS_LISTED SIZE"
  .venv/bin/python -c 'import os, sys, yaml
path = sys.argv[1]
with open(path) as handle:
  snapshots = (yaml.safe_load(handle) or {}).get("snapshots") or []
print("%.3f %d %d" % (os.stat(path).st_mtime, len(snapshots), os.stat(path).st_size))' "$1"
}
make_set() {  # SERVER PREFIX: N snapshots
  # shellcheck disable=SC2046  # one argument per name
  .venv/bin/python bench/make_snapshots.py "${socket[$1]}" "$instance" $(seq -f "$2-%g" 1 "$count")
}
module_prune() {  # SERVER PREFIX
  cat > "$work/prune.yml" <<YAML
- name: Prune all but the newest
  hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
    - name: Prune
      lxdkit.lxd.lxd_snapshot: {url: "unix:${socket[$1]}", instance: $instance, state: pruned, match: "$2-*", keep_last: 1, max_parallel: $parallel}
YAML
  ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$work/prune.yml" > "$work/prune.log" \
    || { tail -n 30 "$work/prune.log" >&2; return 1; }
}
cli_delete() {  # SERVER SNAPSHOT
  case $1 in
    lxd) cli lxd delete "$instance/$2" ;;
    incus) cli incus snapshot delete "$instance" "$2" ;;
  esac
}
loop_prune() {  # SERVER PREFIX: each deletion's seconds into $work/each
  local i start end file before after first_start
  file=$(backup_yaml "$1")
  : > "$work/each"
  for i in $(seq 1 $(( count - 1 ))); do
    [ "$i" -gt 1 ] || before=$(yaml_state "$file")
    start=$(date +%s.%N); cli_delete "$1" "$2-$i"; end=$(date +%s.%N)
    [ "$i" -gt 1 ] || first_start=$start
    [ "$i" -gt 1 ] || after=$(yaml_state "$file")
    echo "$end - $start" | bc >> "$work/each"
  done
  echo "$before|$after|$first_start" > "$work/yaml"
}
snapshot_count() { cli "$1" query "/1.0/instances/$instance/snapshots" | grep -c '"/1.0/' || true; }

prune_part() {
  local server label prefix pid c0 start
  for server in "${servers[@]}"; do cli "$server" init lxdkit-busybox "$instance" -q; done
  for label in module loop; do
    for server in "${servers[@]}"; do
      echo "bench: $server, $label, $count snapshots" >&2
      prefix="$label"
      make_set "$server" "$prefix"
      pid=$(daemon_pid "$server"); c0=$(daemon_cpu "$pid"); start=$(date +%s.%N)
      "${label}_prune" "$server" "$prefix"
      wall[$server-$label]=$(echo "$(date +%s.%N) - $start" | bc)
      cpu[$server-$label]=$(echo "$(daemon_cpu "$pid") - $c0" | bc)
      left[$server-$label]=$(snapshot_count "$server")
      if [ "$label" = loop ]; then
        first[$server]=$(head -n 20 "$work/each" | awk '{s += $1} END {printf "%.0f", 1000 * s / NR}')
        last[$server]=$(tail -n 20 "$work/each" | awk '{s += $1} END {printf "%.0f", 1000 * s / NR}')
        yaml[$server]=$(cat "$work/yaml")
      fi
      cli_delete "$server" "$prefix-$count"
    done
  done

  printf '| server | method | seconds | loop / module | daemon CPU seconds | snapshots left |\n|---|---|---|---|---|---|\n'
  for server in "${servers[@]}"; do
    printf '| %s | lxd_snapshot state=pruned, max_parallel %d | %.1f | %s | %.1f | %s |\n' "${title[$server]}" "$parallel" \
      "${wall[$server-module]}" "$(ratio "${wall[$server-loop]}" "${wall[$server-module]}")" "${cpu[$server-module]}" "${left[$server-module]}"
    printf '| %s | shell loop of %s | %.1f | | %.1f | %s |\n' "${title[$server]}" \
      "${delete_command[$server]}" \
      "${wall[$server-loop]}" "${cpu[$server-loop]}" "${left[$server-loop]}"
  done
  printf '\nIncus / LXD: module %s, loop %s.\n\n' "$(ratio "${wall[incus-module]}" "${wall[lxd-module]}")" \
    "$(ratio "${wall[incus-loop]}" "${wall[lxd-loop]}")"
  printf '| server | loop: ms per deletion, first 20 (%d to %d snapshots) | last 20 (21 to 2 snapshots) | growth | backup.yaml at the first deletion: mtime, snapshots listed, bytes |\n|---|---|---|---|---|\n' "$count" "$(( count - 19 ))"
  local b a t
  for server in "${servers[@]}"; do
    IFS='|' read -r b a t <<< "${yaml[$server]}"
    read -r _ bn bs <<< "$b"; read -r am an as <<< "$a"
    printf '| %s | %s | %s | %sx | %s: %d -> %d snapshots, %d -> %d bytes |\n' "${title[$server]}" "${first[$server]}" "${last[$server]}" \
      "$(ratio "${first[$server]}" "${last[$server]}")" \
      "$(if [ "$(echo "$am >= $t - 0.01" | bc)" = 1 ]; then echo 'rewritten by the deletion'; else echo 'not rewritten'; fi)" \
      "$bn" "$an" "$bs" "$as"
  done
  printf '\n%d snapshots of one stopped busybox container, dir pools, %s cores, %s\n' "$count" "$(nproc)" "$(date -u +%Y-%m-%d)"
}

declare -A mods rsss clis med
module_export() {  # SERVER DEST: "seconds peak_kib"
  timed_module "$work" "$collections" "$collections/ansible_collections/lxdkit/lxd/plugins/modules/lxd_backup.py" \
    "{\"url\": \"unix:${socket[$1]}\", \"instance\": \"$instance\", \"dest\": \"$2\", \"compression\": \"zstd\"}"
}
run_module_lxd() { local t r; read -r t r < <(module_export lxd "$work/m.tar.zst"); mods[lxd]+=" $t"; rsss[lxd]+=" $r"; }
run_module_incus() { local t r; read -r t r < <(module_export incus "$work/m.tar.zst"); mods[incus]+=" $t"; rsss[incus]+=" $r"; }
cli_export() {  # SERVER
  clis[$1]+=" $(seconds cli "$1" export "$instance" "$work/c.tar.zst" --compression zstd)"
  [ -s "$work/c.tar.zst" ] || { echo "bench: $1 export wrote no file" >&2; return 1; }
}
run_cli_lxd() { cli_export lxd; }
run_cli_incus() { cli_export incus; }

export_part() {
  local server
  for server in "${servers[@]}"; do
    echo "bench: $server, a container with $size MiB" >&2
    cli "$server" launch lxdkit-busybox "$instance" -q
    cli "$server" exec "$instance" -- sh -c "dd if=/dev/urandom of=/root/big bs=1048576 count=$size 2>/dev/null; sync"
    module_export "$server" "$work/warm.tar.zst" > /dev/null  # untimed: its data in the page cache
  done
  echo "bench: three rounds of four exports" >&2
  rotated 3 "$work" run_module_lxd run_cli_incus run_module_incus run_cli_lxd

  printf '| server | lxd_backup (s) | CLI export (s) | module / CLI | module peak RSS (MiB) |\n|---|---|---|---|---|\n'
  local -a m c r
  for server in "${servers[@]}"; do
    read -r -a m <<< "${mods[$server]}"; read -r -a c <<< "${clis[$server]}"; read -r -a r <<< "${rsss[$server]}"
    med[$server]=$(median "${m[@]}") med[$server-cli]=$(median "${c[@]}")
    printf '| %s | %.1f (%s) | %.1f (%s) | %s | %.0f |\n' "${title[$server]}" "${med[$server]}" "$(printf '%.1f/' "${m[@]}" | sed 's:/$::')" \
      "${med[$server-cli]}" "$(printf '%.1f/' "${c[@]}" | sed 's:/$::')" "$(ratio "${med[$server]}" "${med[$server-cli]}")" \
      "$(echo "$(median "${r[@]}") / 1024" | bc -l)"
  done
  printf '\nIncus / LXD: module %s, CLI %s. A running busybox container holding %d MiB of random data, zstd both,\n' \
    "$(ratio "${med[incus]}" "${med[lxd]}")" "$(ratio "${med[incus-cli]}" "${med[lxd-cli]}")" "$size"
  printf 'medians of 3 rounds (each round: module LXD, incus export, module Incus, lxc export, rotated), dir pools, %s cores, %s\n' \
    "$(nproc)" "$(date -u +%Y-%m-%d)"
}

case $part in
  prune) prune_part ;;
  export) export_part ;;
esac
