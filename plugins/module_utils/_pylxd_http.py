# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS to a remote LXD through pylxd: TLS, client certificates and the trust handshake.

``request`` has the interface and the exceptions of ``_http.UnixHttp``; ``connect`` raises
``LxdkitError`` with what to do. pylxd is imported only when a module really talks HTTPS.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import INCUS, SERVER_NAMES, server_kind_of
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import HttpConnectionLost, HttpStatusError, HttpTimeout


def _import_pylxd():
    try:
        import pylxd
        import requests
        from pylxd import exceptions
    except ImportError:
        raise LxdkitError(missing_required_lib("pylxd") + " (needed for HTTPS; the unix socket needs no library)",
                          exception=traceback.format_exc())
    return pylxd, requests, exceptions


class _StreamedResponse:
    """A requests response whose iter_content raises the transport's exceptions."""

    def __init__(self, response, requests):
        self._response = response
        self._requests = requests

    def __getattr__(self, name):
        return getattr(self._response, name)

    def iter_content(self, chunk_size):
        try:
            yield from self._response.iter_content(chunk_size)
        except self._requests.exceptions.Timeout as exc:
            raise HttpTimeout(str(exc))
        except self._requests.exceptions.RequestException as exc:
            raise HttpConnectionLost(str(exc))


class PylxdHttp:
    """Requests to ``/1.0/...`` on an HTTPS endpoint, through pylxd's session and raw nodes."""

    def __init__(self, endpoint, where, cert, verify, timeout, trust_secret=None, before_trust=None):
        self.pylxd, self.requests, self.exceptions = _import_pylxd()
        self.endpoint = endpoint
        self.where = where
        self.cert = cert
        self.verify = verify
        self.timeout = timeout
        self.trust_secret = trust_secret
        # Called with the untrusted GET /1.0 before the secret is sent; may raise LxdkitError.
        self.before_trust = before_trust
        self._client = None

    def connect(self):
        """Connect, authenticate when needed; return GET /1.0's metadata (host_info)."""
        exceptions, requests = self.exceptions, self.requests
        session = self.pylxd.client.get_session_for_url(self.endpoint, verify=self.verify, cert=self.cert)
        if self.verify is not True:
            # requests lets REQUESTS_CA_BUNDLE and friends override a pinned certificate or
            # verify=False; the user's explicit choice must win.
            session.trust_env = False
        try:
            self._client = self.pylxd.Client(endpoint=self.endpoint, cert=self.cert, timeout=self.timeout, session=session)
        except exceptions.ClientConnectionFailed as exc:
            if "SSL" in str(exc) or "Fingerprints" in str(exc):
                raise self._tls_error(exc)
            raise LxdkitError("LXD is not reachable at %s: %s. Is the daemon running?" % (self.where, exc))
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(exc)
        except requests.exceptions.Timeout:
            raise LxdkitError("LXD at %s did not answer connect within %s s (raise the timeout option)" % (self.where, self.timeout))
        except requests.exceptions.RequestException as exc:
            raise LxdkitError("LXD is not reachable at %s: %s" % (self.where, exc))
        if self._client.host_info.get("auth") != "trusted":
            self._trust()
        return self._client.host_info

    def _tls_error(self, exc):
        # Which server it is stays unknown: TLS failed before GET /1.0.
        return LxdkitError(
            "TLS to the server at %s failed: %s. Give server_cert (the server's certificate: /var/lib/lxd/server.crt "
            "on an LXD host, /var/lib/incus/server.crt on an Incus host) or validate_certs=false for a server you trust."
            % (self.where, exc))

    def _trust(self):
        # The untrusted GET /1.0 tells LXD from Incus by its API extensions (server_kind_of).
        kind = server_kind_of(self._client.host_info)
        name = SERVER_NAMES[kind]
        if not self.trust_secret:
            if kind == INCUS:
                how = "Give trust_token (from 'incus config trust add' on the server) once"
            else:
                how = "Give trust_token (from 'lxc config trust add' on the server) or trust_password once"
            raise LxdkitError("%s at %s does not trust this client (403). %s, or add the client certificate on the server."
                              % (name, self.where, how), status=403)
        if self.before_trust is not None:
            self.before_trust(self._client.host_info)
        if not self.cert:
            raise LxdkitError("trust_token/trust_password need client_cert and client_key: LXD trusts a certificate")
        try:
            if kind == INCUS:
                # Incus takes the token only as trust_token (LXD 5.0 as password); pylxd sends
                # trust_token only to servers with the explicit_trust_token extension, which
                # Incus does not list. The TLS client certificate is the one trusted.
                self._client.api.certificates.post(json={"type": "client", "trust_token": self.trust_secret})
                self._client.host_info = self._client.api.get().json()["metadata"]
            else:
                self._client.authenticate(self.trust_secret)
        except (self.exceptions.LXDAPIException, self.exceptions.ClientConnectionFailed) as exc:
            raise LxdkitError("%s at %s refused the trust token or password: %s" % (name, self.where, exc), status=403)
        if self._client.host_info.get("auth") != "trusted":
            raise LxdkitError("%s at %s still does not trust this client after authentication" % (name, self.where), status=403)

    def request(self, method, path, params=None, json_body=None, data=None, headers=None, stream=False,
                timeout=None, is_api=True):
        node = self._client.api
        for segment in path.strip("/").split("/"):
            if segment:
                node = node[segment]
        kwargs = dict(params=params or {}, timeout=timeout or self.timeout)
        for key, value in (("json", json_body), ("data", data), ("headers", headers)):
            if value is not None:
                kwargs[key] = value
        if method == "GET":
            kwargs.update(stream=stream, is_api=is_api)
        try:
            response = getattr(node, method.lower())(**kwargs)
        except self.exceptions.LXDAPIException as exc:
            raise HttpStatusError(exc.response)
        except self.requests.exceptions.Timeout as exc:
            raise HttpTimeout(str(exc))
        except self.requests.exceptions.RequestException as exc:
            raise HttpConnectionLost(str(exc))
        return _StreamedResponse(response, self.requests) if stream else response

    def close(self):
        if self._client is not None:
            self._client.api.session.close()
