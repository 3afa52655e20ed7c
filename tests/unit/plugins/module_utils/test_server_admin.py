# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The server and trust-store rules without LXD: PEM certificates and their fingerprints, the
token string lxc prints, and the PATCH body of a server config change."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._server_admin import check_fingerprint, config_changes, normal_config, read_certificate, token_string
from ansible_collections.lxdkit.lxd.tests.unit.plugins.modules.test_trust_runs import DER_BASE64, FINGERPRINT, PEM


def test_a_pem_certificate_gives_lxds_fingerprint_whatever_the_line_ends():
    assert read_certificate("certificate", PEM) == (DER_BASE64, FINGERPRINT)
    assert read_certificate("certificate", PEM.replace("\n", "\r\n")) == (DER_BASE64, FINGERPRINT)


@pytest.mark.parametrize("text, message", [
    ("", "it holds 0"),
    (PEM + PEM, "it holds 2"),
    ("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "not valid base64"),
])
def test_anything_but_one_certificate_is_refused(text, message):
    with pytest.raises(LxdkitError, match=message):
        read_certificate("certificate", text)


def test_fingerprints_as_lxc_and_openssl_print_them():
    assert check_fingerprint("fingerprint", "4C:DE:B2:3F") == "4cdeb23f"
    assert check_fingerprint("fingerprint", None) is None
    with pytest.raises(LxdkitError, match="is not a certificate fingerprint"):
        check_fingerprint("fingerprint", "web-01")


def test_the_token_is_lxcs_with_the_expiry_lxd_set():
    operation = {"metadata": {"addresses": ["10.247.0.2:8443"], "fingerprint": "ee01", "secret": "s3",
                              "expiresAt": "2026-12-02T16:14:28.048132602Z", "request": {"name": "ctl"}}}
    assert json.loads(base64.b64decode(token_string(operation))) == {
        "client_name": "ctl", "fingerprint": "ee01", "addresses": ["10.247.0.2:8443"], "secret": "s3",
        "expires_at": "2026-12-02T16:14:28.048132602Z"}


def test_config_changes_send_changed_keys_and_unset_removed_ones():
    before = {"core.https_address": "a:8443", "images.remote_cache_expiry": "5", "core.trust_password": True}
    after = {"core.https_address": "a:8443", "images.auto_update_interval": "0", "core.trust_password": True}
    assert config_changes(before, after) == {"images.auto_update_interval": "0", "images.remote_cache_expiry": ""}


def test_the_config_as_lxd_means_it_booleans_spelled_and_defaults_left_out():
    assert normal_config({"images.auto_update_interval": "6", "images.auto_update_cached": "No", "core.https_address": "a:8443",
                          "core.trust_password": True}) == {"images.auto_update_cached": "false", "core.https_address": "a:8443",
                                                            "core.trust_password": True}
    assert config_changes({"images.auto_update_cached": "false"}, {}) == {"images.auto_update_cached": "true"}
