#!/usr/bin/env bash
# Builds a Debian bookworm container image with systemd, python3 (for Ansible), nginx-light and
# bind9, and imports it under the given alias. The containers have no internet, so the image
# carries what the roles need. The packed tarballs are cached in /var/cache/lxdkit: a rebuild
# from the cache takes seconds.
set -euo pipefail

alias_name=${1:?usage: build-debian-image.sh ALIAS}
# Bump when the image changes: prepare-lxd.sh rebuilds an image whose description lacks it.
IMAGE_REVISION=d1
cache=/var/cache/lxdkit/debian-$IMAGE_REVISION
packages=systemd-sysv,udev,python3,python3-apt,nginx-light,bind9,bind9-dnsutils,ca-certificates,iproute2,sudo,curl

if [ ! -s "$cache/rootfs.tar.zst" ] || [ ! -s "$cache/meta.tar.gz" ]; then
  mirror=$(awk '/^URIs:/{print $2; exit} /^deb /{print $2; exit}' /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null | head -n1)
  mirror=${mirror:-http://deb.debian.org/debian}
  work=$(mktemp -d /var/tmp/lxdkit-debian.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

  # DHCP on eth0 with systemd-networkd (udev must be in the image, or networkd waits forever).
  mkdir -p "$rootfs/etc/systemd/network"
  printf '[Match]\nName=eth0\n\n[Network]\nDHCP=yes\n' > "$rootfs/etc/systemd/network/eth0.network"
  chroot "$rootfs" systemctl enable systemd-networkd >/dev/null 2>&1
  # Units that fail or make noise in containers.
  for unit in systemd-binfmt.service apt-daily.timer apt-daily-upgrade.timer fstrim.timer e2scrub_all.timer; do
    ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
  done
  : > "$rootfs/etc/machine-id"  # each container makes its own
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

  mkdir -p "$work/meta/templates"
  cat > "$work/meta/metadata.yaml" <<META
architecture: x86_64
creation_date: $(date +%s)
properties:
  description: lxdkit debian bookworm test image $IMAGE_REVISION
  os: debian
  release: bookworm
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
  /etc/hosts:
    when: [create, copy]
    template: hosts.tpl
META
  printf '{{ container.name }}\n' > "$work/meta/templates/hostname.tpl"
  printf '127.0.0.1 localhost\n127.0.1.1 {{ container.name }}\n' > "$work/meta/templates/hosts.tpl"

  mkdir -p "$cache"
  tar -C "$work/meta" -czf "$cache/meta.tar.gz.part" metadata.yaml templates
  tar -C "$rootfs" -I 'zstd -T2 -3' -cf "$cache/rootfs.tar.zst.part" .
  mv "$cache/meta.tar.gz.part" "$cache/meta.tar.gz"
  mv "$cache/rootfs.tar.zst.part" "$cache/rootfs.tar.zst"
fi

lxc image import "$cache/meta.tar.gz" "$cache/rootfs.tar.zst" --alias "$alias_name"
