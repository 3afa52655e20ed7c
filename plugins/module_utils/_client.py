# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one wrapper around pylxd: connection options, projects, cluster targets, operations
and the translation of every LXD, pylxd or requests error into ``LxdkitError``.

Modules talk to LXD only through ``LxdClient`` and REST paths relative to ``/1.0``
(``profiles/web``); where pylxd has no object API this still goes through its raw nodes.
"""

from __future__ import annotations

import os
import time
import traceback

from ansible.module_utils.basic import env_fallback

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import BUSY_ATTEMPTS, LxdkitError, LxdkitNotFound, is_busy_refusal

try:
    import pylxd
    import requests
    from pylxd import exceptions as pylxd_exceptions
except ImportError:
    HAS_PYLXD = False
    PYLXD_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYLXD = True
    PYLXD_IMPORT_ERROR = None

# Debian/Ubuntu packages first, then the snap.
DEFAULT_SOCKETS = ("/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket")
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


def resolve_endpoint(url, snap_url=None, exists=os.path.exists):
    """Return ``(endpoint for pylxd, how to name it in messages)``.

    ``url``: ``unix:/path``, ``/path`` or ``https://host:8443``; None finds the local socket.
    """
    if url and url.startswith(("https://", "http://")):
        return url.rstrip("/"), url.rstrip("/")
    if url:
        path = url[len("unix:"):] if url.startswith("unix:") else url
        candidates = [path]
    else:
        env_dir = os.environ.get("LXD_DIR")
        candidates = [os.path.join(env_dir, "unix.socket")] if env_dir else []
        candidates.extend(DEFAULT_SOCKETS)
    if snap_url:
        candidates.append(snap_url[len("unix:"):] if snap_url.startswith("unix:") else snap_url)
    for path in candidates:
        if exists(path):
            return path, "unix:" + path
    raise LxdkitError(
        "LXD is not reachable at %s: no such socket. Is the daemon running (lxd waitready)? "
        "For a remote server set url to https://HOST:8443." % " or ".join("unix:" + path for path in candidates)
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
        self.trust_secret = trust_token or trust_password
        self.project = project or DEFAULT_PROJECT
        self.timeout = timeout
        self.where = url or "the local LXD socket"
        self._pylxd = None

    @classmethod
    def from_params(cls, params):
        return cls(**dict((key, params.get(key)) for key in connection_argument_spec()))

    # -- connection -------------------------------------------------------------------------

    def _connected(self):
        """The pylxd client, connecting (and authenticating) on first use."""
        if self._pylxd is None:
            self._pylxd = self._connect()
        return self._pylxd

    @property
    def api(self):
        """pylxd's raw API root node."""
        return self._connected().api

    @property
    def server(self):
        """GET /1.0 as read when connecting: api_extensions, environment, auth."""
        return self._connected().host_info

    def has_extension(self, name):
        return name in self.server.get("api_extensions", [])

    def _connect(self):
        endpoint, self.where = resolve_endpoint(self.url, self.snap_url)
        cert = None
        if self.client_cert or self.client_key:
            if not (self.client_cert and self.client_key):
                raise LxdkitError("client_cert and client_key go together: give both or neither")
            for field, path in (("client_cert", self.client_cert), ("client_key", self.client_key)):
                if not os.path.isfile(path):
                    raise LxdkitError("%s %s does not exist or is not a file" % (field, path))
            cert = (self.client_cert, self.client_key)
        elif endpoint.startswith("https://") and all(os.path.isfile(path) for path in LXC_CLIENT_CERT):
            cert = LXC_CLIENT_CERT
        project = None if self.project == DEFAULT_PROJECT else self.project
        try:
            client = pylxd.Client(endpoint=endpoint, cert=cert, timeout=self.timeout, project=project,
                                  session=self._https_session(endpoint, cert))
        except pylxd_exceptions.ClientConnectionFailed as exc:
            if "SSL" in str(exc) or "Fingerprints" in str(exc):
                raise self._tls_error(exc)
            raise LxdkitError("LXD is not reachable at %s: %s. Is the daemon running?" % (self.where, exc))
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc)
        except requests.exceptions.Timeout:
            raise self.timeout_error("connect")
        except requests.exceptions.RequestException as exc:
            raise LxdkitError("LXD is not reachable at %s: %s" % (self.where, exc))
        if client.host_info.get("auth") != "trusted":
            self._trust(client)
        if project is not None:
            self._check_project(client)
        return client

    def _https_session(self, endpoint, cert):
        """The requests session for HTTPS (None for the unix socket: pylxd makes that one)."""
        if not endpoint.startswith("https://"):
            return None
        verify = self.server_cert or self.validate_certs
        session = pylxd.client.get_session_for_url(endpoint, verify=verify, cert=cert)
        if verify is not True:
            # requests lets REQUESTS_CA_BUNDLE and friends override a pinned certificate or
            # verify=False; the user's explicit choice must win.
            session.trust_env = False
        return session

    def _tls_error(self, exc):
        return LxdkitError(
            "TLS to LXD at %s failed: %s. Give server_cert (the server's certificate, from "
            "/var/lib/lxd/server.crt on the server) or validate_certs=false for a server you trust." % (self.where, exc))

    def _trust(self, client):
        if not self.trust_secret:
            raise LxdkitError(
                "LXD at %s does not trust this client (403). Give trust_token (from 'lxc config trust add' "
                "on the server) or trust_password once, or add the client certificate on the server." % self.where,
                status=403)
        if not client.cert:
            raise LxdkitError("trust_token/trust_password need client_cert and client_key: LXD trusts a certificate")
        try:
            client.authenticate(self.trust_secret)
        except (pylxd_exceptions.LXDAPIException, pylxd_exceptions.ClientConnectionFailed) as exc:
            raise LxdkitError("LXD at %s refused the trust token or password: %s" % (self.where, exc), status=403)
        if client.host_info.get("auth") != "trusted":
            raise LxdkitError("LXD at %s still does not trust this client after authentication" % self.where, status=403)

    def _check_project(self, client):
        try:
            client.api.projects[self.project].get(params={"project": DEFAULT_PROJECT})
        except pylxd_exceptions.NotFound:
            raise LxdkitError(
                "project %r does not exist on LXD at %s: create it (lxc project create %s) "
                "or fix the project option" % (self.project, self.where, self.project), project=self.project)
        except pylxd_exceptions.LXDAPIException as exc:
            raise self.api_error("GET", "projects/%s" % self.project, exc)

    # -- requests ---------------------------------------------------------------------------

    def node(self, path):
        """pylxd's raw node for a path; for calls ``request`` does not cover (websockets)."""
        node = self.api
        for segment in path.strip("/").split("/"):
            if segment:
                node = node[segment]
        return node

    def timeout_error(self, what):
        return LxdkitError("LXD at %s did not answer %s within %s s (raise the timeout option)" % (self.where, what, self.timeout))

    def api_error(self, method, path, exc):
        """Translate a pylxd exception for ``method path`` into an ``LxdkitError``."""
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        text = _lxd_error_text(response) if response is not None else str(exc)
        if status == 404:
            return LxdkitNotFound("%s not found on LXD at %s (project %s): %s" % (path, self.where, self.project, text),
                                  status=404, lxd_error=text)
        if status == 403:
            return LxdkitError("LXD at %s refused %s %s (403, client not trusted or not allowed in project %s): %s"
                               % (self.where, method, path, self.project, text), status=403, lxd_error=text)
        return LxdkitError("LXD refused %s %s: %s" % (method, path, text), status=status, lxd_error=text)

    def request(self, method, path, **kwargs):
        """One raw call (``stream=True``, ``data=``, ``headers=`` pass through to requests);
        returns the ``requests.Response``, errors translated. Prefer get/find/send."""
        try:
            return getattr(self.node(path), method.lower())(**kwargs)
        except pylxd_exceptions.LXDAPIException as exc:
            raise self.api_error(method, path, exc)
        except requests.exceptions.Timeout:
            raise self.timeout_error("%s %s" % (method, path))
        except requests.exceptions.ConnectionError as exc:
            raise LxdkitError("lost the connection to LXD at %s during %s %s (did the daemon stop?): %s" % (self.where, method, path, exc))

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
        except requests.exceptions.RequestException as exc:
            raise LxdkitError("lost the connection to LXD at %s after %d bytes of %s: %s" % (self.where, received, path, exc))
        finally:
            response.close()
        if expected is not None and expected.isdigit() and int(expected) != received:
            raise LxdkitError("the download of %s from LXD at %s ended after %d of %s bytes" % (path, self.where, received, expected))

    def get(self, path, params=None):
        """GET and return the metadata; a missing object raises ``LxdkitNotFound``."""
        return self.request("GET", path, params=params or {}).json().get("metadata")

    def find(self, path, params=None):
        """GET and return the metadata, or None when the object does not exist."""
        try:
            return self.get(path, params)
        except LxdkitNotFound:
            return None

    def send(self, method, path, body=None, params=None, target=None, wait=True):
        """POST/PUT/PATCH/DELETE; waits for an asynchronous operation unless ``wait`` is false.

        Returns the response metadata, or the finished operation's metadata. With ``wait``
        false an asynchronous call returns the operation path for ``wait_all``.
        """
        params = dict(params or {})
        if target:
            params["target"] = target
        kwargs = dict(params=params)
        if body is not None:
            kwargs["json"] = body
        response = self.request(method, path, **kwargs)
        if response.status_code != 202:
            try:
                return response.json().get("metadata")
            except ValueError:
                return None
        operation = response.json().get("operation")
        if not wait:
            return operation
        return self.wait(operation, "%s %s" % (method, path))

    def send_when_free(self, method, path, body=None, done=None, attempts=BUSY_ATTEMPTS, **kwargs):
        """send(), tried again after a pause while LXD refuses because another operation holds
        the instance (two runs working on one instance at once). ``done()`` says whether the
        goal has been reached meanwhile (by the other run); then the refusal is no failure."""
        for attempt in range(attempts):
            try:
                return self.send(method, path, body, **kwargs)
            except LxdkitError as exc:
                if done is not None and done():
                    return None
                if attempt + 1 == attempts or not is_busy_refusal(exc):
                    raise
            time.sleep(0.25 * (attempt + 1))
        return None

    def start(self, method, path, body=None, params=None, target=None):
        """Start an asynchronous call and return its operation (None if LXD answered at once)."""
        return self.send(method, path, body=body, params=params, target=target, wait=False)

    def wait(self, operation, what="operation", deadline=None):
        """Wait for an operation path (``/1.0/operations/ID``); raise if it failed."""
        if not operation or not str(operation).startswith("/1.0/operations/"):
            return operation
        op_id = operation.split("?", 1)[0].rsplit("/", 1)[-1]
        poll = max(1, int(min(self.timeout, 30)))
        while True:
            try:
                response = self.api["operations"][op_id]["wait"].get(params={"timeout": poll}, timeout=poll + self.timeout)
            except pylxd_exceptions.LXDAPIException as exc:
                raise self.api_error("GET", "operations/%s/wait" % op_id, exc)
            except requests.exceptions.Timeout:
                raise self.timeout_error("while waiting for %s" % what)
            except requests.exceptions.ConnectionError as exc:
                raise LxdkitError("lost the connection to LXD at %s while waiting for %s (did the daemon stop?): %s" % (self.where, what, exc))
            data = response.json().get("metadata") or {}
            if data.get("status_code", 0) >= 400 or data.get("status") == "Failure":
                text = data.get("err") or data.get("status")
                raise LxdkitError("LXD failed %s: %s" % (what, text), lxd_error=text)
            if data.get("status") in ("Success", "Cancelled") or data.get("status_code") == 200:
                return data
            if deadline is not None and time.monotonic() > deadline:
                raise LxdkitError("%s is still running on LXD at %s after the deadline" % (what, self.where))

    def wait_all(self, operations, what="operations"):
        """Wait for several started operations; report every failure together."""
        failures = []
        for operation in operations:
            try:
                self.wait(operation, what)
            except LxdkitError as exc:
                failures.append(exc.msg)
        if failures:
            raise LxdkitError("%d of %d %s failed: %s" % (len(failures), len(operations), what, "; ".join(failures)))
