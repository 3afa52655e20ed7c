# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A second LXD server in one task: the ``source_*`` options of the modules that copy or move
between servers (the module's own connection options are the destination), and what one
daemon needs to reach the other (its network addresses and certificate)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

SOURCE_PREFIX = "source_"

# The connection options a source server has (``source_`` + name). snap_url is a
# community.general compatibility option of the module's own server only; the source shares
# the module's timeout.
SOURCE_OPTIONS = ("url", "client_cert", "client_key", "server_cert", "validate_certs", "trust_token", "trust_password", "project")

# LXD's texts for a daemon that could not reach the other one (lxc tries the next address then).
_UNREACHABLE = ("unable to connect", "dial tcp", "connection refused", "no route to host", "network is unreachable",
                "i/o timeout", "connection timed out")


def source_argument_spec(url_required=False):
    """The source server's connection options; documented in each module (they differ in
    what a missing one means from the module's own)."""
    return dict(
        source_url=dict(type="str", required=url_required),
        source_client_cert=dict(type="path"),
        source_client_key=dict(type="path"),
        source_server_cert=dict(type="path"),
        source_validate_certs=dict(type="bool", default=True),
        source_trust_token=dict(type="str", no_log=True),
        source_trust_password=dict(type="str", no_log=True),
        source_project=dict(type="str"),
    )


def source_client(params):
    """The client of the source server, built as every client is (``LxdClient.from_options``)
    from the ``source_*`` options. Not given: ``source_client_cert``/``source_client_key`` take
    the module's own pair (one client identity, as lxc has for all its remotes),
    ``source_project`` the module's project; the timeout is the module's."""
    inherit_cert = params.get("source_client_cert") is None and params.get("source_client_key") is None

    def get(name):
        if name == "timeout":
            return params["timeout"]
        if name not in SOURCE_OPTIONS:
            return None
        value = params.get(SOURCE_PREFIX + name)
        if value is None and (name == "project" or (inherit_cert and name in ("client_cert", "client_key"))):
            return params.get(name)
        return value

    return LxdClient.from_options(get)


def _all_urls(client):
    # lxc's order (GetConnectionInfo): the URL this client uses (when it is https), then each
    # address LXD listens on (environment.addresses, from core.https_address).
    urls = []
    if client.where.startswith("https://"):
        urls.append(client.where)
    for address in (client.server.get("environment") or {}).get("addresses") or []:
        if address.startswith(":"):
            continue
        url = "https://" + address
        if url not in urls:
            urls.append(url)
    return urls


def _loopback(url):
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def network_urls(client):
    """The https URLs another daemon can try to reach this server at, in lxc's order. Loopback
    addresses are left out: another server cannot reach them (lxc would try them and fail
    with "Unable to connect to: 127.0.0.1:8443"). Empty: it does not listen on the network."""
    return [url for url in _all_urls(client) if not _loopback(url)]


def not_listening(client):
    """Why ``network_urls(client)`` is empty, for a message."""
    loopback = _all_urls(client)
    if loopback:
        return "listens only on loopback (%s), which another server cannot reach" % ", ".join(loopback)
    return "does not listen on the network (core.https_address is not set)"


def certificate(client):
    """The server's certificate (PEM) as GET /1.0 gives it to a trusted client: the other
    daemon pins it when it connects."""
    pem = (client.server.get("environment") or {}).get("certificate")
    if not pem:
        raise LxdkitError("%s did not give its certificate in GET /1.0 (is this client trusted?)" % client.label)
    return pem


def same_server(one, other):
    """True when two clients reach the same daemon (same server certificate)."""
    def fingerprint(client):
        environment = client.server.get("environment") or {}
        return environment.get("certificate_fingerprint") or environment.get("certificate")

    return fingerprint(one) is not None and fingerprint(one) == fingerprint(other)


def unreachable(error):
    """True when an LxdkitError says one daemon could not connect to the other."""
    text = (error.details.get("lxd_error") or error.msg or "").lower()
    return any(marker in text for marker in _UNREACHABLE)


def missing_extensions(client, names):
    """The API extensions of ``names`` the server lacks."""
    have = set(client.server.get("api_extensions") or [])
    return [name for name in names if name not in have]


def operation_id(operation):
    """``/1.0/operations/ID`` (maybe with a query) -> ``ID``."""
    return str(operation).split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def start_operation(client, method, path, body):
    """Start an asynchronous call and return ``(operation path, its metadata)``: the secrets of
    a websocket or token operation, which the other daemon needs, come with the answer."""
    response = client.request(method, path, json=body)
    document = response.json()
    if response.status_code != 202 or not document.get("operation"):
        raise LxdkitError("%s answered %s %s without starting an operation" % (client.label, method, path))
    return document["operation"], dict((document.get("metadata") or {}).get("metadata") or {})


def cancel_operation(client, operation):
    """Cancel an operation we started and no longer need (a token, a migration source the
    other side never reached); a failure is not an error: it ends by itself."""
    if not operation:
        return
    try:
        client.send("DELETE", "operations/%s" % operation_id(operation))
    except LxdkitError:
        pass
