# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The websocket relay against two small websocket servers on unix sockets: handshake, framing
both ways (a client masks, a server does not), pings answered, a close carried across and the
pair ended."""

from __future__ import annotations

import os
import socket
import struct
import threading
import types

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _websocket
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._websocket import BINARY, CLOSE, PING, PONG, TEXT, Relay, WebSocket


def test_accept_key_is_rfc_6455s_example():
    assert _websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200000])
def test_a_masked_frame_reads_back_whole(size):
    payload = os.urandom(size)
    one, other = socket.socketpair()
    with one, other:
        frame = _websocket.encode_frame(BINARY, payload, fin=size % 2 == 0, key=b"\x01\x02\x03\x04")
        threading.Thread(target=one.sendall, args=(frame,)).start()
        assert WebSocket(other).recv_frame() == (size % 2 == 0, BINARY, payload)


def test_mask_is_its_own_inverse_and_rfc_shaped():
    assert _websocket.mask(b"Hello", b"\x37\xfa\x21\x3d") == bytes.fromhex("7f9f4d5158")
    assert _websocket.mask(_websocket.mask(b"abcdefg", b"wxyz"), b"wxyz") == b"abcdefg"


def server_frame(opcode, payload, fin=True):
    """A frame as a server sends it: not masked."""
    size = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([size]) if size < 126 else bytes([126]) + struct.pack("!H", size)
    return head + payload


class FakeServer:
    """A unix-socket websocket server of one operation: checks the handshake, then runs ``script``
    on the connection (one per secret in ``scripts``); what it saw goes to ``seen``."""

    def __init__(self, path, operation, scripts):
        self.path = path
        self.operation = operation
        self.scripts = scripts
        self.seen = []
        self.errors = []
        self.runs = []
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        self.client = types.SimpleNamespace(where="unix:" + path, label="LXD at unix:" + path, timeout=5)

    def _serve(self):
        for _number in range(len(self.scripts)):
            conn, _address = self.listener.accept()
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            lines = request.decode().split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            secret = lines[0].split("secret=", 1)[1].split(" ", 1)[0]
            if not lines[0].startswith("GET /1.0/operations/%s/websocket?secret=" % self.operation) or secret not in self.scripts:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                conn.close()
                continue
            conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n" % _websocket.accept_key(headers["Sec-WebSocket-Key"])).encode())
            run = threading.Thread(target=self._run, args=(self.scripts[secret], conn), daemon=True)
            self.runs.append(run)
            run.start()

    def join(self):
        """Wait until every connection's script is done."""
        self.thread.join(5)
        for run in self.runs:
            run.join(5)

    def _run(self, script, conn):
        try:
            script(conn, WebSocket(conn), self.seen)
        except Exception as exc:  # the test reads them
            self.errors.append(exc)
        finally:
            conn.close()


def source_script(conn, websocket, seen):
    conn.sendall(server_frame(BINARY, b"from-", fin=False) + server_frame(0, b"source"))
    conn.sendall(server_frame(PING, b"are you there"))
    # The relay's pong (masked) and the target's answer carried across, in either order: the
    # two directions are carried by two threads.
    seen.extend(sorted([websocket.recv_frame(), websocket.recv_frame()], key=lambda frame: frame[1]))
    conn.sendall(server_frame(CLOSE, struct.pack("!H", 1000)))
    with pytest.raises(_websocket.WebSocketClosed):
        websocket.recv_frame()  # the relay ends the pair: the connection is closed
    seen.append("closed")


def target_script(conn, websocket, seen):
    seen.append(websocket.recv_frame())
    seen.append(websocket.recv_frame())
    conn.sendall(server_frame(TEXT, b"from-target"))
    seen.append(websocket.recv_frame())  # the close the source sent


def test_the_relay_carries_frames_both_ways_answers_pings_and_carries_the_close(tmp_path):
    source = FakeServer(str(tmp_path / "source.socket"), "src-op", {"s-control": source_script})
    target = FakeServer(str(tmp_path / "target.socket"), "dst-op", {"t-control": target_script})
    relay = Relay().start(source.client, "src-op", {"control": "s-control"}, target.client, "dst-op", {"control": "t-control"})
    source.join()
    target.join()
    for pair in relay.pairs:
        pair.join(5)
    relay.close()
    assert source.errors == [] and target.errors == []
    assert target.seen == [(False, BINARY, b"from-"), (True, 0, b"source"), (True, CLOSE, struct.pack("!H", 1000))]
    assert source.seen == [(True, TEXT, b"from-target"), (True, PONG, b"are you there"), "closed"]
    assert relay.pairs[0].frames == [2, 1]
    assert all(not thread.is_alive() for pair in relay.pairs for thread in pair.threads)


def test_a_channel_the_source_does_not_offer_is_refused_before_connecting(tmp_path):
    client = types.SimpleNamespace(where="unix:" + str(tmp_path / "none.socket"), timeout=1)
    with pytest.raises(LxdkitError, match="expects the criu websocket"):
        Relay().start(client, "a", {"control": "x", "fs": "y"}, client, "b", {"control": "x", "fs": "y", "criu": "z"})


def test_a_refused_handshake_is_an_error_naming_the_server(tmp_path):
    source = FakeServer(str(tmp_path / "source.socket"), "src-op", {"s-control": source_script})
    with pytest.raises(LxdkitError, match="refused websocket of operation src-op: HTTP/1.1 403 Forbidden"):
        _websocket.connect(source.client, "src-op", "wrong-secret")


def test_an_unreachable_server_is_an_error_naming_it(tmp_path):
    where = "unix:" + str(tmp_path / "none.socket")
    client = types.SimpleNamespace(where=where, label="Incus at " + where, timeout=1)
    with pytest.raises(LxdkitError, match="cannot open websocket of operation op on Incus at unix:"):
        _websocket.connect(client, "op", "secret")
