# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_storage_volume and lxd_storage_volume_info runs on the fake LXD."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_storage_volume, lxd_storage_volume_info
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, run_module, sync, writes

VOLUMES = "storage-pools/default/volumes/custom"
DATA = {"name": "data", "type": "custom", "description": "", "content_type": "filesystem", "config": {"size": "1GiB"},
        "used_by": [], "location": "none"}


def with_pools(*names):
    fake = FakeLxd()
    for name in names:
        fake.route("GET", "storage-pools/" + name, sync({"name": name, "driver": "dir"}))
    return fake


def test_create_sends_content_type_and_string_config(capsys):
    fake = with_pools("default")
    fake.route("GET", VOLUMES + "/data", error(404, "not found"), sync(DATA))
    fake.route("POST", VOLUMES, operation())
    result = run_module(fake, lxd_storage_volume, capsys, name="data", pool="default", config={"size": "1GiB", "security.shifted": True})
    assert fake.requested("POST", VOLUMES)[0].json == {"name": "data", "description": "", "content_type": "filesystem",
                                                       "config": {"size": "1GiB", "security.shifted": "true"}}
    assert result["changed"] and result["storage_volume"]["pool"] == "default"


def test_keys_lxd_filled_in_stay_and_a_rerun_changes_nothing(capsys):
    fake = with_pools("default")
    fake.route("GET", VOLUMES + "/data", sync(DATA))
    result = run_module(fake, lxd_storage_volume, capsys, name="data", pool="default", config={})
    assert result["changed"] is False and writes(fake) == []


def test_a_copy_starts_as_its_source_and_names_it(capsys):
    fake = with_pools("default", "fast")
    fake.route("GET", VOLUMES + "/data", sync(dict(DATA, config={"size": "1GiB", "snapshots.expiry": "2w"})))
    fake.route("POST", "storage-pools/fast/volumes/custom", operation())
    run_module(fake, lxd_storage_volume, capsys, check_mode=False, name="copy", pool="fast", source="default/data", volume_only=True)
    body = fake.requested("POST", "storage-pools/fast/volumes/custom")[0].json
    assert body["source"] == {"type": "copy", "pool": "default", "name": "data", "volume_only": True}
    assert body["config"] == {"size": "1GiB", "snapshots.expiry": "2w"}  # config not given: the source's
    run_module(fake, lxd_storage_volume, capsys, name="copy2", pool="fast", source="default/data", config={"security.shifted": False})
    body = fake.requested("POST", "storage-pools/fast/volumes/custom")[1].json
    assert body["config"] == {"size": "1GiB", "security.shifted": "false"}  # replaced: LXD's size stays, the expiry goes


def test_a_move_posts_the_target_pool_and_a_finished_move_is_no_change(capsys):
    fake = with_pools("default", "fast")
    fake.route("GET", "storage-pools/fast/volumes/custom/data", sync(DATA))
    # Not in default (the module's look, the move's look), then there once moved.
    fake.route("GET", VOLUMES + "/data", error(404, "not found"), error(404, "not found"), sync(DATA))
    fake.route("POST", "storage-pools/fast/volumes/custom/data", operation())
    result = run_module(fake, lxd_storage_volume, capsys, name="data", pool="default", from_pool="fast", config={"size": "1GiB"})
    assert result["actions"] == ["move"] and result["diff"]["before"]["pool"] == "fast" and result["diff"]["after"]["pool"] == "default"
    assert fake.requested("POST", "storage-pools/fast/volumes/custom/data")[0].json == {"name": "data", "pool": "default"}

    done = with_pools("default", "fast")
    done.route("GET", VOLUMES + "/data", sync(DATA))
    result = run_module(done, lxd_storage_volume, capsys, name="data", pool="default", from_pool="fast", config={"size": "1GiB"})
    assert result["changed"] is False and writes(done) == []


def test_content_type_cannot_change_and_nothing_is_written(capsys):
    fake = with_pools("default")
    fake.route("GET", VOLUMES + "/data", sync(DATA))
    result = run_module(fake, lxd_storage_volume, capsys, name="data", pool="default", content_type="block")
    assert result["failed"] and result["msg"].startswith("content_type: volume default/data is a filesystem volume")
    assert writes(fake) == []


def test_a_missing_pool_is_named_before_anything_else(capsys):
    result = run_module(FakeLxd(), lxd_storage_volume, capsys, name="data", pool="nope")
    assert result["failed"] and result["msg"].startswith("pool: storage pool 'nope' does not exist")


def test_info_counts_snapshots_instead_of_listing_them(capsys):
    fake = with_pools("default")
    fake.route("GET", "storage-pools/default/volumes", sync([
        DATA, dict(DATA, name="data/snap0"), dict(DATA, name="data/snap1"),
        {"name": "web01", "type": "container", "config": {}, "used_by": ["/1.0/instances/web01"]}]))
    result = run_module(fake, lxd_storage_volume_info, capsys, pool="default")
    assert [(volume["type"], volume["name"], volume["snapshots_count"]) for volume in result["storage_volumes"]] == [
        ("container", "web01", 0), ("custom", "data", 2)]
    result = run_module(fake, lxd_storage_volume_info, capsys, pool="default", name="gone")
    assert result["failed"] and "no volume 'gone' in storage pool default" in result["msg"]
