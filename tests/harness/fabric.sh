#!/usr/bin/env bash
# fabric.sh: extra LXD or Incus daemons ("servers") on this machine, for tests that need more
# than one server (remotes over HTTPS, trust, copies and moves between servers, clusters).
#
#   fabric.sh up [--kind lxd|incus] [--bare] NAME...
#                                       (--kind: LXD 5.0, the default, or Incus 6.0)
#                                       start each NAME, ready to use; a NAME that is up already is
#                                       left alone (no-op), a half-made one (a killed run, a dead
#                                       daemon) is cleaned and made again. --bare: only its HTTPS
#                                       address is set (no pool, network or profile devices): a
#                                       server ready to join a cluster
#   fabric.sh down [NAME...]            stop and remove NAME (every daemon of the fabric when no
#                                       NAME is given); also cleans half-made ones; safe to repeat
#   fabric.sh restart NAME...           start NAME's daemon again with its state (instances, images,
#                                       trust): after a test killed it, or stopped gracefully first
#                                       when it runs; up would make a new, empty daemon instead
#   fabric.sh status                    one line per daemon: name, kind, pid, state (up, dead,
#                                       starting, half-made), url, RSS of its processes (MB)
#   fabric.sh env [--json] NAME         shell exports for NAME (eval "$(fabric.sh env server2)"),
#                                       or the same as one JSON object (Ansible: from_json)
#
# NAME: a-z first, then a-z, 0-9 and '-', at most 24 characters (server2, it-3f9a1c2b). Run as
# root. Calls on one machine are serialised by a lock; several runs may share the fabric, each
# with its own NAMEs (down without NAME stops everybody's daemons: name yours).
#
# What env prints (and what the JSON object holds, in lower case without the prefix):
#   LXD_DIR                    the daemon's directory; lxc and lxd use it (its unix.socket), and
#                              so do the collection's modules when they get no url (an Incus
#                              daemon: INCUS_DIR, for incus)
#   LXDKIT_FABRIC_NAME         NAME
#   LXDKIT_FABRIC_KIND         lxd or incus
#   LXDKIT_FABRIC_SOCKET       unix:$LXD_DIR/unix.socket (a module's url, as an admin on that host)
#   LXDKIT_FABRIC_URL          https://ADDRESS:8443 (core.https_address, set by the preseed)
#   LXDKIT_FABRIC_SERVER_CERT  the server's certificate (PEM), for server_cert / --accept-certificate
#   LXDKIT_FABRIC_ADDRESS      ADDRESS, on the fabric's host bridge (reachable from this host)
#   LXDKIT_FABRIC_NETNS        the daemon's network namespace (ip netns exec ... to look inside)
#   LXDKIT_FABRIC_BRIDGE_SUBNET  the subnet of the daemon's own bridge
#   LXDKIT_FABRIC_BRIDGE       that bridge's name: lxdbr0 (lxd) or incusbr0 (incus)
# (in the JSON object the daemon's directory is lxd_dir whatever the kind)
#
# Each daemon (the recipe of multi-daemon-recipes.md, section 2, in the project's shared notes):
#   - a network namespace lxdkitfab-NAME with eth0 = ADDRESS/24 (a veth on the host bridge
#     lxdkitfab0, 10.247.0.1/24) and no default route, so it sends nothing beyond this host;
#   - a private mount namespace with its own sysfs (the cgroup mounts carried over) and proc;
#   - its own directory /var/lib/lxdkit-fabric/NAME: daemon.pid (the daemon's PID, what down and
#     restart go by), daemon.log and daemon.out, preseed.yaml, slot, kind, ready (written once the
#     daemon is initialised and answers HTTPS), and LXD_DIR in its lxd/ subdirectory;
#   - a preseed without 'auto': core.https_address ADDRESS:8443, images.auto_update_interval 0,
#     a dir pool 'default', its own bridge (lxdbr0, or incusbr0 for Incus) on 10.248.SLOT.1/24
#     (ipv4.nat false, ipv6.address none), and the default profile with root and eth0.
# ADDRESS is 10.247.0.SLOT, SLOT the lowest free number from 2 (kept in NAME/slot). A forward
# guard (nft table inet lxdkit_fabric_guard) drops anything from 10.240.0.0/12 that would leave
# through the uplink. The last 'down' removes the host bridge, the guard and the directory.
# Daemons are stopped through their PID file (and the processes of their network namespace),
# never by process name: the main LXD runs the same binary.
#
# Measured on a 2-core test machine (LXD 5.0.2, the main LXD busy with other tests): up takes
# 1.2-1.3 s per daemon (netns 0.06 s, spawn to 'lxd waitready' 0.55 s, preseed and HTTPS check
# 0.65 s; 2.6 s when the machine is loaded); an idle daemon holds 56-57 MB RSS (lxd) + 5 MB
# (dnsmasq); down takes 1.5 s (3 s with a running container); restart after a kill 1.6 s.
#
# Incus daemons (--kind incus): the same namespaces, preseed and numbers; up 1.2-1.3 s, an idle
# daemon 61 MB RSS (incusd) + 5 MB, down 2.4 s with a running container. Another kind plugs in
# as the functions KIND_dir_var, KIND_start, KIND_init, KIND_ready, KIND_shutdown, KIND_stop,
# KIND_bridge and KIND_preseed (see "kinds" below) and a word in KINDS.
set -euo pipefail

ROOT=${LXDKIT_FABRIC_ROOT:-/var/lib/lxdkit-fabric}
LOCK=${LXDKIT_FABRIC_LOCK:-/run/lxdkit-fabric.lock}
HOST_BRIDGE=lxdkitfab0
HOST_NET=10.247.0          # host bridge 10.247.0.1/24, daemon SLOT at 10.247.0.SLOT
INNER_NET=10.248           # daemon SLOT's bridge: 10.248.SLOT.1/24
GUARD_TABLE=lxdkit_fabric_guard
GUARDED=10.240.0.0/12
PORT=8443
KINDS="lxd incus"

log() { printf 'fabric: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

check_name() {
  [[ $1 =~ ^[a-z][a-z0-9-]{0,23}$ ]] || die "bad NAME '$1': a-z first, then a-z, 0-9 and '-', at most 24 characters"
}

dir_of() { printf '%s/%s' "$ROOT" "$1"; }
netns_of() { printf 'lxdkitfab-%s' "$1"; }
slot_of() { cat "$(dir_of "$1")/slot" 2>/dev/null || true; }
kind_of() { cat "$(dir_of "$1")/kind" 2>/dev/null || echo lxd; }
pid_of() { cat "$(dir_of "$1")/daemon.pid" 2>/dev/null || true; }
veth_of() { printf 'lxfab%s' "$1"; }   # SLOT

# Daemons known to the fabric: their directories, and network namespaces of half-made ones.
known_names() {
  {
    if [ -d "$ROOT" ]; then
      find "$ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
    fi
    ip netns list 2>/dev/null | awk '{print $1}' | sed -n 's/^lxdkitfab-//p'
  } | sort -u
}

# True when PID is NAME's daemon: alive, and started with NAME's log file (a PID reused by
# another process does not match).
is_ours() {  # NAME PID
  local cmdline
  [ -n "$2" ] && [ -r "/proc/$2/cmdline" ] || return 1
  cmdline=$(tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *" --logfile $(dir_of "$1")/daemon.log"* ]]
}

netns_pids() {  # NAME
  ip netns pids "$(netns_of "$1")" 2>/dev/null || true
}

rss_mb() {  # PID... : summed resident memory in MB
  local pid kb=0 rss
  for pid in "$@"; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    kb=$((kb + ${rss:-0}))
  done
  echo $((kb / 1024))
}

# -- kinds ----------------------------------------------------------------------------------
# What differs between the kinds: the variable naming the daemon's directory, the daemon, the
# client that waits for it, initialises it, shuts it down and stops its instances, and the name
# of its bridge (lxdbr0 on an LXD host, incusbr0 on an Incus host). The bodies are shared.

lxd_dir_var() { echo LXD_DIR; }
lxd_start() { start_daemon "$1" lxd lxd; }
lxd_init() { init_daemon "$@"; }
lxd_ready() { LXD_DIR="$(dir_of "$1")/lxd" timeout $(($2 + 10)) lxd waitready --timeout "$2" >/dev/null 2>&1; }
lxd_shutdown() { LXD_DIR="$(dir_of "$1")/lxd" timeout 40 lxd shutdown --timeout 30 >/dev/null 2>&1 || true; wait_exit "$2"; }
lxd_stop() { stop_instances "$1" lxc; lxd_shutdown "$@"; }
lxd_bridge() { echo lxdbr0; }
lxd_preseed() { LXD_DIR="$(dir_of "$1")/lxd" timeout 120 lxd init --preseed; }

# Incus 6.0 (tests/harness/prepare-incus.sh installs it). incus admin shutdown returns before
# the daemon has exited: wait_exit waits for the PID.
incus_dir_var() { echo INCUS_DIR; }
incus_start() { start_daemon "$1" incus /usr/libexec/incus/incusd; }
incus_init() { init_daemon "$@"; }
incus_ready() { INCUS_DIR="$(dir_of "$1")/incus" timeout $(($2 + 10)) incus admin waitready --timeout "$2" >/dev/null 2>&1; }
incus_shutdown() { INCUS_DIR="$(dir_of "$1")/incus" timeout 40 incus admin shutdown --timeout 30 >/dev/null 2>&1 || true; wait_exit "$2"; }
incus_stop() { stop_instances "$1" incus; incus_shutdown "$@"; }
incus_bridge() { echo incusbr0; }
incus_preseed() { INCUS_DIR="$(dir_of "$1")/incus" timeout 120 incus admin init --preseed; }

# Start the daemon in NAME's namespaces; write its PID to NAME/daemon.pid.
start_daemon() {  # NAME KIND DAEMON
  local name=$1 kind=$2 dir netns pid
  dir=$(dir_of "$name")
  netns=$(netns_of "$name")
  mkdir -p "$dir/$kind"
  # nsenter keeps the network namespace; unshare makes a private mount namespace, where a fresh
  # sysfs shows that network namespace's interfaces (ip netns exec would lose the cgroup
  # mounts). From /, without our lock (fd 9) or the caller's pipes. The inner sh expands
  # $FABRIC_DAEMON and $FABRIC_LOG.
  # shellcheck disable=SC2016
  (cd / && export "$("${kind}_dir_var")=$dir/$kind" && FABRIC_DAEMON=$3 FABRIC_LOG="$dir/daemon.log" exec setsid \
    nsenter --net="/run/netns/$netns" -- unshare --mount --propagation private -- /bin/sh -c '
      set -e
      mount --move /sys /mnt
      mount -t sysfs sysfs /sys
      mount --move /mnt/fs/cgroup /sys/fs/cgroup
      umount -l /mnt
      umount -l /proc
      mount -t proc proc /proc
      exec "$FABRIC_DAEMON" --group root --logfile "$FABRIC_LOG"
    ') > "$dir/daemon.out" 2>&1 < /dev/null 9>&- &
  echo $! > "$dir/daemon.pid"
  if ! "${kind}_ready" "$name" 60; then
    die "$name: the daemon did not get ready; see $dir/daemon.out and $dir/daemon.log"
  fi
  # nsenter, unshare and sh exec each other, so $! is the daemon; make sure, by its command line.
  pid=$(pid_of "$name")
  if ! is_ours "$name" "$pid"; then
    for pid in $(netns_pids "$name"); do
      is_ours "$name" "$pid" && break
    done
    is_ours "$name" "$pid" || die "$name: cannot find the daemon's PID"
    echo "$pid" > "$dir/daemon.pid"
  fi
}

# The preseed, never 'auto': core.https_address, no image updates and, unless bare, a dir pool
# 'default', the kind's bridge on BRIDGE_ADDRESS (no NAT, no IPv6) and the default profile.
init_daemon() {  # NAME ADDRESS BRIDGE_ADDRESS [bare]
  local name=$1 dir kind bridge
  dir=$(dir_of "$name")
  kind=$(kind_of "$name")
  bridge=$("${kind}_bridge")
  cat > "$dir/preseed.yaml" <<EOF
config:
  core.https_address: $2:$PORT
  images.auto_update_interval: "0"
EOF
  if [ "${4:-}" != bare ]; then
    cat >> "$dir/preseed.yaml" <<EOF
storage_pools:
- name: default
  driver: dir
networks:
- name: $bridge
  type: bridge
  config:
    ipv4.address: $3
    ipv4.nat: "false"
    ipv6.address: none
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
    eth0: {name: eth0, network: $bridge, type: nic}
EOF
  fi
  "${kind}_preseed" "$name" < "$dir/preseed.yaml"
}

# Wait up to 20 s for PID to exit after a shutdown was asked. Non-zero when it still runs.
wait_exit() {  # PID
  for _ in $(seq 100); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  ! kill -0 "$1" 2>/dev/null
}

# Instances stopped before the daemon is: a test instance must not hold the shutdown for its
# boot.host_shutdown_timeout.
stop_instances() {  # NAME CLIENT
  local dir project kind
  dir=$(dir_of "$1")
  kind=$(kind_of "$1")
  for project in $(env "$("${kind}_dir_var")=$dir/$kind" timeout 20 "$2" project list --format csv 2>/dev/null | cut -d, -f1 | sed 's/ (current)$//'); do
    env "$("${kind}_dir_var")=$dir/$kind" timeout 60 "$2" stop --all --force --project "$project" >/dev/null 2>&1 || true
  done
}

# -- one daemon -----------------------------------------------------------------------------

is_up() {  # NAME
  local name=$1 dir
  dir=$(dir_of "$name")
  [ -f "$dir/ready" ] && is_ours "$name" "$(pid_of "$name")" && "$(kind_of "$name")_ready" "$name" 5
}

# Everything NAME has on this machine goes: daemon, processes in its netns, netns, veth,
# directory. Works on half-made daemons too.
down_one() {  # NAME
  local name=$1 dir netns slot pid kind leftovers
  dir=$(dir_of "$name")
  netns=$(netns_of "$name")
  slot=$(slot_of "$name")
  kind=$(kind_of "$name")
  pid=$(pid_of "$name")
  if is_ours "$name" "$pid"; then
    if ! "${kind}_stop" "$name" "$pid"; then
      log "$name: daemon $pid still running after shutdown: SIGTERM, then SIGKILL"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # dnsmasq, forkproxy, [lxc monitor]s, and a daemon whose PID file a killed run never wrote.
  leftovers=$(netns_pids "$name")
  if [ -n "$leftovers" ]; then
    # shellcheck disable=SC2086
    kill -KILL $leftovers 2>/dev/null || true
    sleep 0.3
  fi
  if ip netns list | awk '{print $1}' | grep -qxF "$netns"; then
    ip netns del "$netns"
  fi
  if [ -n "$slot" ] && ip link show "$(veth_of "$slot")" >/dev/null 2>&1; then
    ip link del "$(veth_of "$slot")"
  fi
  if [ -d "$dir" ]; then
    # The daemon mounted only in its private mount namespace; a mount here would be a stranger's.
    if awk -v d="$dir/" '{ if (index($5 "/", d) == 1) found = 1 } END { exit !found }' /proc/self/mountinfo; then
      die "$name: something is mounted under $dir on the host; unmount it, then run down again"
    fi
    rm -rf "$dir"
  fi
}

# Start NAME's daemon again, keeping its directory and network namespace: what a restart of
# the daemon on a real server does. A running daemon is shut down first (lxd shutdown: its
# instances stop, and LXD starts again those that were running).
restart_one() {  # NAME
  local name=$1 dir pid kind t0
  dir=$(dir_of "$name")
  [ -f "$dir/ready" ] || die "$name is not up (or half-made): run fabric.sh up $name"
  kind=$(kind_of "$name")
  pid=$(pid_of "$name")
  t0=$(now)
  if is_ours "$name" "$pid" && ! "${kind}_shutdown" "$name" "$pid"; then
    die "$name: daemon $pid did not stop; run fabric.sh down $name"
  fi
  "${kind}_start" "$name"
  log "$name: restarted in $(elapsed "$t0" "$(now)") s (pid $(pid_of "$name"))"
}

up_one() {  # NAME KIND [bare]
  local name=$1 kind=$2 bare=${3:-} dir slot address t0 t1 t2 t3 pid
  dir=$(dir_of "$name")
  if is_up "$name"; then
    [ "$(kind_of "$name")" = "$kind" ] || die "$name is up as kind $(kind_of "$name"), not $kind: run down $name first"
    log "$name: already up ($(url_of "$name"))"
    return 0
  fi
  if [ -e "$dir" ] || ip netns list | awk '{print $1}' | grep -qxF "$(netns_of "$name")"; then
    log "$name: half-made or dead: cleaning it first"
    down_one "$name"
  fi
  t0=$(now)
  ensure_host
  slot=$(free_slot)
  address=$HOST_NET.$slot
  mkdir -p "$dir"
  echo "$slot" > "$dir/slot"       # first, so that down finds the veth of a killed run
  echo "$kind" > "$dir/kind"
  if [ -n "$bare" ]; then touch "$dir/bare"; fi
  make_netns "$name" "$slot"
  t1=$(now)
  "${kind}_start" "$name"
  t2=$(now)
  "${kind}_init" "$name" "$address" "$INNER_NET.$slot.1/24" ${bare:+"$bare"} >/dev/null
  curl -sk --noproxy '*' --max-time 10 -o /dev/null "https://$address:$PORT/1.0" || die "$name: no HTTPS answer at https://$address:$PORT"
  t3=$(now)
  touch "$dir/ready"
  pid=$(pid_of "$name")
  # shellcheck disable=SC2046
  log "$name: up at https://$address:$PORT in $(elapsed "$t0" "$t3") s (netns $(elapsed "$t0" "$t1") s, start $(elapsed "$t1" "$t2") s," \
    "init $(elapsed "$t2" "$t3") s); RSS $kind $(rss_mb "$pid") MB, all its processes $(rss_mb $(netns_pids "$name")) MB"
}

make_netns() {  # NAME SLOT
  local netns veth
  netns=$(netns_of "$1")
  veth=$(veth_of "$2")
  ip netns add "$netns"
  ip link add "$veth" type veth peer name "${veth}p"
  ip link set "${veth}p" netns "$netns"
  ip link set "$veth" master "$HOST_BRIDGE" up
  ip -n "$netns" link set lo up
  ip -n "$netns" link set "${veth}p" name eth0
  ip -n "$netns" addr add "$HOST_NET.$2/24" dev eth0
  ip -n "$netns" link set eth0 up   # no default route, on purpose
  # The host may still map ADDRESS to the MAC of an earlier daemon in this slot.
  ip neigh flush to "$HOST_NET.$2" dev "$HOST_BRIDGE" 2>/dev/null || true
}

free_slot() {
  local used slot
  used=$(cat "$ROOT"/*/slot 2>/dev/null || true)
  for slot in $(seq 2 250); do
    if ! grep -qxF "$slot" <<< "$used" && ! ip link show "$(veth_of "$slot")" >/dev/null 2>&1; then
      echo "$slot"
      return 0
    fi
  done
  die "no free slot (2-250) for another daemon"
}

# -- the host side ----------------------------------------------------------------------------

ensure_host() {
  local uplink other
  mkdir -p "$ROOT"
  chmod 0711 "$ROOT"
  if ! ip link show "$HOST_BRIDGE" >/dev/null 2>&1; then
    other=$(ip -4 -o addr show | awk -v net="$HOST_NET." '$4 ~ "^" net {print $2; exit}')
    [ -z "$other" ] || die "$HOST_NET.0/24 is in use on $other: the fabric's host bridge needs it"
    ip link add "$HOST_BRIDGE" type bridge
    ip addr add "$HOST_NET.1/24" dev "$HOST_BRIDGE"
    ip link set "$HOST_BRIDGE" up
  fi
  uplink=$(ip route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
  if [ -n "$uplink" ] && ! nft list table inet "$GUARD_TABLE" >/dev/null 2>&1; then
    nft -f - <<NFT
table inet $GUARD_TABLE {
  chain forward_out {
    type filter hook forward priority filter; policy accept;
    oifname "$uplink" ip saddr $GUARDED drop
  }
}
NFT
  fi
}

teardown_host_if_unused() {
  [ -z "$(known_names)" ] || return 0
  if ip link show "$HOST_BRIDGE" >/dev/null 2>&1; then ip link del "$HOST_BRIDGE"; fi
  if nft list table inet "$GUARD_TABLE" >/dev/null 2>&1; then nft delete table inet "$GUARD_TABLE"; fi
  if [ -d "$ROOT" ]; then rmdir "$ROOT" 2>/dev/null || true; fi
}

# -- commands ---------------------------------------------------------------------------------

url_of() { printf 'https://%s.%s:%s' "$HOST_NET" "$(slot_of "$1")" "$PORT"; }

with_lock() {
  exec 9> "$LOCK"
  flock -w 600 9 || die "another fabric.sh run holds $LOCK"
}

cmd_up() {
  local kind=lxd bare="" name
  while [ $# -gt 0 ]; do
    case "$1" in
      --kind) kind=${2:?--kind needs a value}; shift 2 ;;
      --bare) bare=bare; shift ;;
      *) break ;;
    esac
  done
  [ $# -gt 0 ] || die "usage: fabric.sh up [--kind lxd|incus] [--bare] NAME..."
  case " $KINDS " in
    *" $kind "*) ;;
    *) die "--kind must be one of: $KINDS (got '$kind')" ;;
  esac
  for name in "$@"; do check_name "$name"; done
  with_lock
  for name in "$@"; do up_one "$name" "$kind" ${bare:+"$bare"}; done
}

cmd_restart() {
  local name
  [ $# -gt 0 ] || die "usage: fabric.sh restart NAME..."
  for name in "$@"; do check_name "$name"; done
  with_lock
  for name in "$@"; do restart_one "$name"; done
}

cmd_down() {
  local names name
  for name in "$@"; do check_name "$name"; done
  with_lock
  if [ $# -gt 0 ]; then names="$*"; else names=$(known_names); fi
  # In parallel: a cluster member's shutdown waits for its peers (dqlite), so members stopped one
  # after the other would each wait for the ones already gone.
  local pids=() failed=0 pid
  for name in $names; do
    (down_one "$name" && log "$name: down") &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ "$failed" = 0 ] || die "down: some daemons could not be removed (see above)"
  teardown_host_if_unused
}

cmd_status() {
  local name pid state
  printf '%-24s %-5s %-8s %-9s %-26s %s\n' NAME KIND PID STATE URL RSS_MB
  for name in $(known_names); do
    pid=$(pid_of "$name")
    if is_up "$name"; then state=up
    elif [ -f "$(dir_of "$name")/ready" ]; then state=dead        # restart keeps its state, up remakes it
    elif is_ours "$name" "$pid"; then state=starting
    else state=half-made
    fi
    # shellcheck disable=SC2046
    printf '%-24s %-5s %-8s %-9s %-26s %s\n' "$name" "$(kind_of "$name")" "${pid:--}" "$state" "$(url_of "$name")" \
      "$(rss_mb $(netns_pids "$name"))"
  done
}

cmd_env() {
  local json=false name dir kind slot lxd_dir
  if [ "${1:-}" = --json ]; then json=true; shift; fi
  [ $# -eq 1 ] || die "usage: fabric.sh env [--json] NAME"
  name=$1
  check_name "$name"
  dir=$(dir_of "$name")
  [ -f "$dir/ready" ] || die "$name is not up: run fabric.sh up $name"
  kind=$(kind_of "$name")
  slot=$(slot_of "$name")
  lxd_dir=$dir/$kind
  if $json; then
    printf '{"name": "%s", "kind": "%s", "lxd_dir": "%s", "socket": "unix:%s/unix.socket", "url": "%s", "server_cert": "%s/server.crt",' \
      "$name" "$kind" "$lxd_dir" "$lxd_dir" "$(url_of "$name")" "$lxd_dir"
    printf ' "address": "%s.%s", "netns": "%s", "bridge_subnet": "%s.%s.0/24", "bridge": "%s"}\n' \
      "$HOST_NET" "$slot" "$(netns_of "$name")" "$INNER_NET" "$slot" "$("${kind}_bridge")"
    return 0
  fi
  cat <<EOF
export $("${kind}_dir_var")=$lxd_dir
export LXDKIT_FABRIC_NAME=$name
export LXDKIT_FABRIC_KIND=$kind
export LXDKIT_FABRIC_SOCKET=unix:$lxd_dir/unix.socket
export LXDKIT_FABRIC_URL=$(url_of "$name")
export LXDKIT_FABRIC_SERVER_CERT=$lxd_dir/server.crt
export LXDKIT_FABRIC_ADDRESS=$HOST_NET.$slot
export LXDKIT_FABRIC_NETNS=$(netns_of "$name")
export LXDKIT_FABRIC_BRIDGE_SUBNET=$INNER_NET.$slot.0/24
export LXDKIT_FABRIC_BRIDGE=$("${kind}_bridge")
EOF
}

[ "$(id -u)" = 0 ] || die "run as root"
command=${1:-}
[ $# -gt 0 ] && shift
case "$command" in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  restart) cmd_restart "$@" ;;
  status) cmd_status ;;
  env) cmd_env "$@" ;;
  *) die "usage: fabric.sh up [--kind lxd|incus] [--bare] NAME... | down [NAME...] | restart NAME... | status | env [--json] NAME" ;;
esac
