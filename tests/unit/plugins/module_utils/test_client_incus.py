# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LxdClient against Incus (the fake answering as Incus 6.0 does): which server answered, the
header names per server and every caller of them, socket discovery, trust options."""

from __future__ import annotations

import types

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_service import import_backup
from ansible_collections.lxdkit.lxd.plugins.module_utils._client import (HEADER_FIELDS, INCUS, LXD, LxdClient, api_header,
                                                                         resolve_endpoint, server_kind_of)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._exec import file_kind, pull, push
from ansible_collections.lxdkit.lxd.plugins.module_utils._images import upload_image
from ansible_collections.lxdkit.lxd.plugins.module_utils._pylxd_http import PylxdHttp
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, Answer, FakeLxd, body, error, operation, sync

# GET /1.0 of Incus 6.0.4 as a trusted client sees it (abridged), and as an untrusted one: no
# environment then, only the API extensions (Incus names its guest API dev_incus, LXD devlxd).
INCUS_SERVER = dict(SERVER, api_extensions=["instances", "projects", "restrict_dev_incus", "dev_incus_events"],
                    environment=dict(SERVER["environment"], server="incus", server_version="6.0.4"))
LXD_SERVER = dict(SERVER, api_extensions=["instances", "projects", "restrict_devlxd", "devlxd_events"],
                  environment=dict(SERVER["environment"], server="lxd", server_version="5.0.2"))
UNTRUSTED_INCUS = {"api_extensions": INCUS_SERVER["api_extensions"], "auth": "untrusted", "public": False, "auth_methods": ["tls"]}
UNTRUSTED_LXD = {"api_extensions": LXD_SERVER["api_extensions"], "auth": "untrusted", "public": False, "auth_methods": ["tls"]}


def incus():
    return FakeLxd(server=INCUS_SERVER)


# -- which server ------------------------------------------------------------------------------


@pytest.mark.parametrize("server, kind, name, version", [
    (INCUS_SERVER, INCUS, "Incus", "6.0.4"),
    (LXD_SERVER, LXD, "LXD", "5.0.2"),
    (SERVER, LXD, "LXD", "5.0.2"),  # an LXD that does not say which server it is
])
def test_the_server_is_read_from_get_1_0_once_per_connection(server, kind, name, version):
    fake = FakeLxd(server=server)
    client = fake.client()
    assert (client.server_kind, client.server_name, client.server_version) == (kind, name, version)
    assert client.has_extension("instances") and not client.has_extension("containers")
    assert fake.calls == ["GET "]


def test_an_untrusted_answer_says_incus_through_its_api_extensions():
    assert (server_kind_of(UNTRUSTED_INCUS), server_kind_of(UNTRUSTED_LXD), server_kind_of({}), server_kind_of(None)) == (
        INCUS, LXD, LXD, LXD)


def test_messages_name_the_server_that_answered():
    with pytest.raises(LxdkitNotFound) as caught:
        incus().client().get("instances/only-on-lxd")
    assert caught.value.msg.startswith("instances/only-on-lxd not found on Incus at unix:")
    with pytest.raises(LxdkitNotFound) as caught:
        FakeLxd(server=LXD_SERVER).client().get("instances/only-on-incus")
    assert caught.value.msg.startswith("instances/only-on-incus not found on LXD at unix:")


# -- header names: one place -------------------------------------------------------------------


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_each_header_has_one_name_per_server(field):
    assert api_header(LXD, field) == "X-LXD-" + field
    assert api_header(INCUS, field) == "X-Incus-" + field


def test_an_unknown_header_field_is_a_programming_error():
    with pytest.raises(ValueError):
        api_header(LXD, "fingerprint")


def test_client_headers_leave_out_fields_without_a_value():
    assert incus().client().headers(name="b", pool=None, uid=0) == {"X-Incus-name": "b", "X-Incus-uid": "0"}
    assert FakeLxd().client().headers(name="b") == {"X-LXD-name": "b"}


def test_backup_import_under_a_new_name_sends_incus_its_own_headers(tmp_path):
    fake = incus()
    fake.route("POST", "instances", operation(resources={"instances": ["/1.0/instances/restored"]}))
    src = tmp_path / "c1.tar.gz"
    src.write_bytes(b"tarball")
    assert import_backup(fake.client(), "instances", str(src), name="restored", pool="default") == "restored"
    headers = fake.requested("POST", "instances")[0].headers
    assert (headers["X-Incus-name"], headers["X-Incus-pool"]) == ("restored", "default")
    assert not [name for name in headers if name.startswith("X-LXD")]


def test_file_push_sends_incus_headers_and_reads_incus_file_types():
    fake = incus()
    fake.route("POST", "instances/c1/files", sync())
    fake.route("GET", "instances/c1/files", body(b"/etc/os-release", headers={"X-Incus-type": "symlink"}),
               body(b"ID=debian\n", headers={"X-Incus-type": "file"}), body(b"[]", headers={"X-Incus-type": "directory"}))
    client = fake.client()
    push(client, "c1", "/tmp/x", b"data", mode=0o600, uid=1000, gid=1001)
    headers = fake.requested("POST", "instances/c1/files")[0].headers
    assert headers == {"Content-Type": "application/octet-stream", "X-Incus-type": "file", "X-Incus-mode": "0600",
                       "X-Incus-uid": "1000", "X-Incus-gid": "1001", "X-Incus-write": "overwrite"}
    assert pull(client, "c1", "/etc/os-release-link").content == b"ID=debian\n"  # the symlink followed
    assert file_kind(client, "c1", "/root") == "directory"


def test_image_upload_says_public_to_incus(tmp_path):
    fake = incus()
    fake.route("POST", "images", operation({"fingerprint": "ab" * 32}))
    image = tmp_path / "image.tar.gz"
    image.write_bytes(b"unified")
    assert upload_image(fake.client(), str(image), public=True) == "ab" * 32
    assert fake.requested("POST", "images")[0].headers["X-Incus-public"] == "1"


# -- socket discovery --------------------------------------------------------------------------


@pytest.fixture
def no_daemon_env(monkeypatch):
    for name in ("LXD_DIR", "INCUS_DIR", "INCUS_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_url_lxd_sockets_come_first_then_snap_url_then_incus(no_daemon_env):
    tried = []
    assert resolve_endpoint(None, "unix:/snap.socket", exists=lambda path: tried.append(path) or "incus" in path) == (
        "/var/lib/incus/unix.socket", "unix:/var/lib/incus/unix.socket")
    assert tried == ["/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket", "/snap.socket", "/var/lib/incus/unix.socket"]


def test_both_daemons_here_and_no_url_means_lxd(no_daemon_env):
    assert resolve_endpoint(None, exists=lambda path: True) == ("/var/lib/lxd/unix.socket", "unix:/var/lib/lxd/unix.socket")


def test_incus_environment_comes_after_lxd_dir_and_before_the_default_paths(no_daemon_env):
    no_daemon_env.setenv("INCUS_SOCKET", "unix:/run/incus-test.socket")
    no_daemon_env.setenv("INCUS_DIR", "/srv/incus")
    tried = []
    with pytest.raises(LxdkitError) as caught:
        resolve_endpoint(None, exists=lambda path: tried.append(path) or False)
    assert tried == ["/run/incus-test.socket", "/srv/incus/unix.socket", "/var/lib/lxd/unix.socket",
                     "/var/snap/lxd/common/lxd/unix.socket", "/var/lib/incus/unix.socket"]
    assert caught.value.msg.startswith("LXD is not reachable at unix:/run/incus-test.socket or ")
    no_daemon_env.setenv("LXD_DIR", "/srv/lxd")
    assert resolve_endpoint(None, exists=lambda path: True)[0] == "/srv/lxd/unix.socket"


def test_a_given_url_is_the_only_place_tried(no_daemon_env):
    tried = []
    with pytest.raises(LxdkitError):
        resolve_endpoint("unix:/var/lib/incus/unix.socket", exists=lambda path: tried.append(path) or False)
    assert tried == ["/var/lib/incus/unix.socket"]


# -- trust options -----------------------------------------------------------------------------


def test_trust_password_against_incus_is_an_error_naming_the_field_and_nothing_is_sent():
    fake = incus()
    with pytest.raises(LxdkitError) as caught:
        fake.client(trust_password="secret")
    assert caught.value.msg.startswith("trust_password: Incus (at unix:")
    assert "trust_token" in caught.value.msg and caught.value.details["field"] == "trust_password"
    assert fake.calls == ["GET "]


@pytest.mark.parametrize("field", ["trust_token", "trust_password"])
def test_a_trust_option_over_the_unix_socket_is_a_warning_that_it_does_not_apply(field):
    client = FakeLxd(server=LXD_SERVER).client(**{field: "secret"})
    assert client.warnings == ["%s does not apply to the unix socket (unix:/run/fake-lxd/unix.socket): the socket's owner is "
                               "trusted as it is; it is used only over HTTPS, on first contact" % field]
    assert FakeLxd().client().warnings == []


def test_trust_token_against_incus_over_the_socket_only_warns():
    client = incus().client(trust_token="token")
    assert client.server_kind == INCUS and len(client.warnings) == 1


def test_over_https_the_password_is_refused_before_it_is_sent_to_an_untrusted_incus():
    sent = []
    client = LxdClient(url="https://127.0.0.1:8444", trust_password="secret")
    transport = PylxdHttp("https://127.0.0.1:8444", "https://127.0.0.1:8444", ("c.crt", "c.key"), True, 5,
                          client.trust_secret, before_trust=client._check_trust_password)
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_INCUS, authenticate=sent.append)
    with pytest.raises(LxdkitError) as caught:
        transport._trust()
    assert caught.value.msg.startswith("trust_password: Incus (at https://127.0.0.1:8444) has no trust password")
    assert sent == []
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_LXD, authenticate=sent.append)
    with pytest.raises(LxdkitError, match="still does not trust"):
        transport._trust()
    assert sent == ["secret"]


def test_a_trust_token_goes_to_incus_as_trust_token_and_to_lxd_as_pylxd_sends_it():
    # Incus refuses the token in the password field (not authorized; verified on 6.0.4).
    posted, authenticated = [], []
    trusted = dict(INCUS_SERVER, auth="trusted")

    def post(json):
        posted.append(json)

    api = types.SimpleNamespace(
        certificates=types.SimpleNamespace(post=post),
        get=lambda: types.SimpleNamespace(json=lambda: {"metadata": trusted}))
    transport = PylxdHttp("https://127.0.0.1:8444", "https://127.0.0.1:8444", ("c.crt", "c.key"), True, 5, "the-token")
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_INCUS, api=api, authenticate=authenticated.append)
    transport._trust()
    assert posted == [{"type": "client", "trust_token": "the-token"}] and authenticated == []
    assert transport._client.host_info["auth"] == "trusted"
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_LXD, api=api, authenticate=authenticated.append)
    with pytest.raises(LxdkitError, match="still does not trust"):
        transport._trust()
    assert authenticated == ["the-token"] and len(posted) == 1


def test_an_untrusted_client_is_told_which_server_refused_it_and_how_to_get_in():
    # The untrusted GET /1.0 has no environment; its API extensions tell Incus from LXD.
    transport = PylxdHttp("https://10.0.0.2:8443", "https://10.0.0.2:8443", ("c.crt", "c.key"), True, 5, None)
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_INCUS)
    with pytest.raises(LxdkitError) as caught:
        transport._trust()
    assert caught.value.msg.startswith("Incus at https://10.0.0.2:8443 does not trust this client (403). Give trust_token "
                                       "(from 'incus config trust add' on the server) once")
    assert "trust_password" not in caught.value.msg
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_LXD)
    with pytest.raises(LxdkitError) as caught:
        transport._trust()
    assert caught.value.msg.startswith("LXD at https://10.0.0.2:8443 does not trust this client (403).")
    assert "'lxc config trust add'" in caught.value.msg and "trust_password" in caught.value.msg


def test_a_refused_token_names_the_server_that_refused_it():
    class Refused(Exception):
        pass

    def refuse(json):
        raise Refused("No matching certificate add operation found")

    transport = PylxdHttp("https://10.0.0.2:8443", "https://10.0.0.2:8443", ("c.crt", "c.key"), True, 5, "used-token")
    transport.exceptions = types.SimpleNamespace(LXDAPIException=Refused, ClientConnectionFailed=Refused)
    api = types.SimpleNamespace(certificates=types.SimpleNamespace(post=refuse))
    transport._client = types.SimpleNamespace(host_info=UNTRUSTED_INCUS, api=api)
    with pytest.raises(LxdkitError) as caught:
        transport._trust()
    assert caught.value.msg == ("Incus at https://10.0.0.2:8443 refused the trust token or password: "
                                "No matching certificate add operation found")


def test_a_tls_failure_names_where_either_server_keeps_its_certificate():
    transport = PylxdHttp("https://10.0.0.2:8443", "https://10.0.0.2:8443", ("c.crt", "c.key"), True, 5, None)
    message = transport._tls_error(Exception("Fingerprints did not match")).msg
    assert message.startswith("TLS to the server at https://10.0.0.2:8443 failed: Fingerprints did not match.")
    assert "/var/lib/lxd/server.crt on an LXD host" in message and "/var/lib/incus/server.crt on an Incus host" in message


def test_a_failed_operation_whose_wait_answers_an_error_document_is_that_operation_s_failure():
    fake = incus()
    started = {"type": "async", "status": "Operation created", "status_code": 100, "operation": "/1.0/operations/op1", "metadata": {"id": "op1"}}
    fake.route("PUT", "instances/c1", Answer(status=202, document=started))
    fake.route("GET", "operations/op1/wait", error(200, "Invalid config: Unknown configuration key: security.devlxd"))
    with pytest.raises(LxdkitError) as caught:
        fake.client().send("PUT", "instances/c1", {"config": {"security.devlxd": "false"}})
    assert caught.value.msg == "Incus failed PUT instances/c1: Invalid config: Unknown configuration key: security.devlxd"
    assert caught.value.details["lxd_error"] == "Invalid config: Unknown configuration key: security.devlxd"
