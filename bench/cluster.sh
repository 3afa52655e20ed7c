#!/usr/bin/env bash
# Benchmark: an LXD cluster of three fabric daemons (tests/harness/fabric.sh: the first made as
# usual, the other two --bare), made fresh for every method and torn down after it:
#   (a) forming it: lxd_cluster (enable on the first) + twice (lxd_cluster_member token +
#       lxd_cluster join), as the tasks of one ansible-playbook run, vs the lxc way: `lxc cluster
#       enable`, then twice `lxc cluster add` and a join with `lxd init --preseed`;
#   (b) with CONTAINERS busybox containers running on the third member (cluster.evacuate=migrate),
#       evacuating and then restoring that member: lxd_cluster_member state=evacuated / restored
#       (one ansible-playbook run each) vs `lxc cluster evacuate / restore --force`; both checked
#       (every container running elsewhere, then back on the member).
# Each round runs both methods, each on a cluster of its own, the order alternating between
# rounds (env FIRST=lxc: lxc first in the first round; default module). Also reported: a one-task no-op ansible-playbook run, Ansible's own start on this machine.
# Usage: bench/cluster.sh [ROUNDS]   (default 1; env CONTAINERS, default 5; needs make venv, lxd,
# the busybox image in the main LXD: tests/harness/prepare-lxd.sh; run as root)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
rounds=${1:-1}
count=${CONTAINERS:-5}
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d /var/tmp/lxdkit-bench-cluster.XXXXXX)
fabric=tests/harness/fabric.sh
daemons=()  # the three fabric names of the cluster in use

teardown() {  # all three at once: a member's shutdown waits for its peers
  [ ${#daemons[@]} -eq 0 ] || "$fabric" down "${daemons[@]}" >&2 || echo "bench: fabric daemons ${daemons[*]} left behind" >&2
  daemons=()
}
cleanup() { trap - EXIT INT TERM HUP; teardown; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

make -s -o .venv/.installed venv collection COLLECTIONS=$collections >/dev/null
env -u LXD_DIR lxc image export lxdkit-busybox "$work/busybox" -q >/dev/null
image=$(ls "$work"/busybox.tar.*)

fabric_value() {  # NAME KEY: one value of fabric.sh env --json NAME
  "$fabric" env --json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
new_daemons() {  # three daemons, the first ready to form a cluster, the others bare (untimed)
  local id=$RANDOM$RANDOM
  daemons=("bench-cl-$id-1" "bench-cl-$id-2" "bench-cl-$id-3")
  "$fabric" up "${daemons[0]}" >&2
  "$fabric" up --bare "${daemons[1]}" "${daemons[2]}" >&2
  dirs=() addresses=()
  local name
  for name in "${daemons[@]}"; do
    dirs+=("$(fabric_value "$name" lxd_dir)")
    addresses+=("$(fabric_value "$name" address)")
  done
}
cl() { LXD_DIR=${dirs[0]} lxc "$@"; }  # lxc on the first member

playbook() {  # NAME, then the tasks (YAML, indented by 4): writes $work/NAME.yml
  local name=$1; shift
  cat > "$work/$name.yml" <<YAML
- name: $name
  hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  tasks:
$*
YAML
}
run_playbook() { ANSIBLE_COLLECTIONS_PATH=$collections .venv/bin/ansible-playbook -i localhost, "$work/$1.yml"; }

form_module() {
  local tasks="" i
  tasks+="    - lxdkit.lxd.lxd_cluster: {url: 'unix:${dirs[0]}/unix.socket', server_name: m1}"$'\n'
  for i in 2 3; do
    tasks+="    - lxdkit.lxd.lxd_cluster_member: {url: 'unix:${dirs[0]}/unix.socket', name: m$i}"$'\n'
    tasks+="      register: token$i"$'\n'
    tasks+="    - lxdkit.lxd.lxd_cluster: {url: 'unix:${dirs[i-1]}/unix.socket', server_name: m$i, join_token: '{{ token$i.join_token }}'}"$'\n'
  done
  playbook form "$tasks"
  run_playbook form
}
form_lxc() {
  local i token
  cl cluster enable m1
  for i in 2 3; do
    token=$(cl cluster add "m$i" --quiet)
    printf 'cluster:\n  enabled: true\n  server_name: m%s\n  server_address: %s:8443\n  cluster_token: %s\n' \
      "$i" "${addresses[i-1]}" "$token" | LXD_DIR=${dirs[i-1]} lxd init --preseed
  done
}
evacuate_module() { run_playbook evacuate; }
restore_module() { run_playbook restore; }
evacuate_lxc() { cl cluster evacuate m3 --force; }
restore_lxc() { cl cluster restore m3 --force; }

members_online() { [ "$(cl cluster list --format csv | grep -c ',ONLINE,')" -eq 3 ]; }
timed() {  # a command's wall-clock seconds; its output is kept and shown when it fails
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/step.log" 2>&1 || { echo "bench: $* failed:" >&2; tail -n 30 "$work/step.log" >&2; return 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
check() {  # WHAT PATTERN: fails the run unless all the containers are RUNNING on members matching it
  local got
  got=$(cl list bench-c- --format csv -c sL | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ')
  [ "$(cl list bench-c- --format csv -c sL | grep -c "^RUNNING,$2\$")" -eq "$count" ] \
    || { echo "bench: after $1 the containers are: $got" >&2; exit 1; }
}

declare -A times
run_method() {  # module | lxc: a fresh cluster, formed, loaded, evacuated and restored
  local method=$1 i t status
  new_daemons
  export BENCH_SOCKET=${dirs[0]}/unix.socket  # for the evacuate and restore playbooks
  t=$(timed "form_$method"); times[form_$method]+=" $t"
  members_online || { echo "bench: $method formed no 3-member cluster:" >&2; cl cluster list >&2; exit 1; }
  cl image import "$image" --alias lxdkit-busybox -q >/dev/null
  for i in $(seq "$count"); do
    cl launch lxdkit-busybox "bench-c-$i" --target m3 -c cluster.evacuate=migrate -q >/dev/null
  done
  check start m3
  t=$(timed "evacuate_$method"); times[evacuate_$method]+=" $t"
  check "$method evacuate" "m[12]"
  status=$(cl query /1.0/cluster/members/m3 | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  [ "$status" = Evacuated ] || { echo "bench: after $method evacuate m3 is $status" >&2; exit 1; }
  t=$(timed "restore_$method"); times[restore_$method]+=" $t"
  check "$method restore" m3
  teardown
}

playbook evacuate "    - lxdkit.lxd.lxd_cluster_member: {url: 'unix:{{ lookup(\"env\", \"BENCH_SOCKET\") }}', name: m3, state: evacuated}"
playbook restore "    - lxdkit.lxd.lxd_cluster_member: {url: 'unix:{{ lookup(\"env\", \"BENCH_SOCKET\") }}', name: m3, state: restored}"
playbook noop "    - ansible.builtin.debug: {msg: noop}"
noops=()
methods=(module lxc)
[ "${FIRST:-module}" = module ] || methods=(lxc module)
for round in $(seq 0 $(( rounds - 1 ))); do
  for step in 0 1; do
    method=${methods[$(( (round + step) % 2 ))]}
    echo "bench: round $(( round + 1 )), $method" >&2
    run_method "$method"
  done
  noops+=("$(seconds run_playbook noop)")
done

each() { printf '%.1f/' "$@" | sed 's:/$::'; }
row() {  # STEP TITLE
  local -a mod lx
  read -r -a mod <<< "${times[$1_module]}"
  read -r -a lx <<< "${times[$1_lxc]}"
  local m l
  m=$(median "${mod[@]}") l=$(median "${lx[@]}")
  printf '| %s | %.1f (%s) | %.1f (%s) | %.2f |\n' "$2" "$m" "$(each "${mod[@]}")" "$l" "$(each "${lx[@]}")" "$(echo "$m / $l" | bc -l)"
}
printf '| step | module, seconds (each round) | lxc, seconds (each round) | module / lxc |\n|---|---|---|---|\n'
row form "form the cluster (enable + 2 joins)"
row evacuate "evacuate the member holding $count running containers"
row restore "restore it ($count containers back)"
printf '\nMedians of %d round(s), each method on a fresh cluster of 3 fabric daemons; module times are\n' "$rounds"
printf 'ansible-playbook runs (a one-task no-op playbook: %s s). LXD %s, dir pools, %s cores, %s\n' \
  "$(each "${noops[@]}")" "$(lxd --version)" "$(nproc)" "$(date -u +%Y-%m-%d)"
