# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole lxd_trust runs on the fake LXD: certificates added, changed in place and removed by
fingerprint; refusals made before any write; trust tokens issued (their shape), returned again
while pending, not issued for a client that got in, and revoked."""

from __future__ import annotations

import base64
import json

from ansible.module_utils import basic

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_trust
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, run_module, sync, writes

# A throwaway self-signed certificate made for these tests, and its fingerprint as
# `openssl x509 -noout -fingerprint -sha256` prints it (and LXD computes it).
PEM = """-----BEGIN CERTIFICATE-----
MIIBizCCATGgAwIBAgIUTDidhnZDfqmGzO1S7NbW31V19TAwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbHhka2l0LXVuaXQtdGVzdDAeFw0yNjEyMDIxNTE5NDNaFw0z
NjExMjkxNTE5NDNaMBsxGTAXBgNVBAMMEGx4ZGtpdC11bml0LXRlc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQCGV2F9tgiQhoxGWU7RIWX0eJRSX6NZdM8UfIp
iPhFUuAWwlRIDo/NNAM9O0w0thkuJMXAnuFn1OsiI1EsQaj5o1MwUTAdBgNVHQ4E
FgQU0596dcYbemsWcfWkdmQbqWJ2WtYwHwYDVR0jBBgwFoAU0596dcYbemsWcfWk
dmQbqWJ2WtYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEA9xv3
c/FvIJo7iWRTpSO0gxrZuUaKzMXgnZeeK/uaIykCIFHn0Y3KpBAA0LuAiiv6OR9f
MDNloGl6LcN+7eiMOGky
-----END CERTIFICATE-----
"""
FINGERPRINT = "4cdeb23f7c14590bec0d6b3b78dce0b04622c13989c760671161bd279a160bdb"
DER_BASE64 = "".join(PEM.strip().splitlines()[1:-1])
SERVER_FINGERPRINT = "ee012873cdbbcd97f39999de66336360f6c3216ddc445b06f9d54312d936b341"
SECRET = "d4ff7bf9264d3173da4cfa5262073e54c08b2ce369de5b9543525ae94e7b6183"


def certificate(name="ci", fingerprint=FINGERPRINT, restricted=False, projects=(), type="client"):
    """A certificate as GET /1.0/certificates?recursion=1 lists it on LXD 5.0.2."""
    return {"name": name, "type": type, "restricted": restricted, "projects": list(projects), "certificate": PEM, "fingerprint": fingerprint}


def token_operation(name="ctl", restricted=False, projects=(), op_id="op-1", expires_at=None, secret=SECRET):
    """A pending token as GET /1.0/operations?recursion=1 lists it (class token), on LXD 5.0.2."""
    metadata = {"addresses": ["10.247.0.2:8443"], "fingerprint": SERVER_FINGERPRINT, "secret": secret,
                "request": {"name": name, "type": "client", "restricted": restricted, "projects": list(projects), "certificate": "",
                            "password": "", "token": True}}
    if expires_at:
        metadata["expiresAt"] = expires_at
    return {"id": op_id, "class": "token", "status": "Running", "status_code": 103, "created_at": "2026-12-02T15:13:13.24501428Z",
            "metadata": metadata, "may_cancel": True}


def lxd(certificates=(), tokens=(), projects=("default",)):
    fake = FakeLxd()
    fake.route("GET", "certificates", sync(list(certificates)))
    fake.route("GET", "operations", sync({"running": list(tokens)}))
    fake.route("GET", "projects", sync(["/1.0/projects/%s" % name for name in projects]))
    return fake


def run(fake, capsys, check_mode=False, **args):
    return run_module(fake, lxd_trust, capsys, check_mode, **args)


# -- certificates

def test_add_sends_the_der_base64_and_returns_the_certificate(capsys):
    fake = lxd(projects=("default", "ci"))
    fake.route("POST", "certificates", sync(None))
    fake.route("GET", "certificates/" + FINGERPRINT, sync(certificate(restricted=True, projects=["ci"])))
    result = run(fake, capsys, name="ci", certificate=PEM, restricted=True, projects=["ci"])
    assert result["changed"] is True and result["actions"] == ["create"]
    assert fake.requested("POST", "certificates")[0].json == {"name": "ci", "type": "client", "restricted": True, "projects": ["ci"],
                                                              "certificate": DER_BASE64}
    assert result["certificate"] == {"fingerprint": FINGERPRINT, "name": "ci", "type": "client", "restricted": True, "projects": ["ci"]}
    assert result["diff"]["before"] == {}


def test_add_from_a_file_in_check_mode_writes_nothing(tmp_path, capsys):
    path = tmp_path / "client.crt"
    path.write_text("subject=CN = lxdkit-unit-test\n" + PEM)  # text before the PEM block, as openssl x509 -text leaves it
    fake = lxd()
    result = run(fake, capsys, check_mode=True, name="ci", certificate_path=str(path), type="metrics")
    assert result["changed"] is True and writes(fake) == []
    assert result["certificate"] == {"fingerprint": FINGERPRINT, "name": "ci", "type": "metrics", "restricted": False, "projects": []}


def test_rerun_is_idempotent_by_fingerprint_whatever_the_name_lookup(capsys):
    fake = lxd([certificate(), certificate(name="ci", fingerprint="ab" * 32)])  # another "ci" does not matter
    result = run(fake, capsys, name="ci", certificate=PEM)
    assert result["changed"] is False and writes(fake) == []


def test_name_restricted_and_projects_change_in_place_without_the_certificate(capsys):
    fake = lxd([certificate()], projects=("default", "ci"))
    fake.route("PUT", "certificates/" + FINGERPRINT, sync({}))
    fake.route("GET", "certificates/" + FINGERPRINT, sync(certificate(name="ci-runner", restricted=True, projects=["ci"])))
    result = run(fake, capsys, name="ci-runner", certificate=PEM, restricted=True, projects=["ci"])
    assert result["actions"] == ["update"]
    assert fake.requested("PUT", "certificates/" + FINGERPRINT)[0].json == {
        "name": "ci-runner", "type": "client", "restricted": True, "projects": ["ci"]}
    assert result["diff"]["before"]["name"] == "ci" and result["diff"]["after"]["name"] == "ci-runner"


def test_a_fingerprint_prefix_or_the_name_finds_the_certificate(capsys):
    fake = lxd([certificate(restricted=True, projects=["default"])])
    fake.route("PUT", "certificates/" + FINGERPRINT, sync({}))
    result = run(fake, capsys, check_mode=True, fingerprint=FINGERPRINT[:12].upper(), projects=["default"])
    assert result["changed"] is False
    result = run(fake, capsys, check_mode=True, name="ci", restricted=False, projects=[])
    assert result["changed"] is True and result["certificate"]["restricted"] is False and writes(fake) == []


def test_a_type_change_is_refused_before_any_write(capsys):
    fake = lxd([certificate()])
    result = run(fake, capsys, certificate=PEM, type="metrics")
    assert result["failed"] is True and "LXD cannot change a certificate's type to metrics" in result["msg"] and writes(fake) == []


def test_missing_projects_are_named_before_any_write(capsys):
    fake = lxd(projects=("default",))
    result = run(fake, capsys, name="ci", certificate=PEM, restricted=True, projects=["default", "nope", "gone"])
    assert result["failed"] is True and result["missing"] == ["gone", "nope"] and "nope" in result["msg"] and writes(fake) == []


def test_projects_without_restriction_are_refused(capsys):
    fake = lxd()
    result = run(fake, capsys, name="ci", certificate=PEM, projects=["default"])
    assert result["failed"] is True and "give restricted=true" in result["msg"] and writes(fake) == []
    result = run(fake, capsys, name="ci", certificate=PEM, restricted=False, projects=["default"])
    assert result["failed"] is True and fake.calls == ["GET ", "GET certificates"]  # the second: refused before any request


def test_a_private_key_or_no_certificate_is_refused_before_any_request(capsys):
    fake = lxd()
    key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
    result = run(fake, capsys, name="ci", certificate=PEM + key)
    assert result["failed"] is True and "holds a private key" in result["msg"] and "MIGHAgEA" not in result["msg"]
    result = run(fake, capsys, name="ci", certificate="not a certificate")
    assert "exactly one PEM certificate" in result["msg"]
    result = run(fake, capsys, name="ci", certificate=PEM, fingerprint="abcdef")
    assert "is not the fingerprint of the certificate given" in result["msg"]
    assert writes(fake) == []


def test_adding_needs_the_certificate_and_a_name(capsys):
    fake = lxd()
    result = run(fake, capsys, name="ci")
    assert result["failed"] is True and "no trusted certificate has the name 'ci'; to add one, give certificate" in result["msg"]
    result = run(fake, capsys, certificate=PEM)
    assert result["failed"] is True and result["msg"].startswith("name: needed to add a certificate")
    assert writes(fake) == []


def test_absent_by_fingerprint_name_or_certificate_and_again(capsys):
    for options in ({"fingerprint": FINGERPRINT[:12]}, {"name": "ci"}, {"certificate": PEM}):
        fake = lxd([certificate()])
        fake.route("DELETE", "certificates/" + FINGERPRINT, sync(None))
        result = run(fake, capsys, state="absent", **options)
        assert result["changed"] is True and writes(fake) == ["DELETE certificates/" + FINGERPRINT] and result["certificate"] is None
    fake = lxd()
    assert run(fake, capsys, state="absent", name="ci")["changed"] is False and writes(fake) == []


def test_a_name_that_several_certificates_have_is_refused_with_their_fingerprints(capsys):
    other = "ab" * 32
    fake = lxd([certificate(), certificate(fingerprint=other)])
    result = run(fake, capsys, state="absent", name="ci")
    assert result["failed"] is True and "2 trusted certificates are named 'ci'" in result["msg"]
    assert result["fingerprints"] == [FINGERPRINT, other] and writes(fake) == []


# -- tokens

def decoded(token):
    return json.loads(base64.b64decode(token))


def test_a_token_is_issued_with_lxcs_shape_and_no_secret_elsewhere(capsys):
    fake = lxd()
    issued = token_operation()
    fake.route("POST", "certificates", operation(issued["metadata"], op_id="op-1"))
    result = run(fake, capsys, state="token", name="ctl")
    assert result["changed"] is True and result["actions"] == ["token"]
    assert fake.requested("POST", "certificates")[0].json == {"name": "ctl", "type": "client", "restricted": False, "projects": [],
                                                              "token": True}
    # What lxc config trust add prints: base64 of LXD's api.CertificateAddToken, keys in its order.
    assert list(decoded(result["token"]).items()) == [("client_name", "ctl"), ("fingerprint", SERVER_FINGERPRINT),
                                                      ("addresses", ["10.247.0.2:8443"]), ("secret", SECRET),
                                                      ("expires_at", "0001-01-01T00:00:00Z")]
    assert SECRET not in json.dumps(dict(result, token=None))
    assert result["tokens"][0]["name"] == "ctl" and result["tokens"][0]["operation"] == "op-1"
    assert "set no_log: true on this task" in json.dumps(result["warnings"])  # strings, or 2.19's warning summaries
    # The operation runs until the token is used: it is never waited for.
    assert not any(call.startswith("GET operations/op-1") for call in fake.calls)


def test_no_warning_when_the_task_has_no_log(capsys, monkeypatch):
    # Ansible keeps warnings process-wide (other runs' would show in the result): record ours.
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, text: warned.append(text))
    fake = lxd()
    fake.route("POST", "certificates", operation(token_operation()["metadata"]))
    result = run(fake, capsys, state="token", name="ctl", _ansible_no_log=True)
    assert result["changed"] is True and warned == []


def test_a_pending_token_is_returned_again_without_a_write(capsys):
    fake = lxd(tokens=[token_operation(), token_operation(name="other", op_id="op-2", secret="ff" * 32)])
    result = run(fake, capsys, state="token", name="ctl")
    assert result["changed"] is False and writes(fake) == []
    assert decoded(result["token"])["secret"] == SECRET and [token["name"] for token in result["tokens"]] == ["ctl"]


def test_a_pending_token_with_other_restrictions_or_expired_is_replaced(capsys):
    for pending in (token_operation(), token_operation(restricted=True, projects=["default"], expires_at="2020-01-01T00:00:00Z")):
        fake = lxd(tokens=[pending])
        fake.route("DELETE", "operations/op-1", sync(None))
        fake.route("POST", "certificates", operation(token_operation(restricted=True, projects=["default"], secret="ee" * 32)["metadata"]))
        result = run(fake, capsys, state="token", name="ctl", restricted=True, projects=["default"], _ansible_no_log=True)
        assert result["actions"] == ["revoke_token", "token"]
        assert writes(fake) == ["DELETE operations/op-1", "POST certificates"]
        assert decoded(result["token"])["secret"] == "ee" * 32
        assert result["diff"]["before"]["tokens"][0]["operation"] == "op-1" and result["diff"]["after"]["tokens"][0]["restricted"] is True


def test_no_token_for_a_client_that_got_in(capsys):
    fake = lxd([certificate(name="ctl")])
    result = run(fake, capsys, state="token", name="ctl")
    assert result["changed"] is False and result["token"] is None and writes(fake) == []
    assert result["certificate"]["fingerprint"] == FINGERPRINT


def test_token_in_check_mode_plans_without_a_token(capsys):
    fake = lxd()
    result = run(fake, capsys, check_mode=True, state="token", name="ctl")
    assert result["changed"] is True and result["token"] is None and writes(fake) == []
    assert result["tokens"] == [{"name": "ctl", "type": "client", "restricted": False, "projects": [], "addresses": [], "expires_at": None,
                                 "created_at": None, "operation": None}]


def test_token_options_are_checked_before_any_request(capsys):
    fake = lxd()
    for options, text in (({"name": "ctl", "type": "metrics"}, "tokens are for client certificates only (LXD and Incus alike)"),
                          ({"name": "ctl", "certificate": PEM}, "certificate: not with state=token"),
                          ({}, "name: state=token needs the client name")):
        result = run(fake, capsys, state="token", **options)
        assert result["failed"] is True and text in result["msg"]
    result = run(fake, capsys, state="token_revoked", name="ctl", restricted=True)
    assert "restricted: not with state=token_revoked" in result["msg"]
    assert fake.calls == []


def test_token_revoked_deletes_every_pending_token_of_the_name(capsys):
    fake = lxd(tokens=[token_operation(op_id="op-1"), token_operation(op_id="op-2"), token_operation(name="other", op_id="op-3")])
    fake.route("DELETE", "operations/op-1", sync(None))
    fake.route("DELETE", "operations/op-2", error(404, "Operation not found"))  # used meanwhile: gone either way
    result = run(fake, capsys, state="token_revoked", name="ctl")
    assert result["changed"] is True and result["tokens"] == []
    assert writes(fake) == ["DELETE operations/op-1", "DELETE operations/op-2"]
    fake = lxd()
    assert run(fake, capsys, state="token_revoked", name="ctl")["changed"] is False and writes(fake) == []
