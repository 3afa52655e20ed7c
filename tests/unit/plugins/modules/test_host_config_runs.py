# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole lxd_host_config runs on the fake LXD: the document written (what is left out, the
sidecar, no change for the same objects) and the restore (verified first, planned whole, in
dependency order, idempotent, mapped)."""

from __future__ import annotations

import json
import os

import yaml

from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import sha256_file, sidecar_line
from ansible_collections.lxdkit.lxd.plugins.modules import lxd_host_config
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, operation, run_module, sync, writes

ENVIRONMENT = dict(SERVER["environment"], server_name="lxd01", storage_supported_drivers=[{"Name": "dir"}, {"Name": "btrfs"}])
FEATURES = {"features.images": "true", "features.networks": "true", "features.profiles": "true", "features.storage.volumes": "true"}
DEFAULT = {"name": "default", "description": "Default LXD project", "config": FEATURES, "used_by": []}
WEB = {"name": "web", "description": "Web", "config": {"features.profiles": "true", "features.storage.volumes": "true", "features.images": "false"},
       "used_by": []}
POOL = {"name": "fast", "driver": "dir", "description": "", "status": "Created", "used_by": [],
        "config": {"source": "/var/lib/lxd/storage-pools/fast", "volatile.initial_source": "/x", "rsync.bwlimit": "10"}}
BRIDGE = {"name": "br1", "type": "bridge", "managed": True, "description": "", "status": "Created", "used_by": [],
          "config": {"ipv4.address": "10.251.1.1/24", "ipv4.nat": "false", "ipv6.address": "none", "security.acls": "web-in"}}
HOST_NIC = {"name": "eth0", "type": "physical", "managed": False, "description": "", "config": {}}
ACL = {"name": "web-in", "description": "", "config": {}, "used_by": [],
       "ingress": [{"action": "allow", "protocol": "tcp", "destination_port": "80", "state": "enabled", "source": "", "description": ""}],
       "egress": []}
PROFILE = {"name": "web", "description": "Web servers", "config": {"limits.cpu": "2"}, "used_by": [],
           "devices": {"root": {"type": "disk", "path": "/", "pool": "fast"}, "eth0": {"type": "nic", "network": "br1", "name": "eth0"}}}
WEB_DEFAULT = {"name": "default", "description": "", "config": {}, "devices": {"root": {"type": "disk", "path": "/", "pool": "fast"}}, "used_by": []}
HOST_DEFAULT = {"name": "default", "description": "Default LXD profile", "config": {}, "devices": {}, "used_by": []}
VOLUME = {"name": "data", "type": "custom", "content_type": "filesystem", "description": "", "config": {"user.note": "hi", "volatile.idmap": "x"}}
IMAGE_VOLUME = {"name": "abc123", "type": "image", "content_type": "filesystem", "description": "", "config": {}}


def lxd():
    return FakeLxd(projects=["default", "web"], server=dict(SERVER, environment=ENVIRONMENT))


def source_server():
    """The server the tests export: a project web with its own profiles and volumes."""
    fake = lxd()
    fake.route("GET", "projects", sync([DEFAULT, WEB]))
    fake.route("GET", "storage-pools", sync([POOL]))
    fake.route("GET", "networks", sync([BRIDGE, HOST_NIC]), project="default")
    fake.route("GET", "network-acls", sync([ACL]), project="default")
    fake.route("GET", "profiles", sync([HOST_DEFAULT]), project="default")
    fake.route("GET", "profiles", sync([WEB_DEFAULT, PROFILE]), project="web")
    fake.route("GET", "storage-pools/fast/volumes/custom", sync([]), project="default")
    fake.route("GET", "storage-pools/fast/volumes/custom", sync([VOLUME, IMAGE_VOLUME]), project="web")
    return fake


def export(fake, capsys, dest, check_mode=False, **args):
    return run_module(fake, lxd_host_config, capsys, check_mode, state="exported", dest=str(dest), **args)


def restore(fake, capsys, src, check_mode=False, **args):
    return run_module(fake, lxd_host_config, capsys, check_mode, state="restored", src=str(src), **args)


def exported_document(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    export(source_server(), capsys, dest)
    return dest


# -- export -------------------------------------------------------------------------------------

def test_export_writes_one_document_with_its_sidecar_and_leaves_out_what_lxd_made(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    result = export(source_server(), capsys, dest)
    assert result["changed"] is True and result["actions"] == ["export"]
    document = yaml.safe_load(dest.read_bytes())
    assert document == result["document"]
    assert document["format"] == "lxdkit.lxd/host-config" and document["version"] == 1 and document["server"] == "lxd01"
    assert [project["name"] for project in document["projects"]] == ["default", "web"]
    # The pool's directory under LXD_DIR and the volatile keys are the old server's own.
    assert document["storage_pools"] == [{"name": "fast", "driver": "dir", "description": "", "config": {"rsync.bwlimit": "10"}}]
    assert [network["name"] for network in document["networks"]] == ["br1"]  # the host's eth0 is not LXD's
    assert document["network_acls"][0]["ingress"] == [{"action": "allow", "protocol": "tcp", "destination_port": "80", "state": "enabled"}]
    assert [(profile["project"], profile["name"]) for profile in document["profiles"]] == [("default", "default"), ("web", "default"), ("web", "web")]
    assert document["storage_volumes"] == [{"project": "web", "pool": "fast", "name": "data", "content_type": "filesystem",
                                            "description": "", "config": {"user.note": "hi"}}]
    assert (tmp_path / "host-config.yaml.sha256").read_bytes() == sidecar_line(sha256_file(str(dest)), str(dest))
    assert result["sha256"] == sha256_file(str(dest)) and oct(os.stat(str(dest)).st_mode & 0o777) == "0o600"
    assert writes(source_server()) == []


def test_the_same_objects_give_the_same_file_and_no_change(tmp_path, capsys):
    dest = exported_document(tmp_path, capsys)
    content, mtime = dest.read_bytes(), dest.stat().st_mtime_ns
    result = export(source_server(), capsys, dest)
    assert result["changed"] is False and result["actions"] == []
    assert dest.read_bytes() == content and dest.stat().st_mtime_ns == mtime
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_damaged_or_missing_sidecar_is_written_again(tmp_path, capsys):
    dest = exported_document(tmp_path, capsys)
    os.unlink(str(dest) + ".sha256")
    assert export(source_server(), capsys, dest)["changed"] is True
    assert sha256_file(str(dest)) in open(str(dest) + ".sha256").read()


def test_export_in_check_mode_writes_nothing(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    result = export(source_server(), capsys, dest, check_mode=True)
    assert result["changed"] is True and os.listdir(str(tmp_path)) == []
    assert result["diff"]["before"] == {} and result["diff"]["after"]["server"] == "lxd01"


def test_include_limits_the_document_to_the_names_given(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    result = export(source_server(), capsys, dest, include={"projects": ["web"], "profiles": ["w*"]})
    document = result["document"]
    assert [project["name"] for project in document["projects"]] == ["web"]
    assert [(profile["project"], profile["name"]) for profile in document["profiles"]] == [("web", "web")]
    # The default project's definition is left out, not its objects (those of every project are read).
    assert [network["name"] for network in document["networks"]] == ["br1"] and document["network_acls"][0]["project"] == "default"
    assert [volume["name"] for volume in document["storage_volumes"]] == ["data"]


def test_export_refuses_a_directory_unknown_include_keys_and_a_project(tmp_path, capsys):
    result = export(lxd(), capsys, tmp_path)
    assert result["failed"] is True and "dest (%s) is a directory" % tmp_path in result["msg"]
    result = export(lxd(), capsys, tmp_path / "x.yaml", include={"instances": ["a"]})
    assert result["failed"] is True and result["msg"].startswith("include has unknown key(s) instances")
    result = export(lxd(), capsys, tmp_path / "x.yaml", project="web")
    assert result["failed"] is True and result["msg"].startswith("project: lxd_host_config covers every project")
    result = run_module(lxd(), lxd_host_config, capsys, state="exported", dest=str(tmp_path / "x.yaml"), mapping={})
    assert result["failed"] is True and result["msg"] == "mapping is for state=restored, not state=exported: leave it out"
    assert os.listdir(str(tmp_path)) == []


# -- restore: the document checked first -----------------------------------------------------------

def test_restore_without_a_sidecar_or_with_a_damaged_document_changes_nothing(tmp_path, capsys):
    dest = exported_document(tmp_path, capsys)
    sidecar = open(str(dest) + ".sha256").read()
    os.unlink(str(dest) + ".sha256")
    fake = lxd()
    result = restore(fake, capsys, dest)
    assert result["failed"] is True and "has no checksum sidecar host-config.yaml.sha256" in result["msg"]
    with open(str(dest) + ".sha256", "w") as out:
        out.write(sidecar)
    content = bytearray(dest.read_bytes())
    content[40] ^= 0x01
    dest.write_bytes(bytes(content))
    result = restore(fake, capsys, dest)
    assert result["failed"] is True and "does not match its checksum host-config.yaml.sha256" in result["msg"]
    assert "nothing was restored" in result["msg"]
    assert fake.calls == []  # refused before LXD is even asked


def test_a_file_of_another_format_is_refused(tmp_path, capsys):
    src = tmp_path / "other.yaml"
    src.write_bytes(b"format: something\n")
    (tmp_path / "other.yaml.sha256").write_bytes(sidecar_line(sha256_file(str(src)), str(src)))
    result = restore(lxd(), capsys, src)
    assert result["failed"] is True and "is not a host configuration document" in result["msg"]


# -- restore onto a server ---------------------------------------------------------------------------

def empty_target():
    """A new server: the default project, pool, bridge and profile, nothing else."""
    fake = lxd()
    fake.projects = {"default"}
    fake.route("GET", "projects/default", sync(DEFAULT))
    fake.route("GET", "storage-pools/default", sync(dict(POOL, name="default", config={})))
    fake.route("GET", "profiles/default", sync(HOST_DEFAULT), project="default")
    for method, path in (("POST", "projects"), ("POST", "storage-pools"), ("POST", "network-acls"), ("POST", "networks"),
                         ("PUT", "profiles/default"), ("POST", "profiles"), ("POST", "storage-pools/fast/volumes/custom")):
        fake.route(method, path, sync(None))
    return fake


def test_restore_creates_everything_in_dependency_order(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    result = restore(fake, capsys, src)
    assert result["changed"] is True
    assert result["actions"] == ["create project web", "create storage pool fast", "create network ACL web-in", "create network br1",
                                 "update profile web/default", "create profile web/web", "create volume fast/web/data"]
    assert writes(fake) == ["POST projects", "POST storage-pools", "POST network-acls", "POST networks", "PUT profiles/default",
                            "POST profiles", "POST storage-pools/fast/volumes/custom"]
    assert fake.requested("POST", "projects")[0].json == {"name": "web", "description": "Web", "config": WEB["config"]}
    assert fake.requested("POST", "storage-pools")[0].json == {"name": "fast", "driver": "dir", "description": "", "config": {"rsync.bwlimit": "10"}}
    assert fake.requested("POST", "networks")[0].json["config"]["security.acls"] == "web-in"
    # The new project's own default profile exists once the project does: it is updated, in that project.
    assert [(request.project, request.json) for request in fake.requested("PUT", "profiles/default")] == [
        ("web", {"description": "", "config": {}, "devices": WEB_DEFAULT["devices"]})]
    profile = fake.requested("POST", "profiles")[0]
    assert profile.project == "web" and profile.json["devices"] == PROFILE["devices"]
    volume = fake.requested("POST", "storage-pools/fast/volumes/custom")[0]
    assert volume.project == "web" and volume.json == {"name": "data", "type": "custom", "content_type": "filesystem", "description": "",
                                                       "config": {"user.note": "hi"}}
    assert result["diff"]["before"]["networks"] == {"br1": None} and result["diff"]["after"]["networks"]["br1"]["name"] == "br1"


def test_include_restores_part_of_the_document(tmp_path, capsys):
    # A recovery leaves the volume definitions to the volumes' own backups (their data).
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    result = restore(fake, capsys, src, include={"storage_volumes": []})
    assert result["changed"] is True and "create volume fast/web/data" not in result["actions"]
    assert "POST storage-pools/fast/volumes/custom" not in writes(fake) and "POST networks" in writes(fake)


def test_restore_in_check_mode_plans_the_same_without_writing(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    result = restore(fake, capsys, src, check_mode=True)
    assert result["changed"] is True and len(result["actions"]) == 7 and writes(fake) == []


def restored_target():
    """A server that has every object of the document as it is there, with what LXD adds."""
    fake = lxd()
    fake.route("GET", "projects/default", sync(DEFAULT))
    fake.route("GET", "projects/web", sync(WEB))
    fake.route("GET", "storage-pools/fast", sync(dict(POOL, config=dict(POOL["config"], source="/other/lxd/storage-pools/fast"))))
    fake.route("GET", "network-acls/web-in", sync(ACL), project="default")
    fake.route("GET", "networks/br1", sync(dict(BRIDGE, config=dict(BRIDGE["config"], **{"volatile.bridge.hwaddr": "00:16:3e:00:00:01"}))),
               project="default")
    fake.route("GET", "profiles/default", sync(HOST_DEFAULT), project="default")
    fake.route("GET", "profiles/default", sync(WEB_DEFAULT), project="web")
    fake.route("GET", "profiles/web", sync(PROFILE), project="web")
    fake.route("GET", "storage-pools/fast/volumes/custom/data", sync(VOLUME), project="web")
    return fake


def test_a_second_restore_changes_nothing(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = restored_target()
    result = restore(fake, capsys, src)
    assert result["changed"] is False and result["actions"] == [] and writes(fake) == []


def test_objects_present_with_other_settings_are_updated_keeping_lxds_keys(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = restored_target()
    fake.route("GET", "profiles/web", sync(dict(PROFILE, config={"limits.cpu": "4", "volatile.x": "1"}, devices={})), project="web")
    fake.route("PUT", "profiles/web", sync(None), project="web")
    result = restore(fake, capsys, src)
    assert result["actions"] == ["update profile web/web"]
    assert fake.requested("PUT", "profiles/web")[0].json == {
        "description": "Web servers", "config": {"limits.cpu": "2", "volatile.x": "1"}, "devices": PROFILE["devices"]}


def test_a_pool_with_another_driver_fails_before_any_write(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    fake.route("GET", "storage-pools/fast", sync(dict(POOL, driver="btrfs", config={})))
    result = restore(fake, capsys, src)
    assert result["failed"] is True and writes(fake) == []
    assert "storage pool fast exists on LXD at unix:/run/fake-lxd/unix.socket with the btrfs driver" in result["msg"]


def test_every_missing_pool_and_network_is_named_before_any_write(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    # Only the profiles: the pool and the bridge they name are not in the document.
    export(source_server(), capsys, dest, include={"profiles": ["web"], "storage_pools": [], "networks": [], "network_acls": []})
    fake = empty_target()
    result = restore(fake, capsys, dest)
    assert result["failed"] is True and writes(fake) == []
    # (the volumes of pools left out are left out too)
    assert result["missing"] == ["network br1 (profile web/web device eth0)", "storage pool fast (profile web/web device root)"]
    assert "neither it nor LXD at unix:/run/fake-lxd/unix.socket has: network br1" in result["msg"]


def test_mapping_renames_everywhere_and_uses_an_existing_target_pool_as_it_is(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    fake.route("GET", "storage-pools/tank", sync(dict(POOL, name="tank", driver="btrfs", config={"size": "5GiB"})))
    fake.route("POST", "storage-pools/tank/volumes/custom", sync(None))
    result = restore(fake, capsys, src, mapping={"pools": {"fast": "tank", "nowhere": "x"}, "networks": {"br1": "br9"},
                                                 "projects": {"web": "shop"}})
    assert result["actions"] == ["create project shop", "create network ACL web-in", "create network br9", "update profile shop/default",
                                 "create profile shop/web", "create volume tank/shop/data"]
    assert "POST storage-pools" not in writes(fake)  # tank is the target's, used as it is (even with another driver)
    assert fake.requested("POST", "projects")[0].json["name"] == "shop"
    profile = fake.requested("POST", "profiles")[0]
    assert profile.project == "shop" and profile.json["devices"]["root"]["pool"] == "tank" and profile.json["devices"]["eth0"]["network"] == "br9"
    assert fake.requested("POST", "storage-pools/tank/volumes/custom")[0].project == "shop"
    # strings before ansible-core 2.19, warning summaries since
    assert "mapping.pools.nowhere names nothing in %s: it maps nothing" % src in json.dumps(result["warnings"])


def test_objects_of_a_project_that_is_neither_in_the_document_nor_on_the_server_are_named(tmp_path, capsys):
    dest = tmp_path / "host-config.yaml"
    export(source_server(), capsys, dest, include={"projects": ["default"]})
    fake = empty_target()
    fake.route("GET", "storage-pools/fast", sync(POOL))
    result = restore(fake, capsys, dest)
    assert result["failed"] is True and writes(fake) == []
    assert result["missing"] == ["project web (profile default)"]


def test_a_bad_mapping_is_refused_before_lxd_is_asked(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = lxd()
    result = restore(fake, capsys, src, mapping={"profiles": {"a": "b"}})
    assert result["failed"] is True and result["msg"] == "mapping has unknown key(s) profiles; it takes pools, networks, projects"
    result = restore(fake, capsys, src, mapping={"pools": {"fast": "a/b"}})
    assert result["failed"] is True and result["msg"].startswith("mapping.pools.fast 'a/b' is not a valid LXD name")
    assert fake.calls == []


def test_a_failed_write_stops_the_restore_with_lxds_reason(tmp_path, capsys):
    src = exported_document(tmp_path, capsys)
    fake = empty_target()
    fake.route("POST", "networks", operation(err="Failed to start dnsmasq"))
    fake.route("POST", "networks", error(400, "Failed checking if network is in use"))
    result = restore(fake, capsys, src)
    assert result["failed"] is True and "LXD refused POST networks: Failed checking if network is in use" in result["msg"]
    assert result["actions"][-1] == "create network br1" and "POST profiles" not in writes(fake)
