# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Views of LXD objects: the part of each object a module manages, compares, shows in its diff
and returns. One function per kind of object; None stands for an object that does not exist."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time


def profile_view(profile):
    if profile is None:
        return None
    return dict(
        name=profile["name"],
        description=profile.get("description") or "",
        config=dict(profile.get("config") or {}),
        devices=dict(profile.get("devices") or {}),
    )


def instance_view(instance):
    if instance is None:
        return None
    return dict(
        name=instance["name"],
        description=instance.get("description") or "",
        profiles=list(instance.get("profiles") or []),
        config=dict(instance.get("config") or {}),
        devices=dict(instance.get("devices") or {}),
        ephemeral=bool(instance.get("ephemeral")),
    )


def network_view(network):
    if network is None:
        return None
    return dict(name=network["name"], type=network.get("type"), description=network.get("description") or "",
                config=dict(network.get("config") or {}))


def stored_rules(rules):
    """ACL rules as LXD returns them, in the normal form of ``_network.normalize_rules``."""
    return [dict((key, value) for key, value in rule.items() if value != "") for rule in rules or []]


def acl_view(acl):
    if acl is None:
        return None
    return dict(name=acl["name"], description=acl.get("description") or "", ingress=stored_rules(acl.get("ingress")),
                egress=stored_rules(acl.get("egress")), config=dict(acl.get("config") or {}))


def image_view(image):
    if image is None:
        return None
    return dict(
        fingerprint=image["fingerprint"],
        aliases=sorted(alias["name"] for alias in image.get("aliases") or []),
        properties=dict(image.get("properties") or {}),
        public=bool(image.get("public")),
        auto_update=bool(image.get("auto_update")),
    )


def snapshot_view(snapshot):
    """LXD's zero times become None, size -1 (unknown) None."""
    if snapshot is None:
        return None
    size = snapshot.get("size")
    return dict(
        name=snapshot["name"].rsplit("/", 1)[-1],  # LXD 5.0 names a volume's snapshots VOLUME/SNAPSHOT
        created_at=None if parse_lxd_time(snapshot.get("created_at")) is None else snapshot.get("created_at"),
        expires_at=None if parse_lxd_time(snapshot.get("expires_at")) is None else snapshot.get("expires_at"),
        last_used_at=None if parse_lxd_time(snapshot.get("last_used_at")) is None else snapshot.get("last_used_at"),
        stateful=bool(snapshot.get("stateful")),
        size=None if size is None or size < 0 else size,
    )


def volume_view(volume, pool):
    """A custom storage volume of ``pool`` (LXD has the pool in the volume's path, not in it)."""
    if volume is None:
        return None
    return dict(name=volume["name"], pool=pool, description=volume.get("description") or "",
                content_type=volume.get("content_type") or "filesystem", config=dict(volume.get("config") or {}))


def storage_pool_view(pool):
    if pool is None:
        return None
    return dict(name=pool["name"], driver=pool.get("driver"), description=pool.get("description") or "",
                config=dict(pool.get("config") or {}))


def storage_pool_info(pool, resources):
    """A pool as the info module lists it: LXD's object (``used_by`` a list, never null) and
    the space and inodes it reports (None when it cannot: a pending or unavailable pool)."""
    return dict(name=pool["name"], driver=pool.get("driver"), description=pool.get("description") or "",
                config=dict(pool.get("config") or {}), status=pool.get("status"), locations=list(pool.get("locations") or []),
                used_by=list(pool.get("used_by") or []), resources=resources)


def project_view(project):
    if project is None:
        return None
    return dict(name=project["name"], description=project.get("description") or "", config=dict(project.get("config") or {}))
