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


def server_view(server):
    """The server's own config (GET /1.0). LXD shows core.trust_password only as set (true)."""
    if server is None:
        return None
    return dict(config=dict(server.get("config") or {}))


def server_environment(server):
    """What a playbook wants to know about the server it reached: which server and version it
    is, whether it is clustered, its API (the extensions counted) and its addresses and
    certificate fingerprint (to pin it)."""
    environment = server.get("environment") or {}
    return dict(
        server=environment.get("server"),
        server_name=environment.get("server_name"),
        server_version=environment.get("server_version"),
        server_clustered=bool(environment.get("server_clustered")),
        api_version=server.get("api_version"),
        api_extensions_count=len(server.get("api_extensions") or []),
        addresses=list(environment.get("addresses") or []),
        certificate_fingerprint=environment.get("certificate_fingerprint"),
        driver=environment.get("driver"),
        storage=environment.get("storage"),
        kernel_version=environment.get("kernel_version"),
    )


def certificate_view(certificate):
    """A trusted certificate, without its PEM (the fingerprint names it); projects sorted."""
    if certificate is None:
        return None
    return dict(fingerprint=certificate["fingerprint"], name=certificate.get("name") or "", type=certificate.get("type") or "client",
                restricted=bool(certificate.get("restricted")), projects=sorted(certificate.get("projects") or []))


def token_view(operation):
    """A pending trust token (a running operation of class token), without its secret."""
    metadata = operation.get("metadata") or {}
    request = metadata.get("request") or {}
    expires_at = metadata.get("expiresAt")
    return dict(name=request.get("name"), type=request.get("type") or "client", restricted=bool(request.get("restricted")),
                projects=sorted(request.get("projects") or []), addresses=list(metadata.get("addresses") or []),
                expires_at=None if parse_lxd_time(expires_at) is None else expires_at, created_at=operation.get("created_at"),
                operation=operation.get("id"))
