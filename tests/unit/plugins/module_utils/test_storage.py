# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage pool logic (create-only keys, keys LXD fills in, driver namespaces, cluster members,
the users that block a delete) on pool configs recorded from LXD 5.0."""

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._storage import (
    CREATE_ONLY,
    DRIVERS,
    MEMBER_KEYS,
    SERVER_DEFAULTED,
    STORAGE_POOL_CONFIG_RULES,
    blocking_users,
    check_create_only,
    check_driver_available,
    check_keys_for_driver,
    check_member_keys,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map

# GET /1.0/storage-pools/NAME on this LXD 5.0.2 after `lxc storage create NAME btrfs size=1GiB`
# (LXD added source: the loop file it made) and after `lxc storage create NAME dir`.
RECORDED_BTRFS = {"size": "1GiB", "source": "/var/lib/lxd/disks/fast.img"}
RECORDED_DIR = {"source": "/var/lib/lxd/storage-pools/plain"}
# The environment part of GET /1.0 on this machine.
STANDALONE = {"server_clustered": False, "storage_supported_drivers": [
    {"Name": "btrfs", "Remote": False, "Version": "6.2"}, {"Name": "dir", "Remote": False, "Version": "1"}]}
CLUSTERED = dict(STANDALONE, server_clustered=True)


def pool_config(current, wanted, merge=False):
    return desired_map(current, string_map("config", wanted), merge, **STORAGE_POOL_CONFIG_RULES)


def test_keys_lxd_filled_in_stay_when_not_written():
    assert pool_config(RECORDED_BTRFS, {"btrfs.mount_options": "compress=zstd"}) == dict(RECORDED_BTRFS, **{"btrfs.mount_options": "compress=zstd"})
    assert pool_config(RECORDED_DIR, {}) == RECORDED_DIR


def test_unlisted_user_keys_go_and_lxds_volatile_keys_stay():
    current = dict(RECORDED_BTRFS, **{"volume.size": "5GiB", "volatile.pool.pristine": "true"})
    assert pool_config(current, {"rsync.bwlimit": 10}) == dict(RECORDED_BTRFS, **{"rsync.bwlimit": "10", "volatile.pool.pristine": "true"})


def test_merge_keeps_everything_not_listed():
    current = dict(RECORDED_DIR, **{"volume.size": "5GiB"})
    assert pool_config(current, {"rsync.compression": False}, merge=True) == dict(current, **{"rsync.compression": "false"})


def test_every_create_only_key_is_kept_when_not_written():
    assert set(key for keys in CREATE_ONLY.values() for key in keys) <= set(SERVER_DEFAULTED)
    assert set(CREATE_ONLY) == set(DRIVERS)


def test_the_same_create_only_value_is_no_change():
    check_create_only("fast", "btrfs", "Created", RECORDED_BTRFS, pool_config(RECORDED_BTRFS, {"size": "1GiB", "source": RECORDED_BTRFS["source"]}))


@pytest.mark.parametrize("driver, current, wanted, key", [
    ("dir", RECORDED_DIR, {"source": "/srv/other"}, "source"),
    ("btrfs", RECORDED_BTRFS, {"size": "2GiB"}, "size"),
    ("zfs", {"source": "/var/lib/lxd/disks/z.img", "size": "5GiB", "zfs.pool_name": "z"}, {"zfs.pool_name": "other"}, "zfs.pool_name"),
    ("lvm", {"lvm.vg_name": "vg0", "lvm.thinpool_name": "LXDThinPool"}, {"lvm.vg_name": "vg1"}, "lvm.vg_name"),
    ("lvm", {"lvm.vg_name": "vg0", "lvm.thinpool_name": "LXDThinPool"}, {"lvm.thinpool_name": "tp"}, "lvm.thinpool_name"),
    ("lvm", {"lvm.vg_name": "vg0"}, {"lvm.use_thinpool": False}, "lvm.use_thinpool"),
    ("ceph", {"ceph.cluster_name": "ceph", "ceph.osd.pool_name": "lxd"}, {"ceph.cluster_name": "backup"}, "ceph.cluster_name"),
    ("ceph", {"ceph.cluster_name": "ceph", "ceph.osd.pool_name": "lxd"}, {"ceph.osd.pool_name": "other"}, "ceph.osd.pool_name"),
    ("cephfs", {"cephfs.cluster_name": "ceph", "cephfs.path": "/"}, {"cephfs.path": "/lxd"}, "cephfs.path"),
])
def test_a_create_only_change_is_refused_naming_the_key(driver, current, wanted, key):
    with pytest.raises(LxdkitError) as info:
        check_create_only("p1", driver, "Created", current, pool_config(current, wanted))
    assert info.value.msg.startswith("config.%s cannot change after creation: storage pool p1 (%s) has " % (key, driver))
    assert "delete the pool and create it anew" in info.value.msg


def test_a_create_only_key_added_later_is_a_change_too():
    with pytest.raises(LxdkitError, match="config.size cannot change after creation: storage pool p1 \\(btrfs\\) has no value, the task asks for '5GiB'"):
        check_create_only("p1", "btrfs", "Created", {"source": "/dev/sdb"}, pool_config({"source": "/dev/sdb"}, {"size": "5GiB"}))


def test_changeable_keys_pass_and_pending_pools_may_change_anything():
    check_create_only("p1", "btrfs", "Created", RECORDED_BTRFS, pool_config(RECORDED_BTRFS, {"btrfs.mount_options": "compress=zstd"}))
    check_create_only("p1", "zfs", "Pending", {"source": "/dev/sdb"}, {"source": "/dev/sdc"})


@pytest.mark.parametrize("driver, key", [("btrfs", "zfs.pool_name"), ("dir", "lvm.vg_name"), ("ceph", "cephfs.path"),
                                         ("btrfs", "volume.zfs.blocksize")])
def test_keys_of_another_driver_are_refused(driver, key):
    with pytest.raises(LxdkitError, match="config.%s does not apply to a %s pool" % (key.replace(".", "\\."), driver)):
        check_keys_for_driver(driver, {key: "x"})


def test_own_and_general_keys_pass():
    check_keys_for_driver("zfs", {"zfs.pool_name": "z", "volume.zfs.blocksize": "16KiB", "source": "/dev/sdb", "volume.size": "5GiB",
                                  "rsync.bwlimit": "10", "user.note": "x"})
    check_keys_for_driver("ceph", {"ceph.osd.pool_name": "lxd"})


def test_a_driver_the_server_lacks_is_refused_with_what_it_has():
    with pytest.raises(LxdkitError) as info:
        check_driver_available("zfs", STANDALONE, "unix:/var/lib/lxd/unix.socket")
    assert info.value.msg.startswith("driver: LXD at unix:/var/lib/lxd/unix.socket cannot make zfs pools (its storage drivers: btrfs, dir)")
    check_driver_available("btrfs", STANDALONE, "x")
    check_driver_available("zfs", {}, "x")  # a server that does not say: LXD decides


def test_in_a_cluster_member_keys_go_with_target_only():
    check_member_keys("node1", CLUSTERED, "https://c:8443", dict((key, "x") for key in MEMBER_KEYS))
    with pytest.raises(LxdkitError, match="config.rsync.bwlimit is not a per-member key: with target"):
        check_member_keys("node1", CLUSTERED, "https://c:8443", {"source": "/dev/sdb", "rsync.bwlimit": "10"})
    with pytest.raises(LxdkitError, match="config.source is per cluster member on the clustered LXD at https://c:8443"):
        check_member_keys(None, CLUSTERED, "https://c:8443", {"source": "/dev/sdb"})
    check_member_keys(None, CLUSTERED, "https://c:8443", {"rsync.bwlimit": "10"})


def test_cached_images_do_not_block_a_delete():
    used_by = ["/1.0/images/5f681de3", "/1.0/instances/c1?project=web", "/1.0/profiles/default",
               "/1.0/storage-pools/p1/volumes/custom/data"]
    assert blocking_users(used_by) == used_by[1:]
    assert blocking_users(None) == []
