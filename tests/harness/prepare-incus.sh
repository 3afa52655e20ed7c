#!/usr/bin/env bash
# Makes this machine ready for the Incus tests, idempotently, beside the main LXD (the recipe of
# multi-daemon-recipes.md, section 1, in the project's shared notes): Incus 6.0 from
# bookworm-backports (incus-base + incus-client only: containers, 7 packages), its daemon
# started without systemd and answering, initialised once by a preseed (never 'auto'): a dir
# pool 'default', a NAT-less bridge incusbr0 on an explicit subnet, the default profile with
# root and eth0; HTTPS on 127.0.0.1:8444; and the busybox and Debian test images, exported
# from the main LXD (prepare-lxd.sh builds them), as the same aliases. The first run takes about
# 15 s once the packages are installed; a second run only checks and takes under a second.
#
# The daemon: /usr/libexec/incus/incusd --group root, in its own session, its PID in
# $INCUS_PID_FILE, its log in $INCUS_LOG. Stop it by that PID (or 'incus admin shutdown'),
# never by process name.
set -euo pipefail

INCUS_LOG=${INCUS_LOG:-/var/log/incus/incusd.log}
INCUS_PID_FILE=${INCUS_PID_FILE:-/run/lxdkit-incusd.pid}
BRIDGE=${LXDKIT_INCUS_BRIDGE:-incusbr0}
BRIDGE_ADDRESS=${LXDKIT_INCUS_BRIDGE_ADDRESS:-10.241.0.1/24}
BUSYBOX_ALIAS=${LXDKIT_TEST_IMAGE:-lxdkit-busybox}
BACKPORTS_LIST=/etc/apt/sources.list.d/lxdkit-backports.list
INCUSD=/usr/libexec/incus/incusd

log() { printf 'prepare-incus: %s\n' "$*"; }

answers() { incus query /1.0 >/dev/null 2>&1; }

if [ ! -x "$INCUSD" ] || ! command -v incus >/dev/null; then
  if ! grep -rqs '^deb .* bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
     ! grep -rqs '^Suites:.*bookworm-backports' /etc/apt/sources.list.d/; then
    log "adding bookworm-backports to the apt sources ($BACKPORTS_LIST)"
    echo 'deb http://deb.debian.org/debian bookworm-backports main' > "$BACKPORTS_LIST"
  fi
  log "installing incus-base incus-client from bookworm-backports"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports incus-base incus-client >/dev/null
fi

if ! answers; then
  log "starting the Incus daemon (log: $INCUS_LOG, pid file: $INCUS_PID_FILE)"
  mkdir -p "$(dirname "$INCUS_LOG")"
  # From /: the daemon must not sit in a directory that may vanish.
  (cd / && exec setsid "$INCUSD" --group root --logfile "$INCUS_LOG") >/dev/null 2>&1 < /dev/null &
  echo $! > "$INCUS_PID_FILE"
  incus admin waitready --timeout 60
fi

# Containers sit on a NAT-less bridge in 10.241.0.0/24, but the host forwards packets: keep
# anything they send from leaving through the uplink.
uplink=$(ip route show default 2>/dev/null | awk '{for(i=1;i<=NF;i++) if($i=="dev"){print $(i+1); exit}}')
if [ -n "$uplink" ]; then
  nft delete table inet lxdkit_incus_forward_guard 2>/dev/null || true
  nft -f - <<NFT
table inet lxdkit_incus_forward_guard {
  chain forward {
    type filter hook forward priority 0; policy accept;
    oifname "$uplink" ip saddr 10.241.0.0/16 drop
  }
}
NFT
fi

# The preseed, once: when the pool, the bridge or a default profile device is missing (a
# preseed updates what exists and creates the rest).
if ! incus storage show default >/dev/null 2>&1 || ! incus network show "$BRIDGE" >/dev/null 2>&1 ||
   ! incus profile device show default | grep -q '^root:' || ! incus profile device show default | grep -q '^eth0:'; then
  log "initialising: pool default (dir), bridge $BRIDGE ($BRIDGE_ADDRESS), default profile"
  incus admin init --preseed <<EOF
config:
  images.auto_update_interval: "0"
storage_pools:
- name: default
  driver: dir
networks:
- name: $BRIDGE
  type: bridge
  config:
    ipv4.address: $BRIDGE_ADDRESS
    ipv4.nat: "false"
    ipv6.address: none
profiles:
- name: default
  devices:
    root: {path: /, pool: default, type: disk}
    eth0: {name: eth0, network: $BRIDGE, type: nic}
EOF
fi

# HTTPS on loopback only (LXD has 127.0.0.1:8443), for the tests of url/trust options against Incus.
if [ -z "$(incus config get core.https_address)" ]; then
  incus config set core.https_address 127.0.0.1:8444
fi

# The test images, the same ones (same fingerprints) as in the main LXD: busybox, and the Debian
# one (python3, for the connection plugin and the roles); re-imported when the main LXD's was
# rebuilt.
alias_fingerprint() {  # client (lxc or incus), alias
  local answer
  answer=$("$1" query "/1.0/images/aliases/$2" 2>/dev/null) || return 0
  printf '%s\n' "$answer" | sed -n 's/.*"target": *"\([0-9a-f]*\)".*/\1/p'
}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ensure_image() {  # alias
  local alias=$1 want have meta rootfs
  want=$(alias_fingerprint lxc "$alias")
  if [ -z "$want" ]; then
    log "the main LXD has no image $alias: run tests/harness/prepare-lxd.sh first" >&2
    exit 1
  fi
  have=$(alias_fingerprint incus "$alias")
  [ "$have" != "$want" ] || return 0
  [ -z "$have" ] || { log "image $alias differs from the main LXD's: replacing it"; incus image delete "$alias"; }
  log "importing image $alias from the main LXD"
  rm -rf "${scratch:?}"/*
  lxc -q image export "$alias" "$scratch/image" >/dev/null
  # A unified tarball (one file), or a split image: the metadata tarball (the smaller file, its
  # name as lxc writes it, maybe without an extension) and the rootfs.
  meta=$(find "$scratch" -maxdepth 1 -type f -printf '%s %p\n' | sort -n | sed -n '1s/^[0-9]* //p')
  rootfs=$(find "$scratch" -maxdepth 1 -type f -printf '%s %p\n' | sort -n | sed -n '2s/^[0-9]* //p')
  if [ -z "$rootfs" ]; then
    incus -q image import "$meta" --alias "$alias"
  else
    incus -q image import "$meta" "$rootfs" --alias "$alias"
  fi
}
ensure_image "$BUSYBOX_ALIAS"
DEBIAN_ALIAS=${LXDKIT_TEST_DEBIAN_IMAGE:-lxdkit-debian}
ensure_image "$DEBIAN_ALIAS"

log "ready: incus $(incus version | sed -n 's/^Server version: *//p'), pool default, bridge $BRIDGE, images $BUSYBOX_ALIAS and $DEBIAN_ALIAS"
