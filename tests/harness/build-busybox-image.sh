#!/usr/bin/env bash
# Builds a tiny busybox container image (about 1 MB) and imports it under the given alias.
# Its init keeps one sleep running, so the container stays RUNNING until stopped.
set -euo pipefail

alias_name=${1:?usage: build-busybox-image.sh ALIAS}
# Bump when the image changes: prepare-lxd.sh rebuilds an image whose description lacks it.
IMAGE_REVISION=r2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,root,var/log,run}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
ln -sf ../bin/busybox "$rootfs/sbin/init"
mkdir -p "$rootfs/etc/udhcpc"
# busybox's DHCP client hands the lease to a script; this one configures eth0 with it.
cat > "$rootfs/etc/udhcpc/default.script" <<'SCRIPT'
#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
SCRIPT
chmod 0755 "$rootfs/etc/udhcpc/default.script"
cat > "$rootfs/etc/inittab" <<'INITTAB'
::sysinit:/bin/mount -t tmpfs tmpfs /tmp
::sysinit:/bin/ip link set lo up
::respawn:/bin/udhcpc -f -S -i eth0 -s /etc/udhcpc/default.script
::respawn:/bin/sleep 100000
INITTAB
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"

cat > "$work/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: lxdkit busybox test image $IMAGE_REVISION
  os: busybox
  release: "$(busybox | head -n1 | awk '{print $2}')"
META

tar -C "$work" -czf "$work/image.tar.gz" metadata.yaml rootfs
lxc image import "$work/image.tar.gz" --alias "$alias_name"
