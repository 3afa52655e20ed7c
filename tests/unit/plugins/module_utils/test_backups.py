# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import hashlib
import os
import threading

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _atomic_files
from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import commit, own_leftovers, publish, write_atomically, write_temp
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import LOCK_NAME, directory_lock, is_backup
from ansible_collections.lxdkit.lxd.plugins.module_utils._liveness import process_start
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_service import abandoned_server_backup, server_backup_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import read_sidecar
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import plan_prune
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

UTC = datetime.timezone.utc


def test_write_atomically_writes_whole_files_with_mode_and_checksum(tmp_path):
    dest = tmp_path / "b.tar.zst"
    size, checksum = write_atomically(str(dest), [b"abc", b"def"])
    assert dest.read_bytes() == b"abcdef"
    assert (size, checksum) == (6, hashlib.sha256(b"abcdef").hexdigest())
    assert oct(dest.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(tmp_path) == ["b.tar.zst"]


def test_a_failing_stream_leaves_nothing_and_keeps_the_old_file(tmp_path):
    dest = tmp_path / "b.tar.zst"
    dest.write_bytes(b"old good backup")

    def broken():
        yield b"half"
        raise IOError("connection lost")

    with pytest.raises(IOError):
        write_atomically(str(dest), broken())
    assert dest.read_bytes() == b"old good backup"
    assert os.listdir(tmp_path) == ["b.tar.zst"]


def test_a_temp_file_is_invisible_until_committed(tmp_path):
    dest = tmp_path / "b.tar.zst"
    temp, size, checksum = write_temp(str(dest), [b"whole"])
    assert not dest.exists() and os.path.dirname(temp) == str(tmp_path)
    assert (size, checksum) == (5, hashlib.sha256(b"whole").hexdigest())
    commit(temp, str(dest))
    assert dest.read_bytes() == b"whole" and os.listdir(tmp_path) == ["b.tar.zst"]


def test_the_directory_lock_makes_a_second_holder_wait(tmp_path):
    entered = threading.Event()

    def second_holder():
        with directory_lock(str(tmp_path)):
            entered.set()

    with directory_lock(str(tmp_path)):
        thread = threading.Thread(target=second_holder)
        thread.start()
        assert not entered.wait(0.3)
    assert entered.wait(5)
    thread.join()
    assert os.listdir(tmp_path) == [LOCK_NAME]


def test_sidecars_round_trip_and_bad_ones_are_refused(tmp_path):
    dest = tmp_path / "b.tar.zst"
    temp, _size, checksum = write_temp(str(dest), [b"x"])
    assert read_sidecar(str(dest)) is None
    publish(temp, str(dest), checksum)
    assert (tmp_path / "b.tar.zst.sha256").read_text() == "%s  b.tar.zst\n" % checksum
    assert read_sidecar(str(dest)) == checksum == hashlib.sha256(b"x").hexdigest()
    assert sorted(os.listdir(tmp_path)) == ["b.tar.zst", "b.tar.zst.sha256"]
    assert os.stat(tmp_path / "b.tar.zst.sha256").st_mode & 0o777 == 0o600
    (tmp_path / "b.tar.zst.sha256").write_text("nonsense")
    with pytest.raises(LxdkitError):
        read_sidecar(str(dest))


def test_a_failed_publish_leaves_the_previous_backup_and_sidecar(tmp_path, monkeypatch):
    dest = tmp_path / "b.tar.zst"
    first, _size, first_sum = write_temp(str(dest), [b"old"])
    publish(first, str(dest), first_sum)
    temp, _size, checksum = write_temp(str(dest), [b"new"])

    def no_space(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_atomic_files.os, "replace", no_space)
    with pytest.raises(OSError):
        publish(temp, str(dest), checksum)
    assert dest.read_bytes() == b"old" and read_sidecar(str(dest)) == first_sum
    assert sorted(os.listdir(tmp_path)) == ["b.tar.zst", "b.tar.zst.sha256"]


def test_only_leftovers_of_dead_runs_are_cleaned(tmp_path):
    names = [".web.tar.zst.111.ab12.lxdkit-tmp", ".web.tar.zst.222.cd34.lxdkit-tmp", "web.tar.zst", ".other.tmp",
             ".web.tar.zst.333-900.ef56.lxdkit-tmp", ".web.tar.zst.333-901.gh78.lxdkit-tmp"]
    seen = []

    def alive(pid, started):
        seen.append((pid, started))
        return pid == 222 or (pid, started) == (333, 901)
    leftovers = own_leftovers(str(tmp_path), names=names, alive=alive)
    assert leftovers == [str(tmp_path / ".web.tar.zst.111.ab12.lxdkit-tmp"), str(tmp_path / ".web.tar.zst.333-900.ef56.lxdkit-tmp")]
    # Names of older versions carry no start time (0: any process with the PID counts).
    assert sorted(seen) == [(111, 0), (222, 0), (333, 900), (333, 901)]
    assert own_leftovers(str(tmp_path / "missing")) == []


def test_file_prune_skips_sidecars_temp_files_and_other_names():
    mtime = datetime.datetime(2026, 11, 25, tzinfo=UTC)
    entries = [("web-202611%02d.tar.zst" % day, mtime) for day in range(1, 8)]
    entries += [("web-20261107.tar.zst.sha256", mtime), (".web-x.tar.zst.1.a.lxdkit-tmp", mtime), ("notes.txt", mtime)]
    delete, keep, untouched = plan_prune(entries, dict(keep_last=2), "web-*", "web-%Y%m%d.tar.zst", takes_part=is_backup)
    assert [entry["name"] for entry in keep] == ["web-20261107.tar.zst", "web-20261106.tar.zst"]
    assert delete == [dict(name="web-202611%02d.tar.zst" % day, time="2026-11-%02dT00:00:00+00:00" % day) for day in range(5, 0, -1)]
    assert sorted(untouched) == sorted([".web-x.tar.zst.1.a.lxdkit-tmp", "notes.txt", "web-20261107.tar.zst.sha256"])


def test_file_prune_never_takes_the_lock_file_even_when_everything_matches():
    old = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    delete, keep, untouched = plan_prune([(LOCK_NAME, old), ("a.tar", old)], dict(keep_last=1), "*", takes_part=is_backup)
    assert delete == [] and [entry["name"] for entry in keep] == ["a.tar"] and LOCK_NAME in untouched


def test_file_prune_by_mtime():
    entries = [("old.tar.gz", datetime.datetime(2026, 1, 1, tzinfo=UTC)), ("new.tar.gz", datetime.datetime(2026, 1, 2, tzinfo=UTC))]
    delete, keep, _untouched = plan_prune(entries, dict(keep_last=1), "*.tar*", takes_part=is_backup)
    assert delete == [dict(name="old.tar.gz", time="2026-01-01T00:00:00+00:00")]
    assert keep == [dict(name="new.tar.gz", time="2026-01-02T00:00:00+00:00", reasons=["last", "newest"])]


def test_a_server_backup_of_an_ended_run_on_this_machine_is_abandoned():
    name = server_backup_name(datetime.datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert name.startswith("lxdkit-20261125090000-h") and "-p%ds%d-" % (os.getpid(), process_start(os.getpid())) in name
    assert not abandoned_server_backup(name, alive=lambda pid, started: True)
    assert abandoned_server_backup(name, alive=lambda pid, started: False)
    # The real check: this process runs; the same PID with another start time is a reused PID.
    assert not abandoned_server_backup(name)
    assert abandoned_server_backup(name.replace("s%d-" % process_start(os.getpid()), "s%d-" % (process_start(os.getpid()) + 1)))
    this_machine = name.split("-")[2][1:]
    other_machine = "0" * 8 if this_machine != "0" * 8 else "1" * 8
    assert not abandoned_server_backup("lxdkit-20261125090000-h%s-p1-abcd1234" % other_machine, alive=lambda pid, started: False)
    # Names from older versions (no machine, no process) and from people are never abandoned.
    assert not abandoned_server_backup("lxdkit-20261125090000-1a2b3c4d", alive=lambda pid, started: False)
    assert not abandoned_server_backup("nightly", alive=lambda pid, started: False)
