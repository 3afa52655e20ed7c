#!/usr/bin/env bash
# Builds a tiny busybox container image (about 1 MB) and imports it under the given alias.
# Its init keeps one sleep running, so the container stays RUNNING until stopped.
set -euo pipefail

alias_name=${1:?usage: build-busybox-image.sh ALIAS}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,root,var/log,run}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
ln -sf ../bin/busybox "$rootfs/sbin/init"
printf '::sysinit:/bin/mount -t tmpfs tmpfs /tmp\n::respawn:/bin/sleep 100000\n' > "$rootfs/etc/inittab"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"

cat > "$work/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: lxdkit busybox test image
  os: busybox
  release: "$(busybox | head -n1 | awk '{print $2}')"
META

tar -C "$work" -czf "$work/image.tar.gz" metadata.yaml rootfs
lxc image import "$work/image.tar.gz" --alias "$alias_name"
