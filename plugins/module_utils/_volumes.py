# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Custom storage volumes: their API paths, the config keys LXD fills in, and the copy source."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# Keys LXD writes into a new volume's config from the pool's volume.* defaults (block-backed
# drivers: the filesystem and its mount options; most drivers: size). When the user does not
# write them they stay as LXD set them (``desired_map``'s ``server_defaulted``).
VOLUME_CONFIG_RULES = dict(server_defaulted=("size", "block.filesystem", "block.mount_options"))
CONTENT_TYPES = ("filesystem", "block")


def volumes_path(pool):
    """The collection of a pool's custom volumes."""
    return "storage-pools/%s/volumes/custom" % pool


def copy_source(source, pool, volume_only):
    """The creation source for ``lxc storage volume copy``: ``source`` is VOLUME (in ``pool``)
    or POOL/VOLUME."""
    parts = source.split("/")
    if len(parts) > 2 or not all(parts):
        raise LxdkitError("source %r must be VOLUME or POOL/VOLUME" % source)
    source_pool, name = parts if len(parts) == 2 else (pool, parts[0])
    return dict(type="copy", pool=source_pool, name=name, volume_only=bool(volume_only))
