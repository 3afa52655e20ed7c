# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_backup state=verified: backups read back again by the age of their last verification."""

from __future__ import annotations

import datetime
import gzip
import io
import os
import tarfile

from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import is_backup
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import sha256_file, sidecar_line
from ansible_collections.lxdkit.lxd.plugins.module_utils._reverification import last_verified, record_verified
from ansible_collections.lxdkit.lxd.plugins.modules import lxd_backup
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, run_module, writes

UTC = datetime.timezone.utc


def _backup(directory, name):
    """A small gzip LXD-like backup with its sha256 sidecar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member, data in (("backup/index.yaml", b"name: web01\n"), ("backup/container/rootfs/data.bin", os.urandom(50000))):
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = os.path.join(str(directory), name)
    with open(path, "wb") as out:
        out.write(gzip.compress(buffer.getvalue()))
    with open(path + ".sha256", "wb") as out:
        out.write(sidecar_line(sha256_file(path), path))
    return path


def _flip_one_byte(path, offset=200):
    with open(path, "r+b") as stream:
        stream.seek(offset)
        byte = stream.read(1)
        stream.seek(offset)
        stream.write(bytes([byte[0] ^ 0x01]))


def _contents(directory):
    return dict((name, open(os.path.join(str(directory), name), "rb").read()) for name in sorted(os.listdir(str(directory))))


def test_one_flipped_byte_is_reported_and_the_file_kept_as_it_is(tmp_path, capsys):
    good, bad = _backup(tmp_path, "web-20261101.tar.gz"), _backup(tmp_path, "web-20261102.tar.gz")
    _flip_one_byte(bad)
    before = _contents(tmp_path)
    fake = FakeLxd()
    result = run_module(fake, lxd_backup, capsys, state="verified", path=str(tmp_path), match="web-*")
    assert result["failed"] is True
    assert "web-20261102.tar.gz does not match its checksum" in result["msg"] and "left as they are" in result["msg"]
    assert [entry["name"] for entry in result["damaged"]] == ["web-20261102.tar.gz"]
    assert result["reverified"] == ["web-20261101.tar.gz"]
    # The damaged file and its sidecar are untouched and it gets no record; the good one gets one.
    after = _contents(tmp_path)
    assert after.pop("web-20261101.tar.gz.verified").endswith(b"Z\n")
    after.pop(".lxdkit.lock")
    assert after == before
    assert last_verified(good) is not None and last_verified(bad) is None
    assert writes(fake) == []


def test_a_flipped_byte_without_a_sidecar_is_found_by_reading_the_archive(tmp_path, capsys):
    bad = _backup(tmp_path, "web-20261102.tar.gz")
    os.unlink(bad + ".sha256")
    _flip_one_byte(bad, os.path.getsize(bad) // 2)
    result = run_module(FakeLxd(), lxd_backup, capsys, state="verified", path=str(tmp_path), fail_on_damaged=False)
    assert not result.get("failed")
    assert result["changed"] is False and result["reverified"] == []
    assert result["damaged"][0]["name"] == "web-20261102.tar.gz" and "is damaged" in result["damaged"][0]["error"]


def test_only_files_verified_longer_ago_than_the_age_are_read(tmp_path, capsys):
    recent, old = _backup(tmp_path, "web-20261101.tar.gz"), _backup(tmp_path, "web-20261102.tar.gz")
    never = _backup(tmp_path, "web-20261103.tar.gz")
    current = datetime.datetime.now(UTC)
    record_verified(recent, current - datetime.timedelta(hours=1))
    record_verified(old, current - datetime.timedelta(days=8))
    result = run_module(FakeLxd(), lxd_backup, capsys, state="verified", path=str(tmp_path), reverify_older_than="7d")
    assert result["reverified"] == ["web-20261102.tar.gz", "web-20261103.tar.gz"]
    assert result["not_due"] == ["web-20261101.tar.gz"] and result["damaged"] == []
    assert current - last_verified(old) < datetime.timedelta(minutes=1)
    assert current - last_verified(never) < datetime.timedelta(minutes=1)
    # Straight after, nothing is due.
    again = run_module(FakeLxd(), lxd_backup, capsys, state="verified", path=str(tmp_path), reverify_older_than="7d")
    assert again["reverified"] == [] and len(again["not_due"]) == 3


def test_check_mode_reads_but_records_nothing(tmp_path, capsys):
    _backup(tmp_path, "web-20261101.tar.gz")
    before = _contents(tmp_path)
    result = run_module(FakeLxd(), lxd_backup, capsys, check_mode=True, state="verified", path=str(tmp_path))
    assert result["reverified"] == ["web-20261101.tar.gz"]
    assert _contents(tmp_path) == before


def test_a_bad_age_names_the_field_and_changes_nothing(tmp_path, capsys):
    _backup(tmp_path, "web-20261101.tar.gz")
    before = _contents(tmp_path)
    result = run_module(FakeLxd(), lxd_backup, capsys, state="verified", path=str(tmp_path), reverify_older_than="weekly")
    assert result["failed"] is True and "reverify_older_than" in result["msg"] and "7d" in result["msg"]
    assert _contents(tmp_path) == before


def test_records_are_no_backups_and_go_with_their_file_when_pruned(tmp_path, capsys):
    assert not is_backup("web-20261101.tar.gz.verified")
    for day in (1, 2):
        record_verified(_backup(tmp_path, "web-202611%02d.tar.gz" % day), datetime.datetime.now(UTC))
    result = run_module(FakeLxd(), lxd_backup, capsys, state="pruned", path=str(tmp_path), match="web-*",
                        name_time_format="web-%Y%m%d.tar.gz", keep_last=1)
    assert [entry["name"] for entry in result["deleted"]] == ["web-20261101.tar.gz"]
    assert sorted(os.listdir(str(tmp_path))) == [".lxdkit.lock", "web-20261102.tar.gz", "web-20261102.tar.gz.sha256",
                                                 "web-20261102.tar.gz.verified"]


def test_an_export_read_back_counts_as_a_verification_and_an_unread_replacement_drops_it(tmp_path):
    from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_service import Backups
    from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import body, operation
    source = _backup(tmp_path, "source.tar.gz")
    fake = FakeLxd()
    fake.route("GET", "instances/c1/backups/b1/export", body(open(source, "rb").read()))
    fake.route("DELETE", "instances/c1/backups/b1", operation())
    dest = str(tmp_path / "c1.tar.gz")
    service = Backups.for_instance(fake.client(), "c1", [].append)
    service.export("instances/c1/backups/b1", dest, verify=True)
    assert datetime.datetime.now(UTC) - last_verified(dest) < datetime.timedelta(minutes=1)
    service.export("instances/c1/backups/b1", dest, verify=False, force=True)
    assert last_verified(dest) is None and not os.path.exists(dest + ".verified")
