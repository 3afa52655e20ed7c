# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole runs of lxd_storage_pool and lxd_storage_pool_info on the fake LXD: what is sent,
what is refused before anything is sent, and what is returned."""

from __future__ import annotations


import pytest

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_storage_pool, lxd_storage_pool_info
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, run_module, sync, writes


def lxd(clustered=False):
    """A fake LXD 5.0.2 with the storage drivers of the test machine."""
    environment = dict(SERVER["environment"], server_clustered=clustered, storage_supported_drivers=[
        {"Name": "btrfs", "Remote": False, "Version": "6.2"}, {"Name": "dir", "Remote": False, "Version": "1"}])
    return FakeLxd(server=dict(SERVER, environment=environment))


# GET /1.0/storage-pools/fast on LXD 5.0.2 after `lxc storage create fast btrfs size=1GiB`.
FAST = {"name": "fast", "driver": "btrfs", "description": "", "status": "Created", "locations": ["none"], "used_by": None,
        "config": {"size": "1GiB", "source": "/var/lib/lxd/disks/fast.img"}}


def test_create_sends_the_converted_config_and_returns_the_pool(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", error(404, "Storage pool not found"), sync(dict(FAST, config=dict(FAST["config"], **{"volume.size": "5GiB"}))))
    fake.route("POST", "storage-pools", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", driver="btrfs", config={"size": "1GiB", "volume.size": "5GiB"})
    assert result["changed"] is True and result["actions"] == ["create"] and result["old_state"] == "absent"
    assert fake.requested("POST", "storage-pools")[0].json == {
        "name": "fast", "driver": "btrfs", "description": "", "config": {"size": "1GiB", "volume.size": "5GiB"}}
    assert result["storage_pool"]["config"]["source"] == "/var/lib/lxd/disks/fast.img"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["config"] == {"size": "1GiB", "volume.size": "5GiB"}


def test_create_in_check_mode_plans_the_pool_without_writing(capsys):
    fake = lxd()
    result = run_module(fake, lxd_storage_pool, capsys, check_mode=True, name="plain", driver="dir", config={"rsync.bwlimit": 10})
    assert result["changed"] is True and writes(fake) == []
    assert result["storage_pool"] == {"name": "plain", "driver": "dir", "description": "", "config": {"rsync.bwlimit": "10"},
                                      "status": "Created", "locations": ["none"], "used_by": []}


def test_rerun_keeps_what_lxd_filled_in_and_changes_nothing(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(FAST))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", driver="btrfs", config={"size": "1GiB"})
    assert result["changed"] is False and writes(fake) == [] and result["old_state"] == "present"
    assert result["diff"]["before"] == result["diff"]["after"]


def test_update_puts_description_and_the_whole_config(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(FAST))
    fake.route("PUT", "storage-pools/fast", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", description="Fast pool", config={"btrfs.mount_options": "compress=zstd"})
    assert result["actions"] == ["update"]
    assert fake.requested("PUT", "storage-pools/fast")[0].json == {
        "description": "Fast pool", "config": dict(FAST["config"], **{"btrfs.mount_options": "compress=zstd"})}


def test_a_create_only_change_is_refused_with_no_write(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(FAST))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", config={"size": "2GiB"})
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("config.size cannot change after creation: storage pool fast (btrfs) has '1GiB', the task asks for '2GiB'")


def test_a_driver_change_is_refused_with_no_write(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(FAST))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", driver="dir")
    assert result["failed"] is True and writes(fake) == []
    assert "storage pool fast uses the btrfs driver and LXD cannot change a pool's driver to dir" in result["msg"]


@pytest.mark.parametrize("args, message", [
    (dict(name="new"), "driver: storage pool new does not exist; give its driver (dir, btrfs, lvm, zfs, ceph, cephfs) to create it"),
    (dict(name="new", driver="zfs"), "driver: LXD at unix:/run/fake-lxd/unix.socket cannot make zfs pools (its storage drivers: btrfs, dir)"),
    (dict(name="new", driver="btrfs", config={"zfs.pool_name": "z"}), "config.zfs.pool_name does not apply to a btrfs pool"),
    (dict(name="new", driver="dir", config={"source": ["/srv"]}), "config.source is a list"),
    (dict(name="new", driver="dir", target="node1"), "target 'node1' is for a cluster"),
    (dict(name="a/b", driver="dir"), "name 'a/b' is not a valid LXD name"),
])
def test_bad_input_is_refused_before_anything_is_sent(capsys, args, message):
    fake = lxd()
    result = run_module(fake, lxd_storage_pool, capsys, **args)
    assert result["failed"] is True and message in result["msg"] and writes(fake) == []


def test_delete_in_use_is_refused_naming_the_users_but_cached_images_do_not_count(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(dict(FAST, used_by=["/1.0/images/5f68", "/1.0/profiles/web"])))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", state="absent")
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"] == "storage pool fast is in use and cannot be deleted; first remove it from: /1.0/profiles/web"
    assert result["used_by"] == ["/1.0/profiles/web"]


def test_delete_of_a_pool_holding_only_cached_images_goes_ahead(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(dict(FAST, used_by=["/1.0/images/5f68"])))
    fake.route("DELETE", "storage-pools/fast", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="fast", state="absent")
    assert result["actions"] == ["delete"] and result["storage_pool"] is None and writes(fake) == ["DELETE storage-pools/fast"]
    assert result["diff"]["after"] == {}


def test_delete_of_a_missing_pool_is_no_change(capsys):
    fake = lxd()
    result = run_module(fake, lxd_storage_pool, capsys, name="gone", state="absent")
    assert result["changed"] is False and result["old_state"] == "absent" and writes(fake) == []


def test_a_member_task_defines_a_pending_pool_with_target_and_keeps_shared_keys(capsys):
    fake = lxd(clustered=True)
    pending = dict(FAST, name="local2", status="Pending", config={"source": "/dev/sdb", "volume.size": "5GiB"})
    fake.route("GET", "storage-pools/local2", error(404, "Storage pool not found"), sync(pending))
    fake.route("POST", "storage-pools", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="local2", driver="btrfs", target="node1", config={"source": "/dev/sdb"})
    post = fake.requested("POST", "storage-pools")[0]
    assert post.params["target"] == "node1" and post.json["config"] == {"source": "/dev/sdb"}
    assert fake.requested("GET", "storage-pools/local2")[0].params["target"] == "node1"
    assert result["actions"] == ["create"]
    fake.route("PUT", "storage-pools/local2", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="local2", target="node1", config={"source": "/dev/sdc"})
    put = fake.requested("PUT", "storage-pools/local2")[0]
    assert put.params["target"] == "node1" and put.json["config"] == {"source": "/dev/sdc", "volume.size": "5GiB"}


def test_info_lists_pools_with_their_resources_in_one_listing(capsys):
    fake = lxd()
    plain = dict(FAST, name="plain", driver="dir", used_by=["/1.0/profiles/default"], config={"source": "/var/lib/lxd/storage-pools/plain"})
    pending = dict(FAST, name="later", status="Pending")
    fake.route("GET", "storage-pools", sync([plain, FAST, pending]))
    fake.route("GET", "storage-pools/fast/resources", sync({"space": {"used": 6062080, "total": 1073741824}, "inodes": {"used": 0, "total": 0}}))
    fake.route("GET", "storage-pools/plain/resources", error(500, "Failed getting pool resources"))
    result = run_module(fake, lxd_storage_pool_info, capsys, check_mode=True)
    assert result["changed"] is False and writes(fake) == []
    assert fake.requested("GET", "storage-pools")[0].params == {"recursion": 1}
    assert [pool["name"] for pool in result["storage_pools"]] == ["fast", "later", "plain"]
    fast, later, plain_info = result["storage_pools"]
    assert fast == {"name": "fast", "driver": "btrfs", "description": "", "status": "Created", "locations": ["none"], "used_by": [],
                    "config": FAST["config"], "resources": {"space": {"used": 6062080, "total": 1073741824}, "inodes": {"used": 0, "total": 0}}}
    assert later["resources"] is None and plain_info["resources"] is None
    assert not fake.requested("GET", "storage-pools/later/resources")


def test_info_by_name_and_driver(capsys):
    fake = lxd()
    fake.route("GET", "storage-pools/fast", sync(FAST))
    fake.route("GET", "storage-pools/fast/resources", sync({"space": {"used": 1, "total": 2}, "inodes": {"used": 0, "total": 0}}))
    assert [pool["name"] for pool in run_module(fake, lxd_storage_pool_info, capsys, name="fast")["storage_pools"]] == ["fast"]
    assert run_module(fake, lxd_storage_pool_info, capsys, name="fast", type=["dir"])["storage_pools"] == []
    assert run_module(fake, lxd_storage_pool_info, capsys, name="missing")["storage_pools"] == []
    assert "storage-pools" not in [request.path for request in fake.requests]
