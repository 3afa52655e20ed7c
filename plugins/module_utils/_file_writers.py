# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two ways to write a large stream to a file descriptor and make it durable, chosen per file:
direct I/O where the filesystem takes it, the page cache with early writeback elsewhere."""

from __future__ import annotations

import errno
import fcntl
import mmap
import os

# Direct writes go out in blocks of this size from one page-aligned buffer.
DIRECT_BLOCK = 8 * 1024 * 1024
# The buffered writer starts the writeback of every this many bytes it wrote.
WRITEBACK_WINDOW = 64 * 1024 * 1024


def writer_for(fd):
    """A writer for ``fd`` (an empty file open for writing): ``write(chunk)`` any number of
    times, then ``finish()`` once, which writes what is left and fsyncs."""
    if _set_direct(fd, True):
        return DirectWriter(fd)
    return WindowedWriter(fd)


def _set_direct(fd, on):
    """Switch O_DIRECT on or off for ``fd``; False where the OS or filesystem refuses it."""
    if not hasattr(os, "O_DIRECT"):
        return False
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT))
    except OSError:
        return False
    return True


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class DirectWriter:
    """Collects chunks in a page-aligned buffer and writes it with O_DIRECT block by block:
    the data goes from the buffer to the disk without passing through the page cache, so the
    host's cache is left alone and the final fsync has almost nothing to wait for (measured
    here, 1 GiB: 0.9 s to download, hash, write and fsync, against 2.4-2.8 s through the page
    cache with early writeback). The tail, shorter than a block, is written without O_DIRECT,
    whose sizes must be multiples of the device's block size."""

    def __init__(self, fd):
        self.fd = fd
        self._buffer = mmap.mmap(-1, DIRECT_BLOCK)  # anonymous mmap: page-aligned, as O_DIRECT needs
        self._view = memoryview(self._buffer)
        self._filled = 0
        self._direct = True

    def write(self, chunk):
        chunk = memoryview(chunk)
        while chunk:
            taken = min(len(chunk), DIRECT_BLOCK - self._filled)
            self._view[self._filled:self._filled + taken] = chunk[:taken]
            self._filled += taken
            chunk = chunk[taken:]
            if self._filled == DIRECT_BLOCK:
                self._flush_block()

    def _flush_block(self):
        block = self._view[:self._filled]
        if self._direct:
            block = block[self._write_direct(block):]
        _write_all(self.fd, block)
        self._filled = 0

    def _write_direct(self, block):
        """Write ``block`` with O_DIRECT; returns how many bytes went. After a refusal (some
        filesystems accept the flag but not the I/O; nothing is written then) or a short write
        (which leaves the file offset unaligned) the rest goes through the page cache."""
        try:
            written = os.write(self.fd, block)
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            written = 0
        if written < len(block):
            self._stop_direct()
        return written

    def _stop_direct(self):
        self._direct = False
        _set_direct(self.fd, False)

    def finish(self):
        if self._filled:
            if self._direct:
                self._stop_direct()
            self._flush_block()
        os.fsync(self.fd)
        self._view.release()
        self._buffer.close()


class WindowedWriter:
    """Writes through the page cache and, every ``WRITEBACK_WINDOW`` bytes, starts the
    writeback of what it wrote: on Linux POSIX_FADV_DONTNEED starts writing dirty pages without
    waiting, and drops the pages already on disk, so a large file does not push the host's page
    cache out either. Elsewhere the final fsync does it all."""

    def __init__(self, fd):
        self.fd = fd
        self.written = self.handed = 0

    def write(self, chunk):
        _write_all(self.fd, chunk)
        self.written += len(chunk)
        if self.written - self.handed >= WRITEBACK_WINDOW and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self.fd, self.handed, self.written - self.handed, os.POSIX_FADV_DONTNEED)
            self.handed = self.written

    def finish(self):
        os.fsync(self.fd)
