# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file writers on this machine's real filesystem (tmp_path), which takes O_DIRECT."""

from __future__ import annotations

import errno
import fcntl
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lxdkit.lxd.plugins.module_utils import _file_writers
from ansible_collections.lxdkit.lxd.plugins.module_utils._file_writers import DirectWriter, WindowedWriter, writer_for

# Small blocks (still a multiple of the 4 KiB O_DIRECT alignment) so that tests cross many.
SMALL_BLOCK = 8192


def _direct_flag(fd):
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT)


def _write(path, chunks):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        writer = writer_for(fd)
        for chunk in chunks:
            writer.write(chunk)
        writer.finish()
    finally:
        os.close(fd)
    return writer


def _read(path):
    with open(path, "rb") as stream:
        return stream.read()


def test_a_filesystem_that_takes_direct_io_gets_the_direct_writer(tmp_path):
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        assert isinstance(writer_for(fd), DirectWriter) and _direct_flag(fd)
    finally:
        os.close(fd)


def test_without_o_direct_the_windowed_writer_is_used(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "O_DIRECT")
    data = os.urandom(5000)
    assert isinstance(_write(tmp_path / "f", [data]), WindowedWriter)
    assert _read(tmp_path / "f") == data


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(min_value=0, max_value=3 * SMALL_BLOCK), max_size=12))
def test_direct_writes_keep_every_byte_in_order(tmp_path_factory, sizes):
    _file_writers.DIRECT_BLOCK, saved = SMALL_BLOCK, _file_writers.DIRECT_BLOCK
    try:
        path = tmp_path_factory.mktemp("direct") / "f"
        chunks = [os.urandom(size) for size in sizes]
        assert isinstance(_write(path, chunks), DirectWriter)
        assert _read(path) == b"".join(chunks)
    finally:
        _file_writers.DIRECT_BLOCK = saved


@pytest.mark.parametrize("size", [0, SMALL_BLOCK, 3 * SMALL_BLOCK, 3 * SMALL_BLOCK + 1])
def test_exact_blocks_and_a_tail(tmp_path, monkeypatch, size):
    monkeypatch.setattr(_file_writers, "DIRECT_BLOCK", SMALL_BLOCK)
    data = os.urandom(size)
    _write(tmp_path / "f", [data])
    assert _read(tmp_path / "f") == data


def _fake_filesystem_write(monkeypatch, direct_write):
    """os.write as a filesystem would answer: ``direct_write(fd, data)`` while O_DIRECT is on."""
    real_write = os.write

    def write(fd, data):
        return direct_write(fd, data) if _direct_flag(fd) else real_write(fd, data)

    monkeypatch.setattr(_file_writers.os, "write", write)
    return real_write


def test_a_filesystem_refusing_the_direct_io_itself_gets_a_buffered_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_file_writers, "DIRECT_BLOCK", SMALL_BLOCK)

    def refuse(fd, data):
        raise OSError(errno.EINVAL, "Invalid argument")

    _fake_filesystem_write(monkeypatch, refuse)
    data = os.urandom(4 * SMALL_BLOCK + 100)
    _write(tmp_path / "f", [data])
    assert _read(tmp_path / "f") == data


def test_a_short_direct_write_goes_on_buffered(tmp_path, monkeypatch):
    monkeypatch.setattr(_file_writers, "DIRECT_BLOCK", SMALL_BLOCK)
    real_write = _fake_filesystem_write(monkeypatch, lambda fd, data: real_write(fd, data[:4096]))
    data = os.urandom(3 * SMALL_BLOCK + 5)
    _write(tmp_path / "f", [data])
    assert _read(tmp_path / "f") == data


def test_a_full_disk_is_raised_not_retried(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_file_writers, "DIRECT_BLOCK", SMALL_BLOCK)
    _fake_filesystem_write(monkeypatch, full)
    with pytest.raises(OSError) as raised:
        _write(tmp_path / "f", [os.urandom(2 * SMALL_BLOCK)])
    assert raised.value.errno == errno.ENOSPC


def test_the_windowed_writer_hands_windows_to_writeback(tmp_path, monkeypatch):
    monkeypatch.setattr(_file_writers, "WRITEBACK_WINDOW", 1000)
    monkeypatch.delattr(os, "O_DIRECT")
    chunks = [os.urandom(700) for _chunk in range(10)]
    writer = _write(tmp_path / "f", chunks)
    assert _read(tmp_path / "f") == b"".join(chunks)
    assert (writer.written, writer.handed) == (7000, 7000)
