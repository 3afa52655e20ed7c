# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server itself: its own config (``/1.0``) and its trust store (``/1.0/certificates``, and
the trust tokens, which LXD keeps as running operations of class ``token``).

Nothing here needs a library: certificates are read as PEM with the standard library (their
fingerprint is the SHA-256 of the DER bytes, as LXD computes it).
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import json
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# -- server config ------------------------------------------------------------------------------

# Write-only in LXD: GET /1.0 shows only that a password is set (true), never its value.
TRUST_PASSWORD = "core.trust_password"
# Kept as they are in replace mode unless listed: the write-only password, and the addresses the
# server listens on (a task over HTTPS talks through core.https_address; cluster.https_address
# is the member's address in its cluster).
KEPT_SERVER_KEYS = (TRUST_PASSWORD, "core.https_address", "cluster.https_address")


# LXD 5.0's server keys that have a default (its config schema), checked on LXD 5.0.2: LXD stores
# nothing for a key set to its default, and stores booleans as "true"/"false" however they are
# written. A key set to "" goes back to its default, but for booleans, where "" can store "false".
SERVER_DEFAULTS = {
    "backups.compression_algorithm": "gzip",
    "candid.expiry": "3600",
    "cluster.images_minimal_replica": "3",
    "cluster.join_token_expiry": "3H",
    "cluster.max_standby": "2",
    "cluster.max_voters": "3",
    "cluster.offline_threshold": "20",
    "core.bgp_asn": "0",
    "core.https_allowed_credentials": "false",
    "core.metrics_authentication": "true",
    "core.shutdown_timeout": "5",
    "core.trust_ca_certificates": "false",
    "images.auto_update_cached": "true",
    "images.auto_update_interval": "6",
    "images.compression_algorithm": "gzip",
    "images.remote_cache_expiry": "10",
    "network.ovn.integration_bridge": "br-int",
    "network.ovn.northbound_connection": "unix:/var/run/ovn/ovnnb_db.sock",
    "rbac.expiry": "3600",
}
SERVER_BOOLEANS = ("core.https_allowed_credentials", "core.metrics_authentication", "core.trust_ca_certificates", "images.auto_update_cached")
# LXD's spellings of a boolean (shared.IsTrue / IsFalse).
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


def normal_value(key, value):
    """``value`` as LXD stores it for ``key``: a boolean key's value as "true" or "false"."""
    if key in SERVER_BOOLEANS and isinstance(value, str):
        if value.lower() in TRUE_WORDS:
            return "true"
        if value.lower() in FALSE_WORDS:
            return "false"
    return value


def is_default(key, value):
    """True when LXD stores nothing for ``key`` set to ``value``: it is the key's default."""
    return SERVER_DEFAULTS.get(key) == normal_value(key, value)


def normal_config(config):
    """A server config as LXD means it: booleans spelled true/false, keys at their default left out."""
    return dict((key, normal_value(key, value)) for key, value in (config or {}).items() if not is_default(key, value))


def unset_value(key):
    """What sets ``key`` back to its default: "" (LXD's unset), or a boolean's default itself."""
    return SERVER_DEFAULTS[key] if key in SERVER_BOOLEANS else ""


def config_changes(before, after):
    """The PATCH body's config: keys whose value differs, and removed keys set back to their default."""
    changes = dict((key, value) for key, value in after.items() if before.get(key) != value)
    changes.update((key, unset_value(key)) for key in before if key not in after)
    return changes


class ServerConfig:
    """The config of the server (or of one cluster member: ``target``) at ``client``."""

    def __init__(self, client, target=None):
        self.client = client
        self.target = target
        self.params = {"target": target} if target else None

    def read(self):
        """GET /1.0 (of ``target``): the server's config, environment and API extensions."""
        return self.client.get("", params=self.params)

    def write(self, before, after):
        """PATCH the keys that differ from ``before`` to ``after`` (config maps as ``normal_config``
        makes them).

        LXD 5.0 applies a server's member-local keys (core.https_address, storage.*_volume, ...)
        before it checks the others, so a refused request (an unknown key, a bad value) can leave
        part of it applied. Then the keys that changed are set back, and the error says so: a
        refused task leaves the config as it was.
        """
        try:
            self.client.send("PATCH", "", {"config": config_changes(before, after)}, target=self.target)
        except LxdkitError as exc:
            raise self._refused(exc, before)

    def _refused(self, exc, before):
        text = exc.details.get("lxd_error") or exc.msg
        who = self.client.server_name
        try:
            now = normal_config(self.read().get("config"))
        except LxdkitError as read_error:
            return LxdkitError("config: %s refused it: %s (and the config could not be read back to check that nothing "
                               "changed: %s)" % (who, text, read_error.msg), lxd_error=text, status=exc.details.get("status"))
        applied = sorted(key for key in set(before) | set(now) if before.get(key) != now.get(key))
        if not applied:
            return LxdkitError("config: %s refused it: %s. Nothing was changed" % (who, text), lxd_error=text, status=exc.details.get("status"))
        # A value LXD hides (the trust password) cannot be written back; it is reported instead.
        restorable = [key for key in applied if isinstance(before.get(key, ""), str)]
        try:
            if restorable:
                self.client.send("PATCH", "", {"config": dict((key, before.get(key, unset_value(key))) for key in restorable)},
                                 target=self.target)
        except LxdkitError as restore_error:
            return LxdkitError("config: %s refused it: %s. It had applied %s before refusing, and setting %s back failed: %s"
                               % (who, text, ", ".join(applied), "them" if len(applied) > 1 else "it", restore_error.msg),
                               lxd_error=text, status=exc.details.get("status"), applied=applied)
        lost = [key for key in applied if key not in restorable]
        return LxdkitError("config: %s refused it: %s. It had applied %s before refusing; set back, so nothing was changed%s"
                           % (who, text, ", ".join(restorable), "" if not lost else " but %s (%s hides its value)" % (", ".join(lost), who)),
                           lxd_error=text, status=exc.details.get("status"))


# -- certificates -------------------------------------------------------------------------------

_PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----", re.S)


def read_certificate(field, text):
    """``(base64 DER, fingerprint)`` of the one PEM certificate in ``text``; ``field`` names
    the option in errors. The fingerprint is LXD's: the SHA-256 of the DER bytes, in hex."""
    if "PRIVATE KEY-----" in text:
        raise LxdkitError("%s holds a private key: give the client's certificate only (the .crt, never the .key)" % field)
    blocks = _PEM_CERTIFICATE.findall(text)
    if len(blocks) != 1:
        raise LxdkitError("%s must hold exactly one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----); "
                          "it holds %d" % (field, len(blocks)))
    body = re.sub(r"\s+", "", blocks[0])
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise LxdkitError("%s: the PEM certificate is not valid base64" % field)
    if not der:
        raise LxdkitError("%s: the PEM certificate is empty" % field)
    return base64.b64encode(der).decode("ascii"), hashlib.sha256(der).hexdigest()


def check_fingerprint(field, fingerprint):
    """A fingerprint or its prefix (lxc shows 12 characters): hex digits, lower-cased."""
    if fingerprint is None:
        return None
    value = fingerprint.replace(":", "").strip().lower()
    if not re.match(r"^[0-9a-f]{1,64}$", value):
        raise LxdkitError("%s %r is not a certificate fingerprint (up to 64 hex digits, as lxc config trust list shows them)"
                          % (field, fingerprint))
    return value


class TrustStore:
    """The certificates the server trusts, and its pending trust tokens."""

    def __init__(self, client):
        self.client = client
        self._certificates = None

    # -- certificates

    def certificates(self):
        if self._certificates is None:
            self._certificates = self.client.get("certificates", params={"recursion": 1}) or []
        return self._certificates

    def by_fingerprint(self, fingerprint, field="fingerprint"):
        """The certificate whose fingerprint is (or starts with) ``fingerprint``; None when none
        is; an error naming them when a prefix fits several."""
        found = [cert for cert in self.certificates() if cert["fingerprint"].startswith(fingerprint)]
        if len(found) > 1:
            raise LxdkitError("%s %s fits %d trusted certificates (%s): give more of it"
                              % (field, fingerprint, len(found), ", ".join(cert["fingerprint"][:16] for cert in found)))
        return found[0] if found else None

    def by_name(self, name):
        """The certificate named ``name``; None when none is. LXD does not keep names unique:
        several of one name are an error that lists them."""
        found = [cert for cert in self.certificates() if cert.get("name") == name]
        if len(found) > 1:
            raise LxdkitError("name: %d trusted certificates are named %r (%s): give fingerprint (or the certificate) to say which"
                              % (len(found), name, ", ".join(cert["fingerprint"][:12] for cert in found)),
                              fingerprints=[cert["fingerprint"] for cert in found])
        return found[0] if found else None

    def named(self, name):
        return [cert for cert in self.certificates() if cert.get("name") == name]

    def path(self, certificate):
        return "certificates/%s" % certificate["fingerprint"]

    def missing_projects(self, projects):
        """The names in ``projects`` that are no project of the server (LXD's own refusal does
        not name them, and a token is accepted with any)."""
        existing = set(url.split("?", 1)[0].rsplit("/", 1)[-1] for url in self.client.get("projects") or [])
        return [name for name in projects if name not in existing]

    # -- tokens

    def tokens(self, name):
        """The pending trust tokens issued for client ``name``: LXD's running operations of class
        token (oldest first)."""
        return pending_tokens(self.client, lambda metadata: (metadata.get("request") or {}).get("name") == name)

    def issue_token(self, body):
        """POST a token request; return its operation. The operation runs until the token is
        used, revoked or expires, so it is not waited for."""
        response = self.client.request("POST", "certificates", json=dict(body, token=True))
        document = response.json()
        operation = document.get("metadata") or {}
        if not (operation.get("metadata") or {}).get("secret"):
            raise LxdkitError("%s answered the token request without a token (%s)" % (self.client.label, document.get("type")))
        return operation

    def revoke_token(self, operation):
        self.client.send("DELETE", "operations/%s" % operation["id"])


def pending_tokens(client, owned):
    """LXD's pending tokens (running operations of class token, oldest first) whose metadata
    ``owned(metadata)`` accepts: trust tokens of a client, join tokens of a cluster member."""
    running = (client.get("operations", params={"recursion": 1}) or {}).get("running") or []
    pending = [op for op in running if op.get("class") == "token" and owned(op.get("metadata") or {})]
    return sorted(pending, key=lambda op: op.get("created_at") or "")


def encode_token(fields):
    """The text lxc prints for a token: base64 of the JSON (``fields`` in LXD's key order) LXD decodes."""
    return base64.b64encode(json.dumps(fields, separators=(",", ":")).encode("utf-8")).decode("ascii")


# LXD's zero time: a token without expiry (core.remote_token_expiry unset).
NO_EXPIRY = "0001-01-01T00:00:00Z"


def token_string(operation):
    """The token lxc prints for a token operation: base64 of the JSON LXD decodes
    (api.CertificateAddToken: client_name, fingerprint, addresses, secret, expires_at)."""
    metadata = operation.get("metadata") or {}
    fields = collections.OrderedDict((
        ("client_name", (metadata.get("request") or {}).get("name")),
        ("fingerprint", metadata.get("fingerprint")),
        ("addresses", list(metadata.get("addresses") or [])),
        ("secret", metadata.get("secret")),
        ("expires_at", metadata.get("expiresAt") or NO_EXPIRY),
    ))
    return encode_token(fields)
