# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_backup state=imported with mapping, on the fake LXD: the names checked on the target
before anything is sent, and the archive LXD gets (index.yaml and backup.yaml renamed, the
other members as they were, src untouched)."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

import yaml

from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import sha256_file, sidecar_line
from ansible_collections.lxdkit.lxd.plugins.modules import lxd_backup
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, operation, run_module, sync, writes

# What LXD 5.0.2 writes (trimmed): the instance, its snapshot, its pool and profiles.
INSTANCE = {"name": "web01", "project": "default", "profiles": ["default", "web"], "created_at": "2026-12-03T07:30:55.725534695Z",
            "devices": {"data": {"type": "disk", "pool": "fast", "source": "data", "path": "/srv"},
                        "eth1": {"type": "nic", "network": "br1", "name": "eth1"}},
            "expanded_devices": {"root": {"type": "disk", "path": "/", "pool": "default"},
                                 "eth1": {"type": "nic", "network": "br1", "name": "eth1"}}}
CONFIG = {"container": INSTANCE, "snapshots": [dict(INSTANCE, name="snap0")],
          "pool": {"name": "default", "driver": "dir", "config": {"source": "/var/lib/lxd/storage-pools/default"}},
          "profiles": [{"name": "default", "devices": {"root": {"type": "disk", "path": "/", "pool": "default"}}},
                       {"name": "web", "devices": {}}]}
INDEX = {"name": "web01", "backend": "dir", "pool": "default", "optimized": False, "type": "container", "config": CONFIG}
ROOTFS = os.urandom(3000)
MAPPING = {"pools": {"default": "tank", "fast": "quick"}, "networks": {"br1": "br9"}, "profiles": {"web": "www"}}


def backup(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (("backup/index.yaml", yaml.safe_dump(INDEX).encode()),
                           ("backup/container/backup.yaml", yaml.safe_dump(CONFIG).encode()),
                           ("backup/container/rootfs/bin/busybox", ROOTFS)):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "web01.tar.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    (tmp_path / "web01.tar.gz.sha256").write_bytes(sidecar_line(sha256_file(str(path)), str(path)))
    return path


def target(missing=()):
    fake = FakeLxd()
    for path in ("storage-pools/tank", "storage-pools/quick", "networks/br9", "profiles/default", "profiles/www"):
        if path.rsplit("/", 1)[-1] not in missing:
            fake.route("GET", path, sync({"name": path.rsplit("/", 1)[-1]}))
    fake.route("POST", "instances", operation({}, resources={"instances": ["/1.0/instances/web01"]}))
    fake.route("GET", "instances/web01", sync({"name": "web01", "status": "Stopped"}))
    return fake


def test_the_archive_lxd_gets_has_the_targets_names(tmp_path, capsys):
    src = backup(tmp_path)
    before = src.read_bytes()
    fake = target()
    result = run_module(fake, lxd_backup, capsys, state="imported", src=str(src), mapping=MAPPING)
    assert result["changed"] is True and result["actions"] == ["import"], result
    sent = fake.requested("POST", "instances")[0]
    with tarfile.open(fileobj=io.BytesIO(sent.data), mode="r:") as archive:  # a plain tar
        index = yaml.safe_load(archive.extractfile("backup/index.yaml").read())
        config = yaml.safe_load(archive.extractfile("backup/container/backup.yaml").read())
        assert archive.extractfile("backup/container/rootfs/bin/busybox").read() == ROOTFS
        assert archive.getmember("backup/container/rootfs/bin/busybox").mode == 0o755
    assert index["pool"] == "tank" and index["config"]["pool"]["name"] == "tank"
    for instance in (config["container"], config["snapshots"][0], index["config"]["container"]):
        assert instance["profiles"] == ["default", "www"]
        assert instance["devices"]["data"]["pool"] == "quick" and instance["devices"]["eth1"]["network"] == "br9"
        assert instance["expanded_devices"]["root"]["pool"] == "tank"
        assert instance["created_at"] == "2026-12-03T07:30:55.725534695Z"  # LXD's own timestamp text
    assert [profile["name"] for profile in config["profiles"]] == ["default", "www"]
    # src is as it was and the rewritten copy is gone.
    assert src.read_bytes() == before and sorted(os.listdir(str(tmp_path))) == ["web01.tar.gz", "web01.tar.gz.sha256"]


def test_every_missing_name_is_reported_before_anything_is_sent(tmp_path, capsys):
    src = backup(tmp_path)
    fake = target(missing=("tank", "br9", "www"))
    result = run_module(fake, lxd_backup, capsys, state="imported", src=str(src), mapping=MAPPING)
    assert result["failed"] is True and writes(fake) == []
    assert result["missing"] == ["storage pool tank", "network br9", "profile www"]
    assert "does not have: storage pool tank, network br9, profile www" in result["msg"] and "nothing was imported" in result["msg"]
    assert sorted(os.listdir(str(tmp_path))) == ["web01.tar.gz", "web01.tar.gz.sha256"]


def test_storage_pool_names_the_instances_pool_for_the_check(tmp_path, capsys):
    src = backup(tmp_path)
    fake = target(missing=("tank",))
    fake.route("GET", "storage-pools/other", sync({"name": "other"}))
    result = run_module(fake, lxd_backup, capsys, check_mode=True, state="imported", src=str(src), storage_pool="other",
                        mapping=dict(MAPPING, pools={"fast": "quick"}))
    assert result["changed"] is True and writes(fake) == []


def test_bad_mappings_are_refused_before_lxd_is_asked(tmp_path, capsys):
    src = backup(tmp_path)
    fake = FakeLxd()
    for args, expect in (
            (dict(mapping={"instances": {}}), "mapping has unknown key(s) instances; it takes pools, networks, profiles, projects"),
            (dict(mapping={"pools": {"default": "a b"}}), "mapping.pools.default 'a b' is not a valid LXD name"),
            (dict(mapping={"pools": {}}, volume="v1", pool="default"), "mapping is for state=imported of an instance backup"),
            (dict(mapping={"projects": {"default": "shop"}}), "mapping.projects maps the backup's project to shop, but the task imports "
                                                               "into project default: set project: shop")):
        result = run_module(fake, lxd_backup, capsys, state="imported", src=str(src), **args)
        assert result["failed"] is True and result["msg"].startswith(expect), result["msg"]
    assert writes(fake) == []
