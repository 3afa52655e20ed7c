# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import io
import os
import subprocess
import tarfile

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import compression_of, verify_backup_archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# The layout of an LXD 5.0 container backup: index, container config, rootfs.
MEMBERS = {
    "backup/index.yaml": b"name: web01\nbackend: dir\npool: default\n",
    "backup/container/backup.yaml": b"container:\n  name: web01\n",
    "backup/container/rootfs/etc/hostname": b"web01\n",
    "backup/container/rootfs/data.bin": os.urandom(200000),
}


def _tar(members=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in (MEMBERS if members is None else members).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _compress(tmp_path, compression, data):
    plain = _write(tmp_path, "backup.tar", data)
    if compression == "none":
        return plain
    command = {"gzip": ["gzip"], "bzip2": ["bzip2"], "xz": ["xz"], "lzma": ["xz", "--format=lzma"], "zstd": ["zstd", "-q", "--rm"],
               "lz4": ["lz4", "-q", "--rm"]}[compression]
    subprocess.run(command + [plain], check=True)
    suffix = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "lzma": ".lzma", "zstd": ".zst", "lz4": ".lz4"}[compression]
    return plain + suffix


@pytest.mark.parametrize("compression", ["none", "gzip", "bzip2", "xz", "lzma", "zstd"])
def test_a_whole_backup_in_each_compression_passes(tmp_path, compression):
    path = _compress(tmp_path, compression, _tar())
    assert compression_of(path) == compression
    assert verify_backup_archive(path) == dict(compression=compression, members=len(MEMBERS))


@pytest.mark.parametrize("compression", ["gzip", "xz", "zstd", "none"])
def test_a_cut_off_backup_is_damaged(tmp_path, compression):
    path = _compress(tmp_path, compression, _tar())
    with open(path, "rb+") as stream:
        stream.truncate(os.path.getsize(path) // 2)
    with pytest.raises(LxdkitError, match="is damaged"):
        verify_backup_archive(path)


@pytest.mark.parametrize("compression", ["gzip", "bzip2", "xz", "zstd"])
@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_overwritten_bytes_in_the_compressed_stream_are_found(tmp_path, compression, where):
    path = _compress(tmp_path, compression, _tar())
    with open(path, "rb+") as stream:
        stream.seek(int(os.path.getsize(path) * where))
        stream.write(b"\x00\xff" * 32)
    with pytest.raises(LxdkitError, match="is damaged"):
        verify_backup_archive(path)


def test_an_archive_without_the_index_cannot_be_imported(tmp_path):
    members = dict((name, data) for name, data in MEMBERS.items() if name != "backup/index.yaml")
    path = _compress(tmp_path, "gzip", _tar(members))
    with pytest.raises(LxdkitError, match="holds no backup/index.yaml"):
        verify_backup_archive(path)


def test_the_index_may_be_named_with_a_leading_dot_slash(tmp_path):
    members = dict(("./" + name, data) for name, data in MEMBERS.items())
    assert verify_backup_archive(_compress(tmp_path, "none", _tar(members)))["members"] == len(MEMBERS)


def test_a_file_that_is_no_archive_is_damaged(tmp_path):
    with pytest.raises(LxdkitError, match="is damaged"):
        verify_backup_archive(_write(tmp_path, "notes.txt", b"not a backup at all\n" * 100))


def test_a_missing_decompressor_is_named(tmp_path, monkeypatch):
    path = _compress(tmp_path, "zstd", _tar())
    monkeypatch.setattr(_archive.shutil, "which", lambda name: None)
    with pytest.raises(LxdkitError, match="needs the zstd command"):
        verify_backup_archive(path)
