# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP to LXD's unix socket with the standard library only.

Most modules talk to the local socket; importing pylxd (requests, urllib3, cryptography) costs
more than a short module's own work, so the socket needs none of it. ``_client`` turns the
exceptions below into ``LxdkitError``; the HTTPS transport (``_pylxd_http``) raises the same ones.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import threading
from urllib.parse import quote, urlencode

BLOCK = 1024 * 1024  # bytes per socket write of a request body (http.client's default: 8 KiB)


class HttpError(Exception):
    """Base of the transport's failures."""


class HttpTimeout(HttpError):
    """No answer within the timeout."""


class HttpConnectionLost(HttpError):
    """The socket could not be reached, or broke during the exchange."""


class HttpStatusError(HttpError):
    """LXD answered with an error status (or an API error document); ``response`` holds it."""

    def __init__(self, response):
        super().__init__("%s %s" % (response.status_code, response.reason))
        self.response = response


_CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def check_answer(response, stream=False, is_api=True):
    """Raise ``HttpStatusError`` for an error status, and for an API answer that is not a JSON
    document or is LXD's error document. The fake transport of the unit tests shares it."""
    if response.status_code >= 400:
        raise HttpStatusError(response)
    if is_api and not stream:
        try:
            document = response.json()
        except ValueError:
            raise HttpStatusError(response)
        if isinstance(document, dict) and document.get("type") == "error":
            raise HttpStatusError(response)


def body_length(data):
    """Content-Length of a request body: bytes, an object with ``len()``, or an open (seekable)
    stream; None for a ``ChunkedBody`` (sent with Transfer-Encoding: chunked)."""
    if data is None:
        return 0
    if isinstance(data, ChunkedBody):
        return None
    if hasattr(data, "__len__"):  # bytes, MultipartBody
        return len(data)
    position = data.tell()
    try:
        return os.fstat(data.fileno()).st_size - position
    except (AttributeError, io.UnsupportedOperation):  # an in-memory stream
        end = data.seek(0, io.SEEK_END)
        data.seek(position)
        return end - position


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout, blocksize=BLOCK)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class Response:
    """The parts of a response the client layer reads (the names follow requests')."""

    def __init__(self, raw, release):
        self._raw = raw
        self._release = release  # called with True when the connection may be reused
        self.status_code = raw.status
        self.reason = raw.reason
        self.headers = raw.headers  # case-insensitive get()
        self._content = None
        self._document = None

    @property
    def content(self):
        if self._content is None:
            try:
                self._content = self._raw.read()
            except _CONNECTION_ERRORS as exc:
                self._finish(False)
                raise _lost(exc)
            self._finish(True)
        return self._content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        # Parsed once: the transport checks an API answer's type before the caller reads it.
        if self._document is None:
            self._document = json.loads(self.content.decode("utf-8"))
        return self._document

    def iter_content(self, chunk_size):
        try:
            while True:
                chunk = self._raw.read(chunk_size)
                if not chunk:
                    break
                yield chunk
            if self._raw.length:  # http.client ends a cut-off body quietly; the remainder says so
                raise http.client.IncompleteRead(b"", self._raw.length)
        except socket.timeout as exc:
            self._finish(False)
            raise HttpTimeout(str(exc))
        except _CONNECTION_ERRORS as exc:
            self._finish(False)
            raise _lost(exc)
        self._finish(True)

    def close(self):
        self._finish(self._raw.isclosed())

    def _finish(self, whole):
        if self._release is not None:
            release, self._release = self._release, None
            release(whole and not self._raw.will_close)


def _lost(exc):
    return HttpConnectionLost("%s: %s" % (type(exc).__name__, exc) if str(exc) else type(exc).__name__)


class UnixHttp:
    """Requests to ``/1.0/...`` over a unix socket, keeping idle connections for reuse.

    A streamed response holds its connection until it is read or closed; a request made
    meanwhile (from another thread, or while a download is open) gets a connection of its own.
    """

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self._idle = []
        self._lock = threading.Lock()

    def request(self, method, path, params=None, json_body=None, data=None, headers=None, stream=False,
                timeout=None, is_api=True):
        # Characters a path may hold as they are (as requests leaves them); others are escaped.
        url = "/1.0" + ("/" + quote(path.strip("/"), safe="/:@!$&'()*+,;=~") if path.strip("/") else "")
        if params:
            url += "?" + urlencode(params)
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        length = body_length(data)
        if length is not None and (data is not None or method in ("POST", "PUT", "PATCH")):
            headers["Content-Length"] = str(length)  # else http.client sends it chunked
        # A kept connection the server has closed meanwhile fails at once: then the request
        # goes again on a fresh one. A streamed body cannot be sent twice: it gets a fresh
        # connection from the start (a unix socket connects in well under a millisecond).
        rewindable = data is None or isinstance(data, (bytes, bytearray))
        while True:
            connection, reused = self._take(fresh=not rewindable)
            connection.timeout = timeout or self.timeout
            if connection.sock is not None:
                connection.sock.settimeout(connection.timeout)
            try:
                connection.request(method, url, body=data, headers=headers)
                raw = connection.getresponse()
                break
            except socket.timeout as exc:
                connection.close()
                raise HttpTimeout(str(exc))
            except _CONNECTION_ERRORS as exc:
                connection.close()
                if reused and isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)):
                    continue
                raise _lost(exc)
        response = Response(raw, lambda reusable: self._give_back(connection, reusable))
        if not stream:
            response.content  # read now: the connection is free again for the next request
        if response.status_code >= 400 and stream:
            response.content  # the error document, read whole
        check_answer(response, stream, is_api)
        return response

    def _take(self, fresh=False):
        with self._lock:
            if self._idle and not fresh:
                return self._idle.pop(), True
        return _UnixConnection(self.path, self.timeout), False

    def _give_back(self, connection, reusable):
        if not reusable:
            connection.close()
            return
        with self._lock:
            self._idle.append(connection)

    def close(self):
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class ChunkedBody:
    """A request body made as it is sent, from an iterable of byte strings, whose length is not
    known up front: sent with Transfer-Encoding: chunked (a backup rewritten while it streams).
    Works as ``data`` for either transport (``read`` for http.client, iteration for requests)."""

    def __init__(self, pieces):
        self._pieces = pieces if hasattr(pieces, "__next__") else iter(pieces)
        self._rest = b""

    def __iter__(self):
        if self._rest:
            rest, self._rest = self._rest, b""
            yield rest
        for piece in self._pieces:
            if piece:
                yield piece

    def close(self):
        """Stop the maker of the pieces (a generator: its files and processes are released)."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()

    def read(self, size=-1):
        out = [self._rest]
        length = len(self._rest)
        while size is None or size < 0 or length < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            out.append(piece)
            length += len(piece)
        data = b"".join(out)
        if size is None or size < 0:
            self._rest = b""
            return data
        data, self._rest = data[:size], data[size:]
        return data


class MultipartBody:
    """A multipart/form-data body streamed from open files, with its length known up front
    (LXD's split image upload: metadata and rootfs). Works as ``data`` for either transport."""

    def __init__(self, fields, boundary=None):
        self.boundary = boundary or "lxdkit-" + os.urandom(12).hex()
        self.content_type = "multipart/form-data; boundary=%s" % self.boundary
        self._parts = []
        for name, filename, stream in fields:
            head = ('--%s\r\nContent-Disposition: form-data; name="%s"; filename="%s"\r\n'
                    "Content-Type: application/octet-stream\r\n\r\n" % (self.boundary, name, filename)).encode("utf-8")
            self._parts.extend([head, stream, b"\r\n"])
        self._parts.append(("--%s--\r\n" % self.boundary).encode("ascii"))
        self._length = sum(body_length(part) for part in self._parts)
        self._index = 0

    def __len__(self):
        return self._length

    def read(self, size=-1):
        size = BLOCK if size is None or size < 0 else size
        out = []
        while size > 0 and self._index < len(self._parts):
            part = self._parts[self._index]
            if isinstance(part, bytes):
                piece, rest = part[:size], part[size:]
                if rest:
                    self._parts[self._index] = rest
                else:
                    self._index += 1
            else:
                piece = part.read(size)
                if not piece:
                    self._index += 1
                    continue
            out.append(piece)
            size -= len(piece)
        return b"".join(out)
