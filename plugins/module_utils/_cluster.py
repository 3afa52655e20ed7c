# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LXD clustering (``/1.0/cluster``): a server's own cluster state (enable, join), the members
(config, evacuate, restore, remove) and the join tokens, which LXD keeps as running operations
of class ``token`` with the new member's name. A join sends the whole token (the base64 text
``lxc cluster add`` prints): as ``cluster_password`` to LXD 5.0.2, as ``cluster_token`` to Incus
6.0 (which refuses the other field: "Failed getting existing certificate: not authorized")."""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import json
import socket
import ssl

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import INCUS
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._server_admin import NO_EXPIRY, encode_token, pending_tokens
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import operation_id, start_operation

# A member's status in GET /1.0/cluster/members (LXD 5.0).
ONLINE, EVACUATED, OFFLINE = "Online", "Evacuated", "Offline"

MEMBER_CONFIG_FIELDS = ("entity", "name", "key", "value", "description")

# The roles a member takes on request (PUT /1.0/cluster/members/NAME), each with the API extension
# that brought it. LXD assigns the others (database, database-leader, database-standby) itself:
# 5.0.2 ignores them in a PUT, except that it refuses to drop "database" from a member holding it.
WRITABLE_ROLES = collections.OrderedDict((("event-hub", "event_hub"), ("ovn-chassis", "cluster_ovn_chassis")))


def member_roles(field, client, current, wanted):
    """The roles to PUT for a member that holds ``current``: LXD's own roles kept as they are, the
    writable ones as ``wanted`` (None: as they are). A role the server does not know is refused
    naming ``field`` and the API extension it lacks."""
    if wanted is None:
        return list(current)
    for role in wanted:
        extension = WRITABLE_ROLES.get(role)
        if extension is None:
            raise LxdkitError("%s: %r is not a role a member takes on request; the roles are %s (LXD assigns the database "
                              "roles itself)" % (field, role, ", ".join(WRITABLE_ROLES)))
        if not client.has_extension(extension):
            raise LxdkitError("%s: the server at %s does not know the %s role (it lacks the API extension %s)"
                              % (field, client.where, role, extension))
    own = [role for role in current if role not in WRITABLE_ROLES]
    return own + [role for role in WRITABLE_ROLES if role in wanted]


def join_token_field(client):
    """The PUT /1.0/cluster field a joining server reads the join token from: ``cluster_token``
    for Incus and for an LXD with the ``explicit_trust_token`` extension, else ``cluster_password``."""
    if client.server_kind == INCUS or client.has_extension("explicit_trust_token"):
        return "cluster_token"
    return "cluster_password"


def join_token_string(operation):
    """The token ``lxc cluster add`` prints for a join token operation: base64 of the JSON LXD
    decodes (api.ClusterMemberJoinToken: server_name, fingerprint, addresses, secret, expires_at)."""
    metadata = operation.get("metadata") or {}
    fields = collections.OrderedDict((
        ("server_name", metadata.get("serverName")),
        ("fingerprint", metadata.get("fingerprint")),
        ("addresses", list(metadata.get("addresses") or [])),
        ("secret", metadata.get("secret")),
        ("expires_at", metadata.get("expiresAt") or NO_EXPIRY),
    ))
    return encode_token(fields)


def decode_join_token(field, text):
    """The fields of a join token (server_name, fingerprint, addresses, secret), or an error
    naming ``field`` that says what is wrong with it."""
    try:
        token = json.loads(base64.b64decode(text.strip(), validate=True).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise LxdkitError("%s is not a cluster join token (the base64 text `lxc cluster add NAME` or lxd_cluster_member "
                          "prints)" % field)
    missing = [key for key in ("server_name", "fingerprint", "addresses", "secret") if not token.get(key)] if isinstance(token, dict) else ["all"]
    if missing:
        raise LxdkitError("%s is not a cluster join token: it lacks %s (a trust token for a client is not a join token)"
                          % (field, ", ".join(missing)))
    return token


def fetch_certificate(address, fingerprint, timeout):
    """The PEM certificate of the cluster member at ``address`` (host:port), checked against the
    token's ``fingerprint`` (SHA-256 of the DER bytes): the pin that makes the join safe."""
    host, _sep, port = address.rpartition(":")
    host = host.strip("[]")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # pinned by the token's fingerprint below
    with socket.create_connection((host, int(port)), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname=host) as wrapped:
            der = wrapped.getpeercert(binary_form=True)
    if hashlib.sha256(der).hexdigest() != fingerprint.lower():
        raise LxdkitError("join_token: the server at %s shows a certificate whose fingerprint is %s, not the token's %s; "
                          "refusing to join it" % (address, hashlib.sha256(der).hexdigest()[:16], fingerprint[:16]))
    return ssl.DER_cert_to_PEM_cert(der)


def check_member_config(field, entries):
    """LXD's join ``member_config``: a list of {entity, name, key, value}."""
    if entries is None:
        return []
    result = []
    for index, entry in enumerate(entries):
        where = "%s[%d]" % (field, index)
        if not isinstance(entry, dict):
            raise LxdkitError("%s must be a mapping with entity, name, key and value" % where)
        unknown = sorted(set(entry) - set(MEMBER_CONFIG_FIELDS))
        if unknown:
            raise LxdkitError("%s has unknown field(s) %s; it takes %s" % (where, ", ".join(unknown), ", ".join(MEMBER_CONFIG_FIELDS)))
        if entry.get("entity") not in ("storage-pool", "network"):
            raise LxdkitError("%s.entity must be storage-pool or network, got %r" % (where, entry.get("entity")))
        for key in ("name", "key"):
            if not entry.get(key):
                raise LxdkitError("%s.%s is required" % (where, key))
        result.append(dict((key, "" if entry.get(key) is None else str(entry[key])) for key in MEMBER_CONFIG_FIELDS if key in entry or key == "value"))
    return result


class Cluster:
    """The cluster as one server (``client``) sees it."""

    def __init__(self, client):
        self.client = client

    # -- this server

    def state(self):
        """GET /1.0/cluster: enabled, server_name, member_config (what a join needs)."""
        return self.client.get("cluster") or {}

    def clustered(self):
        return bool(self.client.server.get("environment", {}).get("server_clustered"))

    def enable(self, server_name):
        self.client.send("PUT", "cluster", {"server_name": server_name, "enabled": True})

    def join(self, body):
        self.client.send("PUT", "cluster", body)

    # -- members

    def members(self):
        return self.client.get("cluster/members", params={"recursion": 1}) or []

    def member(self, name):
        return self.client.find("cluster/members/%s" % name)

    def update_member(self, name, body):
        self.client.send("PUT", "cluster/members/%s" % name, body)

    def change_state(self, name, action):
        """``evacuate`` or ``restore``: LXD stops, moves and starts the member's instances."""
        self.client.send("POST", "cluster/members/%s/state" % name, {"action": action})

    def remove(self, name, force=False):
        self.client.send("DELETE", "cluster/members/%s" % name, params={"force": "1"} if force else None)

    # -- join tokens

    def tokens(self, name):
        """The pending join tokens for member ``name`` (oldest first)."""
        return pending_tokens(self.client, lambda metadata: metadata.get("serverName") == name)

    def issue_token(self, name):
        """A new join token operation for ``name`` (it runs until used, revoked or expired)."""
        path, metadata = start_operation(self.client, "POST", "cluster/members", {"server_name": name})
        return {"id": operation_id(path), "metadata": metadata}

    def revoke_token(self, operation):
        self.client.send("DELETE", "operations/%s" % operation["id"])


def member_view(member):
    """What diffs show of a member: the fields a task manages, and its status."""
    if member is None:
        return None
    return dict(name=member.get("server_name"), description=member.get("description") or "",
                failure_domain=member.get("failure_domain") or "default", groups=sorted(member.get("groups") or []),
                roles=sorted(member.get("roles") or []), config=dict(member.get("config") or {}), status=member.get("status"))
