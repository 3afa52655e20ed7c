# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one LXD API client: connection options, projects, cluster targets, operations and the
translation of every transport or LXD error into ``LxdkitError``.

Modules talk to LXD only through ``LxdClient`` and REST paths relative to ``/1.0``
(``profiles/web``). The local unix socket is spoken with the standard library (``_http``);
HTTPS goes through pylxd (``_pylxd_http``), imported only then.

The same client speaks to Incus, LXD's fork, which serves the same API family: the server is
read once per connection from GET /1.0 (``environment.server``, never guessed from the socket
path), and the few request and response headers Incus renamed (``X-LXD-*`` to ``X-Incus-*``)
are named in one place, ``api_header``: every caller takes its header names from the client.
"""

from __future__ import annotations

import os
import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import BUSY_ATTEMPTS, BUSY_PAUSE, LxdkitError, LxdkitNotFound, is_busy_refusal
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import HttpError, HttpStatusError, HttpTimeout, UnixHttp

# The local sockets tried when no url is given, in this order (documented in the connection doc
# fragment): the daemon directories named by the environment (LXD_DIR, then Incus's
# INCUS_SOCKET and INCUS_DIR, as the lxc and incus clients read them), LXD's Debian/Ubuntu
# package, LXD's snap, snap_url when given, and Incus's package last.
LXD_SOCKETS = ("/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket")
INCUS_SOCKET = "/var/lib/incus/unix.socket"
DEFAULT_SOCKETS = LXD_SOCKETS + (INCUS_SOCKET,)
DEFAULT_PROJECT = "default"
# The lxc CLI's client certificate, used for HTTPS when none is given (as lxc and pylxd do).
LXC_CLIENT_CERT = tuple(os.path.expanduser("~/.config/lxc/client." + ext) for ext in ("crt", "key"))


def connection_argument_spec():
    """Options every module shares; documented once in the ``lxdkit.lxd.connection`` fragment."""
    return dict(
        url=dict(type="str", fallback=(env_fallback, ["LXD_URL"])),
        snap_url=dict(type="str"),
        client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["LXD_CLIENT_CERT"])),
        client_key=dict(type="path", aliases=["key_file"], fallback=(env_fallback, ["LXD_CLIENT_KEY"])),
        server_cert=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        trust_token=dict(type="str", no_log=True),
        trust_password=dict(type="str", no_log=True),
        project=dict(type="str", default=DEFAULT_PROJECT),
        timeout=dict(type="float", default=30.0),
    )


# The names of the connection options, in the order LxdClient takes them.
CONNECTION_OPTIONS = tuple(connection_argument_spec())


# The servers this client knows (GET /1.0 environment.server), and how messages name them.
LXD = "lxd"
INCUS = "incus"
SERVER_NAMES = {LXD: "LXD", INCUS: "Incus"}

# The request and response headers of the API that carry a value beside the body, by field:
# LXD spells them X-LXD-<field>, Incus X-Incus-<field> (and ignores the other spelling). The
# fields the collection sends or reads: an imported backup's new name and pool, an uploaded
# image's visibility, a file's type, mode, owner and write mode.
HEADER_FIELDS = ("name", "pool", "public", "type", "mode", "uid", "gid", "write")
_HEADER_PREFIXES = {LXD: "X-LXD-", INCUS: "X-Incus-"}


def server_kind_of(info):
    """``lxd`` or ``incus`` from GET /1.0's metadata: ``environment.server`` for a trusted
    client; an untrusted one gets no environment, only the API extensions, where Incus's name
    its guest API (``dev_incus_*``) as LXD's name devlxd. A server that says nothing is LXD."""
    kind = str(((info or {}).get("environment") or {}).get("server") or "").lower()
    if kind:
        return INCUS if kind == INCUS else LXD
    extensions = (info or {}).get("api_extensions") or []
    return INCUS if any(name.startswith("dev_incus") or name == "restrict_dev_incus" for name in extensions) else LXD


def api_header(server, field):
    """The name of the ``field`` header (one of HEADER_FIELDS) for ``server`` (LXD or INCUS)."""
    if field not in HEADER_FIELDS:
        raise ValueError("no such API header field: %r" % (field,))
    return _HEADER_PREFIXES[server] + field


def _socket_path(url):
    return url[len("unix:"):] if url.startswith("unix:") else url


def local_sockets(environ=None):
    """The local sockets tried when no url is given, in order (see DEFAULT_SOCKETS)."""
    environ = os.environ if environ is None else environ
    candidates = []
    if environ.get("LXD_DIR"):
        candidates.append(os.path.join(environ["LXD_DIR"], "unix.socket"))
    if environ.get("INCUS_SOCKET"):
        candidates.append(_socket_path(environ["INCUS_SOCKET"]))
    if environ.get("INCUS_DIR"):
        candidates.append(os.path.join(environ["INCUS_DIR"], "unix.socket"))
    return candidates + list(LXD_SOCKETS)


def resolve_endpoint(url, snap_url=None, exists=os.path.exists):
    """Return ``(socket path or https URL, how to name it in messages)``.

    ``url``: ``unix:/path``, ``/path`` or ``https://host:8443``; None finds the local socket:
    LXD's (LXD_DIR, the package, the snap), then ``snap_url``, then Incus's (INCUS_SOCKET and
    INCUS_DIR come before the default paths, the user named them).
    """
    if url and url.startswith(("https://", "http://")):
        return url.rstrip("/"), url.rstrip("/")
    candidates = [_socket_path(url)] if url else local_sockets()
    if snap_url:
        candidates.append(_socket_path(snap_url))
    if not url:
        candidates.append(INCUS_SOCKET)
    for path in candidates:
        if exists(path):
            return path, "unix:" + path
    raise LxdkitError(
        "LXD is not reachable at %s: no such socket. Is the daemon running (lxd waitready; for Incus, "
        "incus admin waitready)? For a remote server set url to https://HOST:8443."
        % " or ".join("unix:" + path for path in candidates)
    )


def _lxd_error_text(response):
    try:
        body = response.json()
    except ValueError:
        return (response.text or "").strip() or response.reason
    return body.get("error") or response.reason


class LxdClient:
    """A lazily connected LXD API client bound to one project."""

    def __init__(self, url=None, snap_url=None, client_cert=None, client_key=None, server_cert=None,
                 validate_certs=True, trust_token=None, trust_password=None, project=None, timeout=30.0):
        self.url = url
        self.snap_url = snap_url
        self.client_cert = client_cert
        self.client_key = client_key
        self.server_cert = server_cert
        self.validate_certs = validate_certs
        self.trust_token = trust_token
        self.trust_password = trust_password
        self.project = project or DEFAULT_PROJECT
        self.timeout = timeout
        self.where = url or "the local LXD socket"
        # Said to the user by whoever runs the client (a module's warnings, a plugin's display).
        self.warnings = []
        self._http = None
        self._host_info = None

    @classmethod
    def from_options(cls, get):
        """The client for the connection options, read one by one with ``get(name)``: a module's
        ``params.get``, a plugin's ``get_option``. Modules and plugins build it this one way."""
        return cls(**dict((name, get(name)) for name in CONNECTION_OPTIONS))

    # -- connection -------------------------------------------------------------------------

    @property
    def server(self):
        """GET /1.0 as read when connecting: api_extensions, environment, auth."""
        self._connected()
        return self._host_info

    @property
    def trust_secret(self):
        """What is sent on first contact over HTTPS: the token, else the password."""
        return self.trust_token or self.trust_password

    @property
    def server_kind(self):
        """Which server answered: ``lxd`` or ``incus`` (GET /1.0 environment.server; a server
        that does not say is LXD, which is what older LXD releases do)."""
        return server_kind_of(self.server)

    @property
    def server_name(self):
        """How messages name the server: ``LXD`` or ``Incus`` (``LXD`` before connecting)."""
        return SERVER_NAMES[server_kind_of(self._host_info)]

    @property
    def label(self):
        """How messages name this server and where it is: ``LXD at unix:...``, ``Incus at https://...``."""
        return "%s at %s" % (self.server_name, self.where)

    @property
    def server_version(self):
        """The server's version as it reports it (environment.server_version), or None."""
        return (self.server.get("environment") or {}).get("server_version")

    @property
    def summary(self):
        """Which server answered, for results: ``{kind, version, url}``; None before connecting
        (a task that failed before reaching any server)."""
        if self._host_info is None:
            return None
        return dict(kind=server_kind_of(self._host_info), version=(self._host_info.get("environment") or {}).get("server_version"),
                    url=self.where)

    def has_extension(self, name):
        """Whether the server has the API extension ``name``: features are gated on these,
        never on versions (LXD and Incus number theirs apart)."""
        return name in (self.server.get("api_extensions") or [])

    def header(self, field):
        """The name of the ``field`` API header for this server (``X-LXD-name``, ``X-Incus-name``)."""
        return api_header(self.server_kind, field)

    def headers(self, **fields):
        """Request headers ``{header(field): str(value)}`` for the fields given (None left out)."""
        return dict((self.header(field), str(value)) for field, value in fields.items() if value is not None)

    @property
    def on_this_host(self):
        """True when the daemon is reached through its unix socket, so it runs on this machine."""
        return isinstance(self._connected(), UnixHttp)

    def _connected(self):
        """The transport, connected on first use."""
        if self._http is None:
            self._connect()
        return self._http

    def _connect(self):
        endpoint, self.where = resolve_endpoint(self.url, self.snap_url)
        cert = self._client_cert(endpoint)  # checked for every endpoint; the socket needs none
        if endpoint.startswith(("https://", "http://")):
            from ansible_collections.lxdkit.lxd.plugins.module_utils._pylxd_http import PylxdHttp

            verify = self.server_cert or self.validate_certs
            transport = PylxdHttp(endpoint, self.where, cert, verify, self.timeout, self.trust_token or self.trust_password,
                                  before_trust=self._check_trust_password)
            self._host_info = transport.connect()
        else:
            transport = UnixHttp(endpoint, self.timeout)
            try:
                self._host_info = transport.request("GET", "").json().get("metadata") or {}
            except HttpError as exc:
                raise self._translated(exc, "GET", "/1.0", "connect", connecting=True)
            for field in ("trust_token", "trust_password"):
                if getattr(self, field):
                    self.warnings.append("%s does not apply to the unix socket (%s): the socket's owner is trusted as "
                                         "it is; it is used only over HTTPS, on first contact" % (field, self.where))
        try:
            self._check_trust_password(self._host_info)
        except LxdkitError:
            transport.close()
            raise
        self._http = transport
        if self.project != DEFAULT_PROJECT:
            try:
                self._check_project()
            except LxdkitError:
                self._http = None  # not connected: a later call checks again
                raise

    def _check_trust_password(self, info):
        """trust_password against Incus, which has none (core.trust_password is gone): an error
        naming the field, before anything is sent with it."""
        if self.trust_password and server_kind_of(info) == INCUS:
            raise LxdkitError("trust_password: Incus (at %s) has no trust password (LXD's core.trust_password is gone "
                              "there); leave trust_password out and give trust_token (from 'incus config trust add') "
                              "for the first contact" % self.where, field="trust_password")

    def _client_cert(self, endpoint):
        if self.client_cert or self.client_key:
            if not (self.client_cert and self.client_key):
                raise LxdkitError("client_cert and client_key go together: give both or neither")
            for field, path in (("client_cert", self.client_cert), ("client_key", self.client_key)):
                if not os.path.isfile(path):
                    raise LxdkitError("%s %s does not exist or is not a file" % (field, path))
            return (self.client_cert, self.client_key)
        if endpoint.startswith("https://") and all(os.path.isfile(path) for path in LXC_CLIENT_CERT):
            return LXC_CLIENT_CERT
        return None

    def _check_project(self):
        try:
            self.request("GET", "projects/%s" % self.project, params={"project": DEFAULT_PROJECT})
        except LxdkitNotFound:
            raise LxdkitError(
                "project %r does not exist on %s at %s: create it (lxc project create %s) "
                "or fix the project option" % (self.project, self.server_name, self.where, self.project), project=self.project)

    def close(self):
        """Close the transport's kept connections (a plugin that is done with the server)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    # -- errors -----------------------------------------------------------------------------

    def timeout_error(self, what):
        return LxdkitError("%s at %s did not answer %s within %s s (raise the timeout option)" % (self.server_name, self.where, what, self.timeout))

    def api_error(self, method, path, response):
        """Translate LXD's error answer to ``method path`` into an ``LxdkitError``."""
        status = response.status_code
        text = _lxd_error_text(response)
        if status == 404:
            return LxdkitNotFound("%s not found on %s at %s (project %s): %s" % (path, self.server_name, self.where, self.project, text),
                                  status=404, lxd_error=text)
        if status == 403:
            return LxdkitError("%s at %s refused %s %s (403, client not trusted or not allowed in project %s): %s"
                               % (self.server_name, self.where, method, path, self.project, text), status=403, lxd_error=text)
        return LxdkitError("%s refused %s %s: %s%s" % (self.server_name, method, path, text, self._member_hint(path, text)),
                           status=status, lxd_error=text)

    def _member_hint(self, path, text):
        """When a cluster member could not be reached: which one, and its status (LXD's error
        names none: "Missing event connection with target cluster member")."""
        if "cluster member" not in text.lower() or not self.server.get("environment", {}).get("server_clustered"):
            return ""
        try:
            members = self.get("cluster/members", params={"recursion": 1}) or []
            located = None
            parts = path.strip("/").split("/")
            if parts[0] == "instances" and len(parts) > 1:
                located = dict((i.get("name"), i.get("location")) for i in self.get("instances", params={"recursion": 1}) or []).get(parts[1])
        except LxdkitError:
            return ""
        down = [m for m in members if m.get("status") not in ("Online", "Evacuated")]
        if located:
            member = next((m for m in members if m.get("server_name") == located), {})
            return " (instance %s is on cluster member %s, which is %s: %s)" % (
                parts[1], located, (member.get("status") or "unknown").lower(), member.get("message") or "no message")
        if down:
            return " (cluster members not online: %s)" % ", ".join(
                "%s, %s: %s" % (m.get("server_name"), (m.get("status") or "unknown").lower(), m.get("message") or "no message") for m in down)
        return ""

    def _translated(self, exc, method, path, what, connecting=False):
        """The one translation of a transport failure (``_http.HttpError``) into ``LxdkitError``."""
        if isinstance(exc, HttpStatusError):
            return self.api_error(method, path, exc.response)
        if isinstance(exc, HttpTimeout):
            return self.timeout_error(what)
        if connecting:
            return LxdkitError("LXD is not reachable at %s: %s. Is the daemon running (lxd waitready)?" % (self.where, exc))
        return LxdkitError("lost the connection to %s %s (did the daemon stop?): %s" % (self.label, what, exc))

    # -- requests ---------------------------------------------------------------------------

    def request(self, method, path, params=None, json=None, data=None, headers=None, stream=False, timeout=None, is_api=True):
        """One raw call; returns the response (``status_code``, ``headers``, ``json()``,
        ``content``, ``iter_content(n)``), errors translated. Prefer get/find/send."""
        try:
            return self._connected().request(method, path, params=self._in_project(params), json_body=json, data=data,
                                             headers=headers, stream=stream, timeout=timeout, is_api=is_api)
        except HttpError as exc:
            raise self._translated(exc, method, path, "during %s %s" % (method, path))

    def _in_project(self, params):
        """Query parameters with the client's project (an explicit ``project`` wins)."""
        params = dict(params or {})
        if self.project != DEFAULT_PROJECT:
            params.setdefault("project", self.project)
        return params

    def download(self, path, chunk_size, response=None):
        """Yield the body of GET ``path`` in chunks (memory flat whatever the size). A broken
        connection, or a body shorter than its Content-Length, raises LxdkitError, so that a
        caller writing a file never takes a cut-off download for a whole one."""
        response = response if response is not None else self.request("GET", path, stream=True)
        # With a Content-Encoding, requests counts decoded bytes: the length cannot be compared.
        expected = None if response.headers.get("Content-Encoding") else response.headers.get("Content-Length")
        received = 0
        try:
            for chunk in response.iter_content(chunk_size):
                received += len(chunk)
                yield chunk
        except HttpError as exc:
            raise self._translated(exc, "GET", path, "after %d bytes of %s" % (received, path))
        finally:
            response.close()
        if expected is not None and expected.isdigit() and int(expected) != received:
            raise LxdkitError("the download of %s from %s ended after %d of %s bytes" % (path, self.label, received, expected))

    def get(self, path, params=None):
        """GET and return the metadata; a missing object raises ``LxdkitNotFound``."""
        return self.request("GET", path, params=params).json().get("metadata")

    def find(self, path, params=None):
        """GET and return the metadata, or None when the object does not exist."""
        try:
            return self.get(path, params)
        except LxdkitNotFound:
            return None

    def send(self, method, path, body=None, params=None, target=None, wait=True, data=None, headers=None):
        """POST/PUT/PATCH/DELETE; waits for an asynchronous operation unless ``wait`` is false.

        ``body`` goes as JSON; ``data`` instead is a raw body (bytes, or an open file or a
        ``MultipartBody`` streamed from disk) with its ``headers`` (image and backup uploads).
        Returns the response metadata, or the finished operation's metadata. With ``wait``
        false an asynchronous call returns the operation path, for ``wait``.
        """
        params = dict(params or {})
        if target:
            params["target"] = target
        response = self.request(method, path, params=params, json=body, data=data, headers=headers)
        if response.status_code != 202:
            try:
                return response.json().get("metadata")
            except ValueError:
                return None
        operation = response.json().get("operation")
        if not wait:
            return operation
        return self.wait(operation, "%s %s" % (method, path))

    def start(self, method, path, body=None, params=None, target=None):
        """Start an asynchronous call and return its operation (None if LXD answered at once)."""
        return self.send(method, path, body=body, params=params, target=target, wait=False)

    def wait(self, operation, what="operation"):
        """Wait for an operation path (``/1.0/operations/ID``); raise if it failed."""
        if not operation or not str(operation).startswith("/1.0/operations/"):
            return operation
        path = "operations/%s/wait" % operation.split("?", 1)[0].rsplit("/", 1)[-1]
        poll = max(1, int(min(self.timeout, 30)))
        while True:
            # Each wait returns after ``poll`` seconds at the latest; the transport's own
            # timeout must outlast it.
            try:
                response = self.request("GET", path, params={"timeout": poll}, timeout=poll + self.timeout)
            except LxdkitNotFound:
                raise
            except LxdkitError as exc:
                # Incus 6.0 answers the wait of a failed operation with its error document
                # (HTTP 200, type error) where LXD gives the operation with status Failure.
                if exc.details.get("status") != 200 or not exc.details.get("lxd_error"):
                    raise
                text = exc.details["lxd_error"]
                raise LxdkitError("%s failed %s: %s" % (self.server_name, what, text), lxd_error=text)
            data = response.json().get("metadata") or {}
            if data.get("status_code", 0) >= 400 or data.get("status") == "Failure":
                text = data.get("err") or data.get("status")
                raise LxdkitError("%s failed %s: %s" % (self.server_name, what, text), lxd_error=text)
            if data.get("status") in ("Success", "Cancelled") or data.get("status_code") == 200:
                return data

    # -- retries ----------------------------------------------------------------------------

    def retry(self, attempt, done=None, attempts=BUSY_ATTEMPTS, retry_on=is_busy_refusal, pause=BUSY_PAUSE):
        """Call ``attempt(number)`` (from 1) until it returns; the one retry rule of the collection.

        A failure for which ``retry_on(error)`` is true is tried again after ``pause`` times the
        attempt number seconds, up to ``attempts`` times (LXD refuses for a moment while another
        operation holds the instance: two runs working on one instance at once). ``done()`` says
        whether the goal has been reached meanwhile (by the other run); then a failure is no
        failure and None is returned.
        """
        for number in range(1, attempts + 1):
            try:
                return attempt(number)
            except LxdkitError as exc:
                if done is not None and done():
                    return None
                if number == attempts or not retry_on(exc):
                    raise
            time.sleep(pause * number)
        return None

    def send_when_free(self, method, path, body=None, done=None, **kwargs):
        """send(), tried again while LXD refuses because another operation holds the object."""
        return self.retry(lambda _number: self.send(method, path, body, **kwargs), done=done)
