# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import hashlib
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lxdkit.lxd.plugins.module_utils import _file_writers
from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import write_temp
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import QUEUE_CHUNKS, ChunkWorker


def _worker_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith("lxdkit-")]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=5000), max_size=40))
def test_a_worker_consumes_every_chunk_in_order(chunks):
    digest = hashlib.sha256()
    with ChunkWorker(digest.update) as worker:
        for chunk in chunks:
            worker.put(chunk)
        worker.finish()
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_leaving_the_block_by_an_exception_ends_the_thread():
    with pytest.raises(RuntimeError):
        with ChunkWorker(len) as worker:
            worker.put(b"half a download")
            raise RuntimeError("connection lost")
    assert _worker_threads() == []


def test_the_consumers_error_stops_the_producer_and_never_blocks_it():
    calls = []

    def full_disk(chunk):
        calls.append(chunk)
        raise OSError(errno.ENOSPC, "No space left on device")

    with ChunkWorker(full_disk) as worker:
        with pytest.raises(OSError, match="No space left"):
            for _attempt in range(QUEUE_CHUNKS * 10):  # far more than the queue holds
                worker.put(b"x")
        with pytest.raises(OSError):
            worker.finish()
    assert len(calls) == 1 and _worker_threads() == []


def test_put_after_finish_is_refused():
    worker = ChunkWorker(len)
    worker.finish()
    with pytest.raises(ValueError):
        worker.put(b"late")


def test_write_temp_across_several_direct_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(_file_writers, "DIRECT_BLOCK", 4096)
    chunks = [os.urandom(700) for _chunk in range(10)]
    temp, size, checksum = write_temp(str(tmp_path / "b.tar.zst"), chunks)
    with open(temp, "rb") as stream:
        assert stream.read() == b"".join(chunks)
    assert (size, checksum) == (7000, hashlib.sha256(b"".join(chunks)).hexdigest())
    assert _worker_threads() == []


def test_a_write_error_removes_the_temp_file(tmp_path, monkeypatch):
    def refuse(self, chunk):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_file_writers.DirectWriter, "write", refuse)
    with pytest.raises(OSError):
        write_temp(str(tmp_path / "b.tar.zst"), iter([b"a"] * 100))
    assert os.listdir(tmp_path) == [] and _worker_threads() == []
