# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup service on the fake LXD: server-side backups made through busy refusals, downloads
that never leave half a file, the server copy always dropped, leftovers cleaned, raw import."""

from __future__ import annotations

import datetime
import hashlib
import os

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _client
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_service import Backups, import_backup, renew_mac_addresses, server_backup_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import read_sidecar
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, body, error, operation, sync

BACKUPS = "instances/c1/backups"
UTC = datetime.timezone.utc


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(_client.time, "sleep", lambda seconds: None)


def backups(fake, warnings=None):
    return Backups.for_instance(fake.client(), "c1", (warnings if warnings is not None else []).append)


def test_a_busy_refusal_is_tried_again_under_a_new_name_and_the_refused_one_dropped():
    fake = FakeLxd()
    fake.route("PATCH", "instances/c1", sync(None))
    fake.route("POST", BACKUPS, error(400, "Instance is busy running a 'snapshot' operation"), operation())
    path = backups(fake).create("zstd", target=None)
    first, second = [request.json["name"] for request in fake.requested("POST", BACKUPS)]
    assert first != second and path == "%s/%s" % (BACKUPS, second)
    assert "DELETE %s/%s" % (BACKUPS, first) in fake.calls
    # backup.yaml rewritten first (the empty PATCH), zstd asked for, an expiry as a safety net.
    assert fake.calls.index("PATCH instances/c1") < fake.calls.index("POST " + BACKUPS)
    assert fake.requested("POST", BACKUPS)[1].json["compression_algorithm"] == "zstd"
    assert fake.requested("POST", BACKUPS)[1].json["expires_at"].endswith("Z")


def test_export_writes_the_file_with_its_sidecar_and_drops_the_server_copy(tmp_path):
    fake = FakeLxd()
    content = os.urandom(3 * 1024 * 1024 + 17)
    fake.route("GET", BACKUPS + "/b1/export", body(content))
    fake.route("DELETE", BACKUPS + "/b1", operation())
    dest = str(tmp_path / "c1.tar.zst")
    outcome = backups(fake).export(BACKUPS + "/b1", dest)
    assert open(dest, "rb").read() == content
    assert outcome == dict(size=len(content), sha256=hashlib.sha256(content).hexdigest(), verified=None, backup_name="b1")
    assert read_sidecar(dest) == outcome["sha256"] and oct(os.stat(dest).st_mode & 0o777) == "0o600"
    assert "DELETE %s/b1" % BACKUPS in fake.calls


def test_a_broken_download_leaves_nothing_and_still_drops_the_server_copy(tmp_path):
    fake = FakeLxd()
    fake.route("GET", BACKUPS + "/b1/export", body(b"x" * 4096, lost_after=1000))
    fake.route("DELETE", BACKUPS + "/b1", operation())
    dest = tmp_path / "c1.tar.zst"
    with pytest.raises(LxdkitError) as info:
        backups(fake).export(BACKUPS + "/b1", str(dest))
    assert "after 1000 bytes" in info.value.msg and "nothing was left at dest" in info.value.msg
    assert os.listdir(tmp_path) == [] and "DELETE %s/b1" % BACKUPS in fake.calls


def test_a_server_copy_lxd_will_not_delete_is_a_warning_once_the_file_is_whole(tmp_path):
    fake = FakeLxd()
    fake.route("GET", BACKUPS + "/b1/export", body(b"backup"))
    fake.route("DELETE", BACKUPS + "/b1", operation(err="daemon shutting down"))
    warnings = []
    backups(fake, warnings).export(BACKUPS + "/b1", str(tmp_path / "c1.tar"))
    assert (tmp_path / "c1.tar").read_bytes() == b"backup"
    assert len(warnings) == 1 and "the server-side backup b1 is left for the next run to delete (LXD failed" in warnings[0]


def test_another_runs_file_at_dest_is_kept_unless_forced(tmp_path):
    fake = FakeLxd()
    fake.route("GET", BACKUPS + "/b1/export", body(b"mine"))
    fake.route("DELETE", BACKUPS + "/b1", operation())
    dest = tmp_path / "c1.tar"
    dest.write_bytes(b"theirs")
    outcome = backups(fake).export(BACKUPS + "/b1", str(dest))
    assert dest.read_bytes() == b"theirs" and outcome["written_by_other_run"] is True
    backups(fake).export(BACKUPS + "/b1", str(dest), force=True)
    assert dest.read_bytes() == b"mine"


def test_leftovers_of_ended_or_old_runs_are_cleaned_and_others_kept(tmp_path):
    now = datetime.datetime.now(UTC)
    ours_alive = server_backup_name(now)  # this process: alive
    old = "lxdkit-20200101000000-h00000000-p1-abcd1234"
    listing = [
        {"name": ours_alive, "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        {"name": old, "created_at": "2020-01-01T00:00:00Z"},
        {"name": "nightly", "created_at": "2020-01-01T00:00:00Z"},  # a person's: never touched
    ]
    fake = FakeLxd()
    fake.route("GET", BACKUPS, sync(listing))
    fake.route("DELETE", BACKUPS + "/" + old, operation())
    dead_temp = tmp_path / ".c1.tar.zst.999999999.ab12.lxdkit-tmp"
    dead_temp.write_bytes(b"half")
    assert backups(fake).clean_leftovers(str(tmp_path), check_mode=True) == []
    assert dead_temp.exists() and not fake.requested("DELETE", BACKUPS + "/" + old)
    cleaned = backups(fake).clean_leftovers(str(tmp_path), check_mode=False)
    assert cleaned == [str(dead_temp), "c1/%s (server backup)" % old]
    assert not dead_temp.exists() and [call for call in fake.calls if call.startswith("DELETE")] == ["DELETE %s/%s" % (BACKUPS, old)]


def test_import_streams_the_file_with_lxds_headers_and_names_the_instance(tmp_path):
    fake = FakeLxd()
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/from-backup?project=default"]}))
    src = tmp_path / "c1.tar.zst"
    src.write_bytes(b"tarball")
    assert import_backup(fake.client(), "instances", str(src)) == "from-backup"  # the name in the backup, as LXD reports it
    request = fake.requested("POST", "instances")[0]
    assert request.data == b"tarball" and request.headers["Content-Type"] == "application/octet-stream"
    assert "X-LXD-name" not in request.headers
    assert import_backup(fake.client(), "instances", str(src), name="restored", pool="fast") == "restored"
    request = fake.requested("POST", "instances")[1]
    assert request.headers["X-LXD-name"] == "restored" and request.headers["X-LXD-pool"] == "fast"


def test_volume_backups_use_the_same_api_under_the_volume_without_the_instance_patch():
    fake = FakeLxd()
    volume = "storage-pools/default/volumes/custom/data"
    fake.route("POST", volume + "/backups", operation())
    path = Backups.for_volume(fake.client(), "default", "data", [].append).create("gzip", without_snapshots=True)
    request = fake.requested("POST", volume + "/backups")[0]
    assert path == "%s/backups/%s" % (volume, request.json["name"])
    assert request.json["volume_only"] is True and "instance_only" not in request.json
    assert not [call for call in fake.calls if call.startswith("PATCH")]


def test_renewing_mac_addresses_drops_only_the_hwaddr_keys_and_names_the_nics():
    fake = FakeLxd()
    instance = {"name": "copy", "architecture": "x86_64", "profiles": ["default"], "devices": {}, "ephemeral": False, "description": "",
                "status": "Stopped", "config": {"volatile.eth0.hwaddr": "10:66:6a:00:00:01", "volatile.eth1.hwaddr": "10:66:6a:00:00:02",
                                                "volatile.eth0.host_name": "veth1", "limits.cpu": "1"}}
    fake.route("GET", "instances/copy", sync(instance))
    fake.route("PUT", "instances/copy", sync(None))
    assert renew_mac_addresses(fake.client(), "copy") == ["eth0", "eth1"]
    sent = fake.requested("PUT", "instances/copy")[0].json
    assert sent["config"] == {"volatile.eth0.host_name": "veth1", "limits.cpu": "1"} and "status" not in sent


def test_an_instance_without_mac_addresses_is_left_alone():
    fake = FakeLxd()
    fake.route("GET", "instances/copy", sync({"name": "copy", "config": {"limits.cpu": "1"}, "devices": {}}))
    assert renew_mac_addresses(fake.client(), "copy") == [] and fake.requested("PUT", "instances/copy") == []
