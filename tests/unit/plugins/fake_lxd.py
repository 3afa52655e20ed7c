# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fake LXD transport for unit tests: answers from a route table, records every request.

It has the interface of ``_http.UnixHttp`` (``request(...)`` returning a response, ``close()``)
and raises its exceptions, so ``LxdClient`` runs unchanged on top of it: error translation,
operations, retries and downloads are the client's own code. Example::

    from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, sync

    fake = FakeLxd(projects=["default", "web"])
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Running"}))
    # A busy refusal first, then an operation that succeeds (a sequence: the last answer repeats).
    fake.route("POST", "instances/c1/snapshots", error(400, "Instance is busy"), operation({"name": "s1"}))

    client = fake.client(project="web")          # an LxdClient connected to the fake
    assert client.get("instances/c1")["status"] == "Running"
    assert client.find("instances/missing") is None   # anything not routed is LXD's 404
    assert fake.calls[-1] == "GET instances/missing"

    with fake.serving():                          # every LxdClient made inside talks to the fake
        run_the_module_or_plugin()                # (a module's, a plugin's)

Answers: ``sync`` (a sync document), ``error`` (an error document), ``operation`` (202 with an
operation whose wait endpoint answers Success or Failure), ``body`` (raw bytes, for files, logs
and downloads) and ``raises`` (a transport exception: ``HttpTimeout``, ``HttpConnectionLost``).
A route may be limited to one LXD project (``project=``); ``GET /1.0`` answers ``fake.server``
and ``GET projects/NAME`` answers from ``projects`` unless routed otherwise. The client's
``on_this_host`` is False on the fake (it is not the unix-socket transport class).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import itertools
import json
from unittest import mock

import pytest

from ansible.module_utils import basic

from ansible_collections.lxdkit.lxd.plugins.module_utils import _client
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import HttpConnectionLost, check_answer

# The socket path the client believes it reached (``client.where`` is ``unix:`` + this, unless
# the options give a url).
SOCKET = "/run/fake-lxd/unix.socket"

SERVER = {
    "api_extensions": ["projects", "instances"],
    "api_status": "stable",
    "api_version": "1.0",
    "auth": "trusted",
    "environment": {"server_name": "fake", "server_version": "5.0.2", "server_clustered": False},
}


@dataclasses.dataclass
class Answer:
    """One answer of a route; made by ``sync``, ``error``, ``operation``, ``body`` or ``raises``."""

    status: int = 200
    document: object = None  # JSON document, or None for a raw ``content`` body
    content: bytes = b""
    headers: dict = dataclasses.field(default_factory=dict)
    exception: Exception = None  # raised instead of answering
    lost_after: int = None  # a streamed body breaks after this many bytes
    outcome: dict = None  # an operation's final state, answered by its wait endpoint
    running: int = 0  # waits answered "Running" before the outcome


def sync(metadata=None, status=200, headers=None):
    """LXD's synchronous answer: ``{"type": "sync", "metadata": metadata}``."""
    return Answer(status=status, headers=dict(headers or {}), document={
        "type": "sync", "status": "Success", "status_code": 200, "operation": "", "error_code": 0, "error": "",
        "metadata": metadata})


def error(status, message):
    """LXD's error document, with ``status`` as HTTP status and ``error_code``."""
    return Answer(status=status, document={"type": "error", "error": message, "error_code": status, "metadata": None})


def operation(metadata=None, err=None, running=0, op_id=None, resources=None):
    """202 with an operation: its wait endpoint answers Success with ``metadata``, or Failure
    with LXD's ``err`` text; ``running`` waits first answer Running. ``op_id`` fixes the
    operation's id (default: a new one each time the answer is served). ``resources``: the
    objects the operation made, as LXD lists them (``{"instances": ["/1.0/instances/c1"]}``)."""
    if err:
        outcome = {"status": "Failure", "status_code": 400, "err": err, "metadata": metadata}
    else:
        outcome = {"status": "Success", "status_code": 200, "err": "", "metadata": metadata}
    return Answer(status=202, outcome=dict(outcome, id=op_id, resources=resources or {}), running=running)


def body(content, status=200, headers=None, lost_after=None):
    """A raw body (file contents, a log, a download) with its headers; Content-Length is the
    body's length unless given. ``lost_after``: the connection breaks after that many bytes."""
    headers = dict(headers or {})
    headers.setdefault("Content-Length", str(len(content)))
    return Answer(status=status, content=content, headers=headers, lost_after=lost_after)


def raises(exception):
    """The transport raises ``exception`` (``HttpTimeout``, ``HttpConnectionLost``) instead of answering."""
    return Answer(exception=exception)


@dataclasses.dataclass
class Request:
    """One request as the transport got it; ``data`` is the raw body read to bytes."""

    method: str
    path: str
    params: dict
    json: object
    data: bytes
    headers: dict
    stream: bool
    timeout: float
    is_api: bool

    @property
    def project(self):
        return self.params.get("project", _client.DEFAULT_PROJECT)


class FakeResponse:
    """The response interface of ``_http.Response`` over an answer."""

    def __init__(self, answer, document):
        self.status_code = answer.status
        self.reason = http.client.responses.get(answer.status, "")
        self.headers = http.client.HTTPMessage()  # case-insensitive get(), as the real ones
        for name, value in answer.headers.items():
            self.headers[name] = value
        self.content = answer.content if document is None else json.dumps(document).encode()
        self._lost_after = answer.lost_after
        self.closed = False

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content.decode("utf-8"))

    def iter_content(self, chunk_size):
        end = len(self.content) if self._lost_after is None else self._lost_after
        for start in range(0, end, chunk_size):
            yield self.content[start:min(start + chunk_size, end)]
        if self._lost_after is not None:
            raise HttpConnectionLost("ConnectionResetError: [Errno 104] Connection reset by peer")

    def close(self):
        self.closed = True


def _normalized(path):
    path = path.strip("/")
    return path[len("1.0/"):] if path.startswith("1.0/") else ("" if path == "1.0" else path)


class FakeLxd:
    """An in-memory LXD behind the transport interface (see the module docstring)."""

    def __init__(self, projects=(_client.DEFAULT_PROJECT,), server=None):
        self.projects = set(projects)
        self.server = dict(SERVER if server is None else server)
        self.requests = []
        self.opened = []  # (socket path, timeout) for each client that connected
        self.closed = 0
        self._routes = {}
        self._op_ids = itertools.count(1)

    # -- the table ----------------------------------------------------------------------------

    def route(self, method, path, *answers, project=None):
        """Answer ``method path`` (relative to /1.0) with ``answers`` in turn, the last one
        for every further request; ``project`` limits the route to requests in that project."""
        if not answers:
            raise ValueError("a route needs at least one answer")
        self._routes[(method.upper(), _normalized(path), project)] = list(answers)

    @property
    def calls(self):
        """``"METHOD path"`` of every request so far, in order (the connect's GET /1.0 is ``"GET "``)."""
        return ["%s %s" % (request.method, request.path) for request in self.requests]

    def requested(self, method, path):
        """The requests made to ``method path``, in order."""
        return [request for request in self.requests if (request.method, request.path) == (method.upper(), _normalized(path))]

    # -- clients ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def serving(self):
        """Within it, every LxdClient that connects reaches this fake (through its own
        ``_connect``: GET /1.0, the client certificate and project checks run as for real)."""
        fake = self

        class Transport:
            """Stands in for ``UnixHttp``: making one records the options and gives the fake."""

            def __new__(cls, path, timeout):
                fake.opened.append((path, timeout))
                return fake

        def resolve_endpoint(url, snap_url=None):
            return SOCKET, url or "unix:" + SOCKET

        with mock.patch.object(_client, "UnixHttp", Transport), mock.patch.object(_client, "resolve_endpoint", resolve_endpoint):
            yield self

    def client(self, **options):
        """An ``LxdClient(**options)`` already connected to this fake."""
        client = _client.LxdClient(**options)
        with self.serving():
            client.server  # connects now, while the transport is the fake
        return client

    # -- the transport interface (_http.UnixHttp) ---------------------------------------------

    def request(self, method, path, params=None, json_body=None, data=None, headers=None, stream=False,
                timeout=None, is_api=True):
        if data is not None and hasattr(data, "read"):
            data = data.read()  # a streamed body is consumed, as the real transport does
        request = Request(method.upper(), _normalized(path), dict(params or {}), json_body, data, dict(headers or {}),
                          stream, timeout, is_api)
        self.requests.append(request)
        answer = self._answer(request)
        if answer.exception is not None:
            raise answer.exception
        response = FakeResponse(answer, self._document(answer))
        check_answer(response, stream, is_api)  # what UnixHttp does with an answer
        return response

    def close(self):
        self.closed += 1

    def _answer(self, request):
        for key in ((request.method, request.path, request.project), (request.method, request.path, None)):
            answers = self._routes.get(key)
            if answers:
                return answers.pop(0) if len(answers) > 1 else answers[0]
        if (request.method, request.path) == ("GET", ""):
            return sync(self.server)
        name = request.path[len("projects/"):] if request.path.startswith("projects/") else None
        if request.method == "GET" and name and "/" not in name and name in self.projects:
            return sync({"name": name, "config": {}, "description": "", "used_by": []})
        return error(404, "not found")

    def _document(self, answer):
        if answer.outcome is None:
            return answer.document
        outcome = dict(answer.outcome, id=answer.outcome["id"] or "fake-op-%d" % next(self._op_ids))
        path = "operations/%s/wait" % outcome["id"]
        running = dict(outcome, status="Running", status_code=103, err="")
        self.route("GET", path, *([sync(running)] * answer.running + [sync(outcome)]))
        return {"type": "async", "status": "Operation created", "status_code": 100, "operation": "/1.0/" + path[:-len("/wait")],
                "error_code": 0, "error": "", "metadata": running}


# -- whole module runs ----------------------------------------------------------------------

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield


def run_module(fake, module, capsys, check_mode=False, **args):
    """Run ``module.main()`` (a module of plugins/modules) with ``args`` against ``fake``, in
    diff mode; return its JSON result (``capsys`` is pytest's fixture)."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
    with fake.serving(), patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def writes(fake):
    """The requests that could change LXD (all but GET), as ``"METHOD path"``."""
    return [call for call in fake.calls if not call.startswith("GET")]
