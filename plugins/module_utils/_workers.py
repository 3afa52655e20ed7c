# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thread that consumes the chunks of a stream beside the thread that receives them."""

from __future__ import annotations

import queue
import threading

# Bytes per chunk of a stream: downloads, file reads and checksums.
CHUNK = 1024 * 1024
# Chunks waiting for the worker: bounds the memory it may hold (8 x CHUNK for downloads).
QUEUE_CHUNKS = 8
_END = object()


class ChunkWorker:
    """``put(chunk)`` hands a chunk to a thread that calls ``consume(chunk)``, and returns at
    once; ``finish()`` waits until every chunk is consumed. Writing to a file and hashlib both
    release the GIL on large buffers, so a download, its writes and its checksum run side by
    side on two cores instead of one after the other.

    The first exception ``consume`` raises is raised again by the next ``put()`` (so that a
    full disk stops a download at once) or by ``finish()``; later chunks are dropped, never
    blocking the producer. Use it as a context manager: leaving the block ends the thread.
    """

    def __init__(self, consume, name="lxdkit-worker"):
        self._consume = consume
        self._chunks = queue.Queue(QUEUE_CHUNKS)
        self._error = None
        self._ended = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            chunk = self._chunks.get()
            if chunk is _END:
                return
            if self._error is None:
                try:
                    self._consume(chunk)
                except BaseException as exc:  # handed to the producer by put() or finish()
                    self._error = exc

    def _raise_error(self):
        if self._error is not None:
            raise self._error

    def put(self, chunk):
        if self._ended:
            raise ValueError("put() after finish()")
        self._raise_error()
        self._chunks.put(chunk)

    def _end(self):
        if not self._ended:
            self._ended = True
            self._chunks.put(_END)
            self._thread.join()

    def finish(self):
        self._end()
        self._raise_error()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._end()
        return False
