# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_backup state=imported with a mapping, whole module runs on the fake LXD."""

from __future__ import annotations

import gzip
import json
import zlib

import yaml

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_backup
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, operation, run_module, sync, writes
from ansible_collections.lxdkit.lxd.tests.unit.plugins.module_utils.test_backup_mapping import _backup_tar

MAPPING = dict(pools={"default": "fast", "bulk": "slow"}, networks={"web-net": "br-web", "old-net": "br-web"}, profiles={"web": "web2"})


def _src(tmp_path):
    path = tmp_path / "c1.tar.gz"
    path.write_bytes(gzip.compress(_backup_tar()))
    return str(path)


def _target(fake, without=()):
    for path in ("storage-pools/fast", "storage-pools/slow", "networks/br-web", "profiles/default", "profiles/web2"):
        if path not in without:
            fake.route("GET", path, sync({"name": path.rsplit("/", 1)[-1]}))


def test_an_import_with_a_mapping_sends_the_renamed_backup(tmp_path, capsys):
    fake = FakeLxd()
    _target(fake)
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/c1"]}))
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Stopped", "profiles": ["default", "web2"]}))
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), mapping=MAPPING)
    assert result["changed"] and not result.get("failed"), result
    assert result["references"] == dict(pool="fast", pools=["slow"], networks=["br-web"], profiles=["default", "web2"], project="default")
    request = fake.requested("POST", "instances")[0]
    assert "X-LXD-pool" not in request.headers
    index = yaml.safe_load(zlib.decompress(request.data, 31)[512:].split(b"\0", 1)[0])
    assert index["pool"] == "fast" and index["config"]["container"]["profiles"] == ["default", "web2"]


def test_every_missing_name_fails_the_import_before_anything_is_sent(tmp_path, capsys):
    fake = FakeLxd()
    _target(fake, without=("storage-pools/fast", "profiles/web2"))
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), mapping=MAPPING)
    assert result["failed"]
    assert "storage pool 'fast' (mapped from 'default')" in result["msg"] and "profile 'web2' (mapped from 'web')" in result["msg"]
    assert "nothing was imported" in result["msg"] and len(result["missing"]) == 2
    assert writes(fake) == []


def test_without_a_mapping_the_names_are_checked_and_the_file_sent_as_it_is(tmp_path, capsys):
    fake = FakeLxd()
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path))
    assert result["failed"] and writes(fake) == []
    for name in ("storage pool 'default'", "storage pool 'bulk'", "network 'web-net'", "network 'old-net'", "profile 'web'"):
        assert name in result["msg"]
    fake = FakeLxd()
    for path in ("storage-pools/default", "storage-pools/bulk", "networks/web-net", "networks/old-net", "profiles/default", "profiles/web"):
        fake.route("GET", path, sync({}))
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/c1"]}))
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Stopped"}))
    src = _src(tmp_path)
    result = run_module(fake, lxd_backup, capsys, state="imported", src=src)
    assert result["changed"] and fake.requested("POST", "instances")[0].data == open(src, "rb").read()


def test_check_mode_checks_the_names_and_sends_nothing(tmp_path, capsys):
    fake = FakeLxd()
    _target(fake)
    result = run_module(fake, lxd_backup, capsys, check_mode=True, state="imported", src=_src(tmp_path), mapping=MAPPING)
    assert result["changed"] and result["instance"] is None and writes(fake) == []


def test_a_project_mapping_imports_into_that_project(tmp_path, capsys):
    fake = FakeLxd(projects=["default", "restored"])
    _target(fake)
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/c1?project=restored"]}))
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Stopped"}), project="restored")
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), mapping=dict(MAPPING, projects={"default": "restored"}))
    assert result["changed"] and result["references"]["project"] == "restored", result
    assert fake.requested("POST", "instances")[0].project == "restored"
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), mapping=dict(projects={"default": "nowhere"}))
    assert result["failed"] and "project 'nowhere' does not exist" in result["msg"]
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), project="restored",
                        mapping=dict(projects={"default": "other"}))
    assert result["failed"] and "name different projects" in result["msg"]
    assert len(fake.requested("POST", "instances")) == 1


def test_an_unused_mapping_entry_warns_and_a_volume_import_refuses_a_mapping(tmp_path, capsys):
    fake = FakeLxd()
    _target(fake)
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/c1"]}))
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Stopped"}))
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), mapping=dict(MAPPING, profiles={"web": "web2", "wbe": "x"}))
    assert "mapping: the backup" in json.dumps(result["warnings"]) and "profiles.wbe" in json.dumps(result["warnings"])
    result = run_module(fake, lxd_backup, capsys, state="imported", src=_src(tmp_path), pool="fast", volume="v", mapping=MAPPING)
    assert result["failed"] and "mapping is for instance backups" in result["msg"]
