#!/usr/bin/env bash
# Makes this machine ready for the real-LXD tests, idempotently: Debian's LXD installed and
# answering, a dir pool, a NAT-less bridge on an explicit subnet, and the busybox test image.
# A second run only checks and takes seconds.
set -euo pipefail

HARNESS_DIR=$(cd "$(dirname "$0")" && pwd)
LXD_LOG=${LXD_LOG:-/var/log/lxd.log}
BRIDGE=${LXDKIT_TEST_BRIDGE:-lxdbr0}
BRIDGE_ADDRESS=${LXDKIT_TEST_BRIDGE_ADDRESS:-10.99.0.1/24}
BUSYBOX_ALIAS=${LXDKIT_TEST_IMAGE:-lxdkit-busybox}

log() { printf 'prepare-lxd: %s\n' "$*"; }

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$pkg"
  done
}

# nftables must be present before LXD first starts, so LXD picks its nftables firewall driver;
# btrfs-progs lets LXD make btrfs pools (the storage pool tests make loop-file ones).
need=$(missing_packages nftables lxd lxd-client busybox-static debootstrap zstd bind9-dnsutils btrfs-progs)
if [ -n "$need" ]; then
  log "installing: $need"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
fi

if ! lxc query /1.0 >/dev/null 2>&1; then
  log "starting the LXD daemon (log: $LXD_LOG)"
  # From /: the daemon (and the rsync it runs) must not sit in a directory that may vanish.
  (cd / && exec setsid lxd --group root --logfile "$LXD_LOG") >/dev/null 2>&1 < /dev/null &
  lxd waitready --timeout 60
fi

# Test containers sit on NAT-less bridges in 10.99.0.0/16, but the host forwards packets: keep
# anything they send from leaving through the uplink (net-guard covers the host's own output).
uplink=$(ip route show default 2>/dev/null | awk '{for(i=1;i<=NF;i++) if($i=="dev"){print $(i+1); exit}}')
if [ -n "$uplink" ]; then
  nft delete table inet lxdkit_forward_guard 2>/dev/null || true
  nft -f - <<NFT
table inet lxdkit_forward_guard {
  chain forward {
    type filter hook forward priority 0; policy accept;
    oifname "$uplink" ip saddr 10.99.0.0/16 drop
  }
}
NFT
fi

if ! lxc storage show default >/dev/null 2>&1; then
  log "creating storage pool default (dir)"
  lxc storage create default dir
fi

# Explicit subnet, no NAT, no IPv6: never 'auto', which makes LXD probe random private subnets.
if ! lxc network show "$BRIDGE" >/dev/null 2>&1; then
  log "creating bridge $BRIDGE ($BRIDGE_ADDRESS)"
  lxc network create "$BRIDGE" ipv4.address="$BRIDGE_ADDRESS" ipv4.nat=false ipv6.address=none
fi

if ! lxc profile device show default | grep -q '^root:'; then
  lxc profile device add default root disk path=/ pool=default
fi
if ! lxc profile device show default | grep -q '^eth0:'; then
  lxc profile device add default eth0 nic network="$BRIDGE" name=eth0
fi

# HTTPS on loopback only, for the tests of url/client_cert/trust_token.
if [ -z "$(lxc config get core.https_address)" ]; then
  lxc config set core.https_address 127.0.0.1:8443
fi

# Builds (or rebuilds, when the builder script's IMAGE_REVISION is newer) a test image.
ensure_image() {  # alias, builder script
  local alias=$1 builder=$HARNESS_DIR/$2 revision
  revision=$(sed -n 's/^IMAGE_REVISION=//p' "$builder")
  if lxc image info "$alias" >/dev/null 2>&1 &&
     ! lxc image get-property "$alias" description | grep -qw "$revision"; then
    log "image $alias is older than revision $revision: rebuilding"
    lxc image delete "$alias"
  fi
  if ! lxc image info "$alias" >/dev/null 2>&1; then
    log "building and importing image $alias"
    "$builder" "$alias"
  fi
}

ensure_image "$BUSYBOX_ALIAS" build-busybox-image.sh
# The Debian image (systemd, python3, nginx, bind9) for the connection plugin and role tests;
# debootstrap takes about a minute the first time, the packed image is cached after that.
DEBIAN_ALIAS=${LXDKIT_TEST_DEBIAN_IMAGE:-lxdkit-debian}
ensure_image "$DEBIAN_ALIAS" build-debian-image.sh

log "ready: $(lxd --version), pool default, bridge $BRIDGE, images $BUSYBOX_ALIAS and $DEBIAN_ALIAS"
