# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Relay of LXD operation websockets between two servers, with the standard library only.

In relay mode neither daemon connects to the other: both wait for a client on the websockets
of their migration operation, and this client carries every message from one to the other
(as lxc's ``--mode=relay`` and LXD's own ``WebsocketProxy`` do). A websocket here is RFC 6455
as LXD speaks it (gorilla/websocket): a client handshake on ``/1.0/operations/ID/websocket``,
then frames; frames a client sends are masked. Messages are forwarded frame by frame, so
fragmentation is kept; pings are answered; a close (or a broken connection) on either side
ends the pair, both connections closed, as in LXD's proxy.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import struct
import threading
from urllib.parse import quote, urlsplit

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
# A frame bigger than this is not something LXD sends (its frames are its write buffer, KiBs).
MAX_FRAME = 64 * 1024 * 1024
# Bytes asked of the socket at a time: LXD's data frames are 16-32 KiB.
RECEIVE = 256 * 1024


class WebSocketClosed(Exception):
    """The peer closed the connection or sent something that is not a websocket frame."""


def mask(payload, key):
    """XOR ``payload`` with the 4-byte ``key`` repeated (RFC 6455 5.3), fast for large frames."""
    size = len(payload)
    if not size:
        return b""
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(size, "big")


def accept_key(key):
    """The Sec-WebSocket-Accept a server answers to the client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def encode_frame(opcode, payload, fin=True, key=None):
    """One frame as a client sends it (masked with ``key``, random unless given)."""
    key = os.urandom(4) if key is None else key
    size = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if size < 126:
        head += bytes([0x80 | size])
    elif size < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", size)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", size)
    return head + key + mask(payload, key)


class WebSocket:
    """One client websocket over a connected socket (unix or TLS)."""

    def __init__(self, sock, buffered=b""):
        self.sock = sock
        self._buffer = bytearray(buffered)
        self._start = 0  # what is read of the buffer; dropped only when more is needed
        self._send_lock = threading.Lock()
        self._closed = False

    # -- reading ------------------------------------------------------------------------------

    def _read(self, size):
        buffer = self._buffer
        if len(buffer) - self._start < size:
            del buffer[:self._start]
            self._start = 0
            while len(buffer) < size:
                chunk = self.sock.recv(max(RECEIVE, size - len(buffer)))
                if not chunk:
                    raise WebSocketClosed("connection closed by the server")
                buffer += chunk
        start = self._start
        self._start = start + size
        with memoryview(buffer) as view:
            return bytes(view[start:start + size])

    def recv_frame(self):
        """The next frame: ``(fin, opcode, payload)`` (unmasked)."""
        first, second = self._read(2)
        size = second & 0x7F
        if size == 126:
            size = struct.unpack("!H", self._read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self._read(8))[0]
        if size > MAX_FRAME:
            raise WebSocketClosed("a frame of %d bytes" % size)
        key = self._read(4) if second & 0x80 else None
        payload = self._read(size)
        return bool(first & 0x80), first & 0x0F, mask(payload, key) if key else payload

    # -- writing ------------------------------------------------------------------------------

    def send_frame(self, opcode, payload, fin=True):
        frame = encode_frame(opcode, payload, fin)
        with self._send_lock:
            self.sock.sendall(frame)

    def close(self):
        """Close the connection (a blocked ``recv_frame`` in another thread ends)."""
        with self._send_lock:
            if self._closed:
                return
            self._closed = True
        for step in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                step()
            except OSError:
                pass


def _endpoint(client):
    """``(socket family, address, Host header)`` of the server ``client`` reaches."""
    where = client.where
    if where.startswith("unix:"):
        return socket.AF_UNIX, where[len("unix:"):], "lxd"
    parts = urlsplit(where)
    return None, (parts.hostname, parts.port or 8443), parts.netloc


def _tls(client, sock, hostname):
    """Wrap ``sock`` in TLS as the client's options say: its client certificate; the server's
    certificate pinned (exactly that certificate), or checked against the system CAs, or not."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The same certificate the client's HTTPS transport presents (lxc's when none is given).
    cert = client._client_cert(client.where)  # pylint: disable=protected-access
    if cert:
        context.load_cert_chain(cert[0], cert[1])
    pinned = None
    if client.server_cert:
        with open(client.server_cert) as handle:
            pinned = ssl.PEM_cert_to_DER_cert(handle.read())
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif client.validate_certs:
        context.load_default_certs()
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    wrapped = context.wrap_socket(sock, server_hostname=hostname)
    if pinned is not None and wrapped.getpeercert(binary_form=True) != pinned:
        wrapped.close()
        raise LxdkitError("TLS to %s: the server's certificate is not server_cert %s" % (client.label, client.server_cert))
    return wrapped


def connect(client, operation, secret):
    """Open the websocket ``secret`` of ``operation`` (its id) on the server of ``client``."""
    family, address, host = _endpoint(client)
    path = "/1.0/operations/%s/websocket?secret=%s" % (quote(operation, safe=""), quote(secret, safe=""))
    try:
        if family == socket.AF_UNIX:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(client.timeout)
            sock.connect(address)
        else:
            sock = socket.create_connection(address, timeout=client.timeout)
            sock = _tls(client, sock, address[0])
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, host, key))
        sock.sendall(request.encode("ascii"))
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                raise WebSocketClosed("the server closed the connection during the handshake")
            answer += chunk
            if len(answer) > 65536:
                raise WebSocketClosed("no end of the handshake answer")
    except (OSError, WebSocketClosed) as exc:
        raise LxdkitError("relay: cannot open websocket of operation %s on %s: %s" % (operation, client.label, exc))
    head, _sep, rest = answer.partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    headers = dict((name.strip().lower(), value.strip()) for name, _colon, value in (line.partition(":") for line in lines[1:]))
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[1] != "101" or headers.get("sec-websocket-accept") != accept_key(key):
        sock.close()
        raise LxdkitError("relay: %s refused websocket of operation %s: %s" % (client.label, operation, lines[0]))
    sock.settimeout(None)  # the migration decides how long a channel stays quiet
    return WebSocket(sock, rest)


class _Pair:
    """Two websockets carrying one channel; messages go both ways until either side ends it."""

    def __init__(self, name, source, target):
        self.name = name
        self.sockets = (source, target)
        self.threads = [threading.Thread(target=self._pump, args=(source, target), daemon=True),
                        threading.Thread(target=self._pump, args=(target, source), daemon=True)]
        self.frames = [0, 0]  # data frames carried source->target, target->source
        for thread in self.threads:
            thread.start()

    def _pump(self, reader, writer):
        direction = 0 if reader is self.sockets[0] else 1
        try:
            while True:
                fin, opcode, payload = reader.recv_frame()
                if opcode == PING:
                    reader.send_frame(PONG, payload)
                elif opcode == PONG:
                    continue
                elif opcode == CLOSE:
                    writer.send_frame(CLOSE, payload)
                    break
                else:
                    writer.send_frame(opcode, payload, fin)
                    self.frames[direction] += 1
        except Exception:  # any end of one side (closed, reset, TLS torn down by close()) ends the pair
            pass
        finally:
            self.close()

    def close(self):
        for websocket in self.sockets:
            websocket.close()

    def join(self, timeout):
        for thread in self.threads:
            thread.join(timeout)


class Relay:
    """The websockets of a source migration operation joined to those of the destination's."""

    def __init__(self):
        self.pairs = []

    def start(self, source, source_operation, source_secrets, target, target_operation, target_secrets):
        """Connect each channel the target expects (control first, as lxc does) on both sides."""
        missing = sorted(name for name in target_secrets if name not in source_secrets)
        if missing:
            raise LxdkitError("relay: the destination expects the %s websocket(s), which the source does not offer" % ", ".join(missing))
        if not target_secrets.get("control"):
            raise LxdkitError("relay: the destination offers no control websocket")
        names = ["control"] + sorted(name for name in target_secrets if name != "control")
        try:
            for name in names:
                source_socket = connect(source, source_operation, source_secrets[name])
                try:
                    target_socket = connect(target, target_operation, target_secrets[name])
                except LxdkitError:
                    source_socket.close()
                    raise
                self.pairs.append(_Pair(name, source_socket, target_socket))
        except LxdkitError:
            self.close()
            raise
        return self

    def close(self, timeout=5):
        for pair in self.pairs:
            pair.close()
        for pair in self.pairs:
            pair.join(timeout)
