# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unix-socket transport against a small real HTTP/1.1 server on a unix socket (no LXD:
the integration targets cover LXD itself)."""

from __future__ import annotations

import email.parser
import hashlib
import http.server
import io
import json
import os
import socketserver
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lxdkit.lxd.plugins.module_utils._http import (
    HttpConnectionLost,
    HttpStatusError,
    HttpTimeout,
    ChunkedBody,
    MultipartBody,
    UnixHttp,
    body_length,
)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, document=None, raw=None, length=None, close=False):
        body = raw if raw is not None else json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if close:
            self.close_connection = True

    def do_GET(self):
        self.server.requests.append(self.path)
        path = self.path.split("?", 1)[0]
        if path == "/1.0":
            self._send(200, {"type": "sync", "metadata": {"api_version": "1.0"}})
        elif path == "/1.0/missing":
            self._send(404, {"type": "error", "error": "not found", "error_code": 404})
        elif path == "/1.0/error-document":
            self._send(200, {"type": "error", "error": "odd"})
        elif path == "/1.0/short":
            self._send(200, raw=b"x" * 10, length=100, close=True)
        elif path == "/1.0/then-hang-up":
            # Answers, then closes without saying so: a kept connection that has gone stale.
            self._send(200, {"type": "sync", "metadata": "bye"}, close=True)
        elif path == "/1.0/slow":
            time.sleep(1.5)
            self._send(200, {"type": "sync", "metadata": None})
        else:
            self._send(200, {"type": "sync", "metadata": self.path})

    def do_POST(self):
        self.server.requests.append(self.path)
        if self.headers.get("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                body += self.rfile.read(size)
                self.rfile.readline()  # the CRLF after each chunk
                if not size:
                    break
            length = -len(body)  # told apart from a Content-Length
        else:
            length = int(self.headers["Content-Length"])
            body = self.rfile.read(length)
        self._send(200, {"type": "sync", "metadata": {
            "length": length, "sha256": hashlib.sha256(body).hexdigest(), "type": self.headers.get("Content-Type")}})


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    accepted = 0

    def get_request(self):
        self.accepted += 1  # connections opened by the client
        return super().get_request()


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "http.socket")
    srv = _Server(path, _Handler)
    srv.requests = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _connections(srv):
    return srv.accepted


def test_api_answers_come_back_and_one_connection_is_kept_for_them(server):
    http = UnixHttp(server.server_address, timeout=5)
    for _attempt in range(3):
        assert http.request("GET", "").json()["metadata"] == {"api_version": "1.0"}
    assert len(server.requests) == 3
    assert _connections(server) == 1


def test_query_parameters_and_escaped_names_reach_the_server(server):
    http = UnixHttp(server.server_address, timeout=5)
    answer = http.request("GET", "instances/c1/snapshots/snap 1:x", params={"project": "p", "recursion": "1"}).json()
    assert answer["metadata"] == "/1.0/instances/c1/snapshots/snap%201:x?project=p&recursion=1"


def test_an_error_status_raises_with_the_response(server):
    http = UnixHttp(server.server_address, timeout=5)
    with pytest.raises(HttpStatusError) as info:
        http.request("GET", "missing")
    assert info.value.response.status_code == 404
    assert info.value.response.json()["error"] == "not found"
    # The error body was read: the connection serves the next request.
    assert http.request("GET", "").status_code == 200
    assert _connections(server) == 1


def test_an_error_document_with_a_200_status_raises(server):
    http = UnixHttp(server.server_address, timeout=5)
    with pytest.raises(HttpStatusError):
        http.request("GET", "error-document")


def test_a_body_shorter_than_its_length_is_a_lost_connection(server):
    http = UnixHttp(server.server_address, timeout=5)
    response = http.request("GET", "short", stream=True)
    with pytest.raises(HttpConnectionLost):
        for _chunk in response.iter_content(4):
            pass


def test_a_kept_connection_the_server_closed_is_replaced(server):
    http = UnixHttp(server.server_address, timeout=5)
    assert http.request("GET", "then-hang-up").json()["metadata"] == "bye"
    time.sleep(0.1)
    assert http.request("GET", "").json()["metadata"] == {"api_version": "1.0"}
    assert _connections(server) == 2


def test_a_streamed_body_never_goes_on_a_kept_connection(server, tmp_path):
    http = UnixHttp(server.server_address, timeout=5)
    assert http.request("GET", "then-hang-up").json()["metadata"] == "bye"  # kept, but now stale
    (tmp_path / "f").write_bytes(b"file body")
    with open(tmp_path / "f", "rb") as stream:
        answer = http.request("POST", "upload", data=stream).json()["metadata"]
    assert answer["sha256"] == hashlib.sha256(b"file body").hexdigest()
    assert _connections(server) == 2


def test_a_stream_being_read_does_not_block_other_requests(server):
    http = UnixHttp(server.server_address, timeout=5)
    streamed = http.request("GET", "something", stream=True)
    assert http.request("GET", "").status_code == 200
    assert b"something" in b"".join(streamed.iter_content(3))
    assert _connections(server) == 2
    assert len(http._idle) == 2


def test_no_answer_within_the_timeout(server):
    http = UnixHttp(server.server_address, timeout=0.3)
    with pytest.raises(HttpTimeout):
        http.request("GET", "slow")


def test_a_missing_socket_is_a_lost_connection(tmp_path):
    with pytest.raises(HttpConnectionLost):
        UnixHttp(str(tmp_path / "none.socket"), timeout=1).request("GET", "")


def test_a_file_body_is_streamed_with_its_length(server, tmp_path):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "payload"
    path.write_bytes(payload)
    http = UnixHttp(server.server_address, timeout=5)
    with open(path, "rb") as stream:
        stream.read(17)  # the length counts from where the file stands
        answer = http.request("POST", "upload", data=stream, headers={"Content-Type": "application/octet-stream"}).json()
    assert answer["metadata"]["length"] == len(payload) - 17
    assert answer["metadata"]["sha256"] == hashlib.sha256(payload[17:]).hexdigest()


def test_a_json_body(server):
    answer = UnixHttp(server.server_address, timeout=5).request("POST", "upload", json_body={"name": "x"}).json()["metadata"]
    assert answer["length"] == len(json.dumps({"name": "x"}))
    assert answer["type"] == "application/json"


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.binary(max_size=3000), st.integers(min_value=1, max_value=700))
def test_multipart_body_length_and_parts(metadata, rootfs, read_size):
    body = MultipartBody([("metadata", "meta.tar", io.BytesIO(metadata)), ("rootfs", "rootfs.tar", io.BytesIO(rootfs))])
    length = len(body)
    pieces = []
    while True:
        piece = body.read(read_size)
        if not piece:
            break
        assert len(piece) <= read_size
        pieces.append(piece)
    raw = b"".join(pieces)
    assert len(raw) == length
    message = email.parser.BytesParser().parsebytes(b"Content-Type: " + body.content_type.encode() + b"\r\n\r\n" + raw)
    parts = message.get_payload()
    assert [part.get_param("name", header="content-disposition") for part in parts] == ["metadata", "rootfs"]
    assert [part.get_filename() for part in parts] == ["meta.tar", "rootfs.tar"]
    assert [part.get_payload(decode=True) for part in parts] == [metadata, rootfs]


def test_multipart_upload_arrives_whole(server, tmp_path):
    (tmp_path / "m").write_bytes(b"meta" * 1000)
    (tmp_path / "r").write_bytes(os.urandom(2 * 1024 * 1024))
    with open(tmp_path / "m", "rb") as meta, open(tmp_path / "r", "rb") as rootfs:
        body = MultipartBody([("metadata", "m", meta), ("rootfs", "r", rootfs)])
        expected = len(body)
        http = UnixHttp(server.server_address, timeout=5)
        answer = http.request("POST", "images", data=body, headers={"Content-Type": body.content_type}).json()["metadata"]
    assert answer["length"] == expected
    assert answer["type"].startswith("multipart/form-data; boundary=lxdkit-")


def test_body_length_of_each_kind(tmp_path):
    (tmp_path / "f").write_bytes(b"12345")
    with open(tmp_path / "f", "rb") as stream:
        assert body_length(stream) == 5
    assert body_length(None) == 0
    assert body_length(b"abc") == 3


def test_a_body_made_while_it_is_sent_goes_chunked_and_arrives_whole(server):
    pieces = [os.urandom(size) for size in (1, 70000, 0, 5, 300000)]
    made = []

    def maker():
        for piece in pieces:
            made.append(len(piece))
            yield piece

    answer = UnixHttp(server.server_address, timeout=5).request("POST", "instances", data=ChunkedBody(maker()),
                                                                headers={"Content-Type": "application/octet-stream"}).json()
    assert answer["metadata"]["length"] == -sum(made)  # no Content-Length: chunked
    assert answer["metadata"]["sha256"] == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert body_length(ChunkedBody([])) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=900), max_size=8), st.integers(min_value=1, max_value=700))
def test_chunked_body_reads_give_every_byte_once(pieces, read_size):
    body = ChunkedBody(iter(pieces))
    first = body.read(read_size)
    assert len(first) <= read_size
    assert first + b"".join(body) == b"".join(pieces)
    assert ChunkedBody(iter(pieces)).read() == b"".join(pieces)
