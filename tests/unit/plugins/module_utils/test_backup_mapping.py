# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import mapping: what a backup names, the check against the target, and the archive with its
YAML renamed while every other member goes through unchanged."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import tarfile
import zlib

import pytest
import yaml

from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_mapping import (
    backup_names,
    check_mapping,
    foreign_config_keys,
    map_config,
    mapped_archive,
    missing_on_target,
    read_backup_config,
    target_names,
    unused_mapping,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, sync

# As LXD 5.0.2 writes it (trimmed): timestamps with nanoseconds, unquoted.
BACKUP_YAML = """\
container:
  config:
    volatile.idmap.base: "0"
    user.note: "yes"
  devices:
    eth1:
      name: eth1
      network: web-net
      type: nic
    data:
      path: /srv
      pool: bulk
      source: data
      type: disk
  profiles:
  - default
  - web
  created_at: 2026-12-03T07:28:04.801862824Z
  expanded_devices:
    eth0:
      name: eth0
      network: lxdbr0
      type: nic
    eth1:
      name: eth1
      network: web-net
      type: nic
    root:
      path: /
      pool: default
      type: disk
  name: c1
  project: default
snapshots:
- name: s0
  created_at: 2026-12-03T07:28:05.021233703Z
  expires_at: 0001-01-01T00:00:00Z
  devices:
    eth2:
      name: eth2
      network: old-net
      type: nic
  profiles:
  - default
  - web
pool:
  name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
- name: web
  devices: {}
volume:
  name: c1
  project: default
"""

MAPPING = dict(pools={"default": "fast", "bulk": "slow"}, networks={"web-net": "br-web"}, profiles={"web": "web2"},
               projects={"default": "restored"})


def _index(config=True):
    index = {"name": "c1", "backend": "dir", "pool": "default", "snapshots": ["s0"], "optimized": False, "type": "container"}
    text = yaml.safe_dump(index, sort_keys=False)
    if config:
        text += "config:\n" + "".join("  " + line + "\n" for line in BACKUP_YAML.splitlines())
    return text.encode()


def _add(archive, name, data=b"", **attributes):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1764746884
    for key, value in attributes.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data) if data else None)


def _backup_tar(index_config=True, big_files=0):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        _add(archive, "backup/index.yaml", _index(index_config))
        _add(archive, "backup/snapshots/s0/backup.yaml", BACKUP_YAML.encode())
        _add(archive, "backup/container/backup.yaml", BACKUP_YAML.encode())
        _add(archive, "backup/container/rootfs/etc/data", b"x" * 1000, pax_headers={"SCHILY.xattr.user.k": "v"})
        _add(archive, "backup/container/rootfs/" + "d" * 120 + "/long", b"long name")
        _add(archive, "backup/container/rootfs/link", type=tarfile.SYMTYPE, linkname="etc/data")
        _add(archive, "backup/container/rootfs/hard", type=tarfile.LNKTYPE, linkname="backup/container/rootfs/etc/data")
        _add(archive, "backup/container/rootfs/empty", b"")
        for number in range(big_files):
            _add(archive, "backup/container/rootfs/big%d" % number, os.urandom(256 * 1024))
    return raw.getvalue()


@pytest.fixture
def backup_file(tmp_path):
    path = tmp_path / "c1.tar.gz"
    path.write_bytes(gzip.compress(_backup_tar()))
    return str(path)


def _members(data):
    found = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        for member in archive:
            content = archive.extractfile(member).read() if member.isfile() else None
            found[member.name] = (member.type, member.linkname, member.mode, member.mtime, dict(member.pax_headers), content)
    return found


def test_a_backup_names_its_pools_networks_profiles_and_project(backup_file):
    names = backup_names(*read_backup_config(backup_file))
    assert names == dict(pool="default", pools={"bulk"}, networks={"web-net", "old-net"}, profiles={"default", "web"}, project="default")


def test_a_zstd_backup_is_read_up_to_its_index_without_a_broken_pipe_taken_for_damage(tmp_path):
    path = tmp_path / "c1.tar.zst"
    tar = _backup_tar(big_files=40)  # 10 MiB: zstd is still writing when the reader stops after the index
    path.write_bytes(subprocess.run(["zstd", "-q", "-c", "-1"], input=tar, stdout=subprocess.PIPE, check=True).stdout)
    index, config = read_backup_config(str(path))
    assert index["name"] == "c1" and config["container"]["name"] == "c1"
    out = zlib.decompress(b"".join(mapped_archive(str(path), check_mapping(MAPPING))), 31)
    assert list(_members(out)) == list(_members(tar))


def test_without_config_in_the_index_the_instances_backup_yaml_is_read(tmp_path):
    path = tmp_path / "old.tar"
    path.write_bytes(_backup_tar(index_config=False))
    index, config = read_backup_config(str(path))
    assert index["pool"] == "default" and config["container"]["profiles"] == ["default", "web"]


def test_an_archive_without_an_index_is_refused(tmp_path):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        _add(archive, "backup/container/backup.yaml", BACKUP_YAML.encode())
    (tmp_path / "x.tar").write_bytes(raw.getvalue())
    with pytest.raises(LxdkitError, match="holds no backup/index.yaml"):
        read_backup_config(str(tmp_path / "x.tar"))


def test_the_mapping_renames_the_yaml_and_leaves_every_other_member_as_it_was(backup_file):
    mapping = check_mapping(MAPPING)
    out = b"".join(mapped_archive(backup_file, mapping))
    assert out[:2] == b"\x1f\x8b"  # gzip, which LXD takes
    tar = zlib.decompress(out, 31)
    before, after = _members(_backup_tar()), _members(tar)
    assert list(before) == list(after)
    for name in before:
        if not name.endswith(".yaml"):
            assert after[name] == before[name], name
    container = yaml.safe_load(after["backup/container/backup.yaml"][5])
    assert container["container"]["profiles"] == ["default", "web2"]
    assert container["container"]["devices"]["eth1"]["network"] == "br-web"
    assert container["container"]["devices"]["data"]["pool"] == "slow"
    assert container["container"]["expanded_devices"]["root"]["pool"] == "fast"
    assert container["container"]["expanded_devices"]["eth0"]["network"] == "lxdbr0"  # not mapped: unchanged
    assert container["container"]["project"] == "restored" and container["volume"]["project"] == "restored"
    assert container["pool"]["name"] == "fast" and [p["name"] for p in container["profiles"]] == ["default", "web2"]
    assert container["container"]["config"] == {"volatile.idmap.base": "0", "user.note": "yes"}  # strings stay strings
    index = yaml.safe_load(after["backup/index.yaml"][5])
    assert index["pool"] == "fast" and index["config"]["container"]["devices"]["eth1"]["network"] == "br-web"
    snapshot = yaml.safe_load(after["backup/snapshots/s0/backup.yaml"][5])
    assert snapshot["snapshots"][0]["profiles"] == ["default", "web2"]
    # Timestamps go back as LXD wrote them: unquoted, nanoseconds kept (Go parses them into time.Time).
    text = after["backup/container/backup.yaml"][5].decode()
    assert "created_at: 2026-12-03T07:28:04.801862824Z\n" in text and "expires_at: 0001-01-01T00:00:00Z\n" in text


def test_the_storage_pool_option_wins_for_the_root_disk_and_the_volume():
    config = yaml.safe_load(BACKUP_YAML)
    map_config(config, check_mapping(MAPPING), pool="given")
    assert config["container"]["expanded_devices"]["root"]["pool"] == "given" and config["pool"]["name"] == "given"
    assert config["container"]["devices"]["data"]["pool"] == "slow"


def test_an_lxd_backup_for_incus_gets_incus_key_names_in_every_config(tmp_path):
    text = BACKUP_YAML.replace('    user.note: "yes"\n', '    user.note: "yes"\n    security.devlxd: "false"\n', 1)
    text = text.replace("- name: web\n  devices: {}", "- name: web\n  config:\n    security.devlxd.images: \"true\"\n  devices: {}")
    config = yaml.safe_load(text)
    assert foreign_config_keys(config, "incus") == ["security.devlxd", "security.devlxd.images"]
    assert foreign_config_keys(config, "lxd") == []
    path = tmp_path / "c1.tar.gz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        _add(archive, "backup/index.yaml", _index(False))
        _add(archive, "backup/container/backup.yaml", text.encode())
    path.write_bytes(gzip.compress(raw.getvalue()))
    after = _members(zlib.decompress(b"".join(mapped_archive(str(path), check_mapping(None), server="incus")), 31))
    rewritten = yaml.safe_load(after["backup/container/backup.yaml"][5])
    assert rewritten["container"]["config"] == {"volatile.idmap.base": "0", "user.note": "yes", "security.guestapi": "false"}
    assert rewritten["profiles"][1]["config"] == {"security.guestapi.images": "true"}
    assert rewritten["container"]["profiles"] == ["default", "web"]  # no mapping: names unchanged
    assert foreign_config_keys(rewritten, "incus") == []


def test_two_profiles_mapped_to_one_are_listed_once():
    config = yaml.safe_load(BACKUP_YAML)
    map_config(config, check_mapping(dict(profiles={"web": "default"})))
    assert config["container"]["profiles"] == ["default"]


def test_a_damaged_compressed_backup_is_named(tmp_path, backup_file):
    data = bytearray(open(backup_file, "rb").read())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "bad.tar.gz").write_bytes(bytes(data))
    with pytest.raises(LxdkitError, match="damaged|not a tar"):
        b"".join(mapped_archive(str(tmp_path / "bad.tar.gz"), check_mapping(MAPPING)))


@pytest.mark.parametrize("mapping, message", [
    ("pools", "mapping must be a dict"),
    ({"pool": {}}, "unknown key"),
    ({"pools": ["a"]}, "mapping.pools must be a dict"),
    ({"networks": {"a": "b/c"}}, "mapping.networks.a 'b/c' is not a valid LXD name"),
])
def test_bad_mappings_are_named(mapping, message):
    with pytest.raises(LxdkitError, match=message):
        check_mapping(mapping)


def test_every_missing_name_is_reported_after_the_mapping():
    fake = FakeLxd()
    fake.route("GET", "storage-pools/slow", sync({"name": "slow"}))
    fake.route("GET", "networks/old-net", sync({"name": "old-net"}))
    fake.route("GET", "profiles/default", sync({"name": "default"}))
    names = dict(pool="default", pools={"bulk"}, networks={"web-net", "old-net"}, profiles={"default", "web"}, project="default")
    missing = missing_on_target(fake.client(), check_mapping(MAPPING), names)
    assert missing == ["storage pool 'fast' (mapped from 'default')", "network 'br-web' (mapped from 'web-net')",
                       "profile 'web2' (mapped from 'web')"]
    missing = missing_on_target(fake.client(), check_mapping(None), names, pool="slow")
    assert missing == ["storage pool 'bulk'", "network 'web-net'", "profile 'web'"]
    assert not [call for call in fake.calls if not call.startswith("GET")]


def test_target_names_and_unused_entries():
    names = dict(pool="default", pools={"bulk"}, networks={"web-net"}, profiles={"default", "web"}, project="default")
    assert target_names(check_mapping(MAPPING), names) == dict(pool="fast", pools=["slow"], networks=["br-web"],
                                                               profiles=["default", "web2"], project="restored")
    assert unused_mapping(check_mapping(dict(pools={"defualt": "x"}, networks={"web-net": "y"})), names) == ["pools.defualt"]
