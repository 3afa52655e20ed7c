# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage pool logic without LXD calls: the drivers LXD 5.0 knows, config keys that take
effect only when a pool is created, keys LXD fills in, per-member keys of a cluster, and the
users that keep a pool from being deleted. Every check runs before anything is sent to LXD,
so a refused task changes nothing."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# The storage drivers of LXD 5.0 (cephobject, powerflex and the others came later).
DRIVERS = ("dir", "btrfs", "lvm", "zfs", "ceph", "cephfs")

# Why each create-only key cannot change; the text ends the refusal.
_SIZE_REASON = ("LXD 5.0 uses size only to make the loop file of a new pool and stores a later value without "
                "resizing anything; grow a loop pool on the host as LXD's 'Resize a storage pool' guide describes")
_NAME_REASON = "it names what the pool was made from on the host or the storage cluster"
_CREATE_ONLY_REASONS = {
    "source": "LXD refuses to change the source of a pool it has created",
    "size": _SIZE_REASON,
    "zfs.pool_name": "LXD refuses to change it (the zpool or dataset the pool lives in)",
    "lvm.vg_name": "it names the volume group on the host, which LXD would rename (vgrename) under anything else using it; "
                   "rename it with lxc storage set if that is really meant",
    "lvm.thinpool_name": "it names the thin pool on the host, which LXD would rename (lvrename); "
                         "rename it with lxc storage set if that is really meant",
    "lvm.use_thinpool": "LXD refuses to change it",
    "lvm.thinpool_metadata_size": "LXD uses it only when it makes the thin pool",
    "ceph.cluster_name": _NAME_REASON,
    "ceph.osd.pool_name": _NAME_REASON,
    "ceph.osd.data_pool_name": _NAME_REASON,
    "ceph.osd.pg_num": "LXD uses it only when it makes the OSD pool",
    "cephfs.cluster_name": _NAME_REASON,
    "cephfs.path": _NAME_REASON,
}

# Config keys that take effect only when the pool is created, per driver (LXD 5.0's storage
# driver reference and its drivers' Update): a change is refused before LXD sees it.
CREATE_ONLY = {
    "dir": ("source",),
    "btrfs": ("source", "size"),
    "lvm": ("source", "size", "lvm.vg_name", "lvm.thinpool_name", "lvm.use_thinpool", "lvm.thinpool_metadata_size"),
    "zfs": ("source", "size", "zfs.pool_name"),
    "ceph": ("source", "ceph.cluster_name", "ceph.osd.pool_name", "ceph.osd.data_pool_name", "ceph.osd.pg_num"),
    "cephfs": ("source", "cephfs.cluster_name", "cephfs.path"),
}

# Keys LXD fills in when a pool is created without them (the loop file or directory it made,
# the names it chose) and the create-only keys: when the user does not write them they keep
# the pool's value (``desired_map``'s ``server_defaulted``), so a rerun is no change.
SERVER_DEFAULTED = tuple(sorted(set(key for keys in CREATE_ONLY.values() for key in keys)
                                | set(("ceph.user.name", "cephfs.user.name"))))

# How a pool's config merges (``_reconcile.desired_map``'s keyword arguments).
STORAGE_POOL_CONFIG_RULES = dict(server_defaulted=SERVER_DEFAULTED)

# The keys one cluster member may have its own value for (with ``target``).
MEMBER_KEYS = ("source", "size", "zfs.pool_name", "lvm.thinpool_name", "lvm.vg_name")


def check_keys_for_driver(driver, config):
    """Refuse keys of another driver's namespace (``zfs.pool_name`` on a btrfs pool)."""
    for key in sorted(config or {}):
        parts = key.split(".")
        namespace = parts[1] if parts[0] == "volume" and len(parts) > 2 else parts[0]
        if namespace in DRIVERS and namespace != driver:
            raise LxdkitError("config.%s does not apply to a %s pool: %s.* keys are for the %s driver"
                              % (key, driver, namespace, namespace))


def check_create_only(name, driver, status, current, wanted):
    """Refuse a change of a key that takes effect only when the pool is created.

    ``current`` and ``wanted`` are whole config maps (see ``desired_map``). A pool that is still
    pending (a cluster pool defined on its members but not created yet) may change them all.
    """
    if status == "Pending":
        return
    for key in CREATE_ONLY.get(driver, ()):
        if current.get(key) != wanted.get(key):
            raise LxdkitError(
                "config.%s cannot change after creation: storage pool %s (%s) has %s, the task asks for %s; %s. "
                "To change it, delete the pool and create it anew"
                % (key, name, driver, _shown(current.get(key)), _shown(wanted.get(key)), _CREATE_ONLY_REASONS[key]))


def check_driver_available(driver, environment, where):
    """Refuse a driver the server cannot use (GET /1.0's ``storage_supported_drivers``)."""
    available = sorted(entry.get("Name") for entry in environment.get("storage_supported_drivers") or [])
    if available and driver not in available:
        raise LxdkitError("driver: LXD at %s cannot make %s pools (its storage drivers: %s); install the %s tools "
                          "on the host and restart LXD, or choose another driver" % (where, driver, ", ".join(available), driver))


def check_member_keys(target, environment, where, config):
    """In a cluster, the per-member keys go only with ``target`` (LXD keeps them apart: a task
    without target sees and sets the others). A standalone server's refusal of ``target`` is
    ``_resources.check_target``'s."""
    clustered = bool(environment.get("server_clustered"))
    for key in sorted(config or {}):
        if target and key not in MEMBER_KEYS:
            raise LxdkitError("config.%s is not a per-member key: with target, config takes only %s; set the other keys "
                              "in a task without target" % (key, ", ".join(MEMBER_KEYS)))
        if clustered and not target and key in MEMBER_KEYS:
            raise LxdkitError("config.%s is per cluster member on the clustered LXD at %s: give it in member_config (one "
                              "value per member), or in a task with target (one per member)" % (key, where))


def blocking_users(used_by):
    """The users that keep LXD from deleting a pool: all but images, whose cached copies in
    the pool LXD deletes with it."""
    return [user for user in used_by or [] if not user.split("?", 1)[0].startswith("/1.0/images/")]


def _shown(value):
    return "no value" if value is None else repr(value)
