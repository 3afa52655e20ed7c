# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LxdClient against the fake transport: errors, operations, retries, projects, downloads."""

from __future__ import annotations

import io
import types

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _client
from ansible_collections.lxdkit.lxd.plugins.module_utils._client import CONNECTION_OPTIONS, LxdClient, resolve_endpoint
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import BUSY_ATTEMPTS, BUSY_PAUSE, LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import HttpConnectionLost, HttpTimeout
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SOCKET, FakeLxd, body, error, operation, raises, sync

WHERE = "unix:" + SOCKET
BUSY = 'Instance is busy running a "create" operation'


@pytest.fixture
def fake():
    return FakeLxd(projects=["default", "web"])


@pytest.fixture
def pauses(monkeypatch):
    """The retry pauses asked for, none of them slept."""
    asked = []
    monkeypatch.setattr(_client, "time", types.SimpleNamespace(sleep=asked.append))
    return asked


# -- get and find ----------------------------------------------------------------------------


def test_get_returns_the_metadata(fake):
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Running"}))
    assert fake.client().get("instances/c1") == {"name": "c1", "status": "Running"}
    assert fake.calls == ["GET ", "GET instances/c1"]


def test_find_returns_none_for_a_missing_object(fake):
    assert fake.client().find("instances/missing") is None


def test_get_of_a_missing_object_raises_not_found_naming_path_server_and_project(fake):
    with pytest.raises(LxdkitNotFound) as caught:
        fake.client(project="web").get("instances/missing")
    assert caught.value.msg == "instances/missing not found on LXD at %s (project web): not found" % WHERE
    assert caught.value.details == {"status": 404, "lxd_error": "not found"}


# -- errors ------------------------------------------------------------------------------------


def test_403_says_the_client_is_not_trusted_or_not_allowed_in_the_project(fake):
    fake.route("GET", "instances", error(403, "not authorized"))
    with pytest.raises(LxdkitError) as caught:
        fake.client(project="web").get("instances")
    assert "refused GET instances (403, client not trusted or not allowed in project web): not authorized" in caught.value.msg
    assert WHERE in caught.value.msg
    assert caught.value.details == {"status": 403, "lxd_error": "not authorized"}


@pytest.mark.parametrize("status", [400, 409, 412, 500, 503])
def test_other_error_statuses_say_lxd_refused_with_its_text_and_status(fake, status):
    fake.route("PUT", "profiles/p", error(status, "Invalid config key 'x'"))
    with pytest.raises(LxdkitError) as caught:
        fake.client().send("PUT", "profiles/p", {"config": {"x": "1"}})
    assert not isinstance(caught.value, LxdkitNotFound)
    assert caught.value.msg == "LXD refused PUT profiles/p: Invalid config key 'x'"
    assert caught.value.details == {"status": status, "lxd_error": "Invalid config key 'x'"}


def test_an_error_without_a_json_document_gives_the_body_text(fake):
    fake.route("GET", "instances", body(b"upstream went away\n", status=502))
    with pytest.raises(LxdkitError) as caught:
        fake.client().get("instances")
    assert caught.value.details == {"status": 502, "lxd_error": "upstream went away"}


def test_an_error_document_under_status_200_is_an_error(fake):
    fake.route("GET", "instances", error(200, "odd"))
    with pytest.raises(LxdkitError, match="LXD refused GET instances: odd"):
        fake.client().get("instances")


def test_a_timeout_names_the_server_the_request_and_the_timeout_option(fake):
    fake.route("GET", "instances/c1", raises(HttpTimeout("timed out")))
    with pytest.raises(LxdkitError) as caught:
        fake.client(timeout=12.5).get("instances/c1")
    assert caught.value.msg == "LXD at %s did not answer during GET instances/c1 within 12.5 s (raise the timeout option)" % WHERE


def test_a_lost_connection_names_the_server_and_the_request(fake):
    fake.route("DELETE", "instances/c1", raises(HttpConnectionLost("ConnectionResetError: reset")))
    with pytest.raises(LxdkitError) as caught:
        fake.client().send("DELETE", "instances/c1")
    assert caught.value.msg == ("lost the connection to LXD at %s during DELETE instances/c1 (did the daemon stop?): "
                                "ConnectionResetError: reset" % WHERE)


def test_an_unreachable_daemon_fails_the_connect_with_what_to_check(fake):
    fake.route("GET", "", raises(HttpConnectionLost("ConnectionRefusedError: refused")))
    with pytest.raises(LxdkitError) as caught:
        fake.client()
    assert caught.value.msg == ("LXD is not reachable at %s: ConnectionRefusedError: refused. "
                                "Is the daemon running (lxd waitready)?" % WHERE)


def test_a_daemon_that_does_not_answer_the_connect_is_a_timeout(fake):
    fake.route("GET", "", raises(HttpTimeout("timed out")))
    with pytest.raises(LxdkitError, match="did not answer connect within 30.0 s"):
        fake.client()


# -- operations --------------------------------------------------------------------------------


def test_send_waits_for_an_async_operation_and_returns_its_final_state(fake):
    fake.route("POST", "instances/c1/snapshots", operation({"name": "s1"}, op_id="op-1"))
    client = fake.client(timeout=10.0)
    result = client.send("POST", "instances/c1/snapshots", {"name": "s1"})
    assert result["status"] == "Success"
    assert result["metadata"] == {"name": "s1"}
    wait = fake.requested("GET", "operations/op-1/wait")
    assert len(wait) == 1
    # LXD holds each wait up to 10 s; the transport waits longer than that.
    assert wait[0].params == {"timeout": 10}
    assert wait[0].timeout == 20.0
    assert fake.requested("POST", "instances/c1/snapshots")[0].json == {"name": "s1"}


def test_wait_polls_while_the_operation_is_running(fake):
    fake.route("POST", "instances/c1/snapshots", operation({"name": "s1"}, running=2, op_id="op-2"))
    assert fake.client().send("POST", "instances/c1/snapshots", {"name": "s1"})["status"] == "Success"
    assert len(fake.requested("GET", "operations/op-2/wait")) == 3


def test_a_failed_operation_raises_with_lxd_s_err_text(fake):
    fake.route("POST", "instances/c1/exec", operation(err="Command not found"))
    with pytest.raises(LxdkitError) as caught:
        fake.client().send("POST", "instances/c1/exec", {"command": ["nope"]})
    assert caught.value.msg == "LXD failed POST instances/c1/exec: Command not found"
    assert caught.value.details == {"lxd_error": "Command not found"}


def test_send_without_wait_returns_the_operation_path_and_wait_finishes_it(fake):
    fake.route("PUT", "instances/c1/state", operation(op_id="op-3"))
    client = fake.client()
    assert client.send("PUT", "instances/c1/state", {"action": "start"}, wait=False) == "/1.0/operations/op-3"
    assert fake.requested("GET", "operations/op-3/wait") == []
    assert client.wait("/1.0/operations/op-3", "start c1")["status"] == "Success"
    assert len(fake.requested("GET", "operations/op-3/wait")) == 1


def test_start_returns_the_operation_path(fake):
    fake.route("POST", "instances", operation(op_id="op-4"))
    assert fake.client().start("POST", "instances", {"name": "c1"}) == "/1.0/operations/op-4"


def test_send_of_a_sync_answer_returns_its_metadata(fake):
    fake.route("PATCH", "profiles/p", sync({"name": "p"}))
    assert fake.client().send("PATCH", "profiles/p", {"config": {}}) == {"name": "p"}


def test_wait_leaves_anything_but_an_operation_path_alone(fake):
    client = fake.client()
    assert client.wait(None) is None
    assert client.wait("/1.0/instances/c1") == "/1.0/instances/c1"
    assert fake.calls == ["GET "]


# -- retries -----------------------------------------------------------------------------------


def test_send_when_free_retries_a_busy_refusal_with_growing_pauses(fake, pauses):
    fake.route("POST", "instances/c1/snapshots", error(400, BUSY), error(400, BUSY), sync({"done": True}))
    assert fake.client().send_when_free("POST", "instances/c1/snapshots", {"name": "s1"}) == {"done": True}
    assert len(fake.requested("POST", "instances/c1/snapshots")) == 3
    assert pauses == [BUSY_PAUSE, 2 * BUSY_PAUSE]


def test_send_when_free_retries_an_operation_that_failed_busy(fake, pauses):
    fake.route("POST", "instances/c1/snapshots", operation(err=BUSY), operation({"name": "s1"}))
    assert fake.client().send_when_free("POST", "instances/c1/snapshots", {"name": "s1"})["metadata"] == {"name": "s1"}
    assert len(fake.requested("POST", "instances/c1/snapshots")) == 2
    assert pauses == [BUSY_PAUSE]


def test_send_when_free_gives_up_after_the_attempts_with_the_last_refusal(fake, pauses):
    fake.route("POST", "instances/c1/snapshots", error(400, BUSY))
    with pytest.raises(LxdkitError) as caught:
        fake.client().send_when_free("POST", "instances/c1/snapshots", {"name": "s1"})
    assert caught.value.details["lxd_error"] == BUSY
    assert len(fake.requested("POST", "instances/c1/snapshots")) == BUSY_ATTEMPTS
    assert len(pauses) == BUSY_ATTEMPTS - 1


def test_send_when_free_does_not_retry_other_refusals(fake, pauses):
    fake.route("POST", "instances/c1/snapshots", error(400, "Invalid snapshot name"), sync({}))
    with pytest.raises(LxdkitError, match="Invalid snapshot name"):
        fake.client().send_when_free("POST", "instances/c1/snapshots", {"name": "a/b"})
    assert len(fake.requested("POST", "instances/c1/snapshots")) == 1
    assert pauses == []


def test_send_when_free_ends_without_failure_once_done_says_the_goal_is_reached(fake, pauses):
    fake.route("DELETE", "instances/c1/snapshots/s1", error(400, BUSY))
    client = fake.client()
    assert client.send_when_free("DELETE", "instances/c1/snapshots/s1", done=lambda: client.find("instances/c1/snapshots/s1") is None) is None
    assert fake.calls[1:] == ["DELETE instances/c1/snapshots/s1", "GET instances/c1/snapshots/s1"]
    assert pauses == []


def test_retry_numbers_the_attempts_and_takes_its_own_rule(fake, pauses):
    numbers = []

    def attempt(number):
        numbers.append(number)
        if number < 3:
            raise LxdkitError("flaky")
        return "third time"

    assert fake.client().retry(attempt, attempts=3, retry_on=lambda exc: exc.msg == "flaky", pause=0.5) == "third time"
    assert numbers == [1, 2, 3]
    assert pauses == [0.5, 1.0]


# -- projects and targets ----------------------------------------------------------------------


def test_the_default_project_adds_no_query_parameter(fake):
    fake.route("POST", "instances", operation())
    client = fake.client()
    client.find("instances/c1")
    client.send("POST", "instances", {"name": "c1"})
    assert all("project" not in request.params for request in fake.requests)


def test_another_project_goes_with_every_request_including_the_wait(fake):
    fake.route("POST", "instances", operation(op_id="op-5"), project="web")
    client = fake.client(project="web")
    client.find("instances/c1")
    client.send("POST", "instances", {"name": "c1"})
    assert fake.requested("GET", "projects/web")[0].params == {"project": "default"}
    for call in ("GET instances/c1", "POST instances", "GET operations/op-5/wait"):
        method, path = call.split(" ")
        assert fake.requested(method, path)[0].project == "web"


def test_an_explicit_project_parameter_wins(fake):
    client = fake.client(project="web")
    client.find("images/aliases/a", params={"project": "default"})
    assert fake.requested("GET", "images/aliases/a")[0].params == {"project": "default"}


def test_a_missing_project_is_a_clear_error_at_connect(fake):
    with pytest.raises(LxdkitError) as caught:
        fake.client(project="nope")
    assert caught.value.msg == ("project 'nope' does not exist on LXD at %s: create it (lxc project create nope) "
                                "or fix the project option" % WHERE)
    assert caught.value.details == {"project": "nope"}


def test_target_is_a_query_parameter_only_when_given(fake):
    fake.route("POST", "instances", sync({}))
    client = fake.client()
    client.send("POST", "instances", {"name": "c1"}, target="node2")
    client.send("POST", "instances", {"name": "c2"}, params={"recursion": "1"})
    first, second = fake.requested("POST", "instances")
    assert first.params == {"target": "node2"}
    assert second.params == {"recursion": "1"}


# -- raw bodies and downloads ------------------------------------------------------------------


def test_send_streams_a_raw_body_with_its_headers(fake):
    fake.route("POST", "instances/c1/files", sync({}))
    headers = {"Content-Type": "application/octet-stream", "X-LXD-mode": "0600"}
    fake.client().send("POST", "instances/c1/files", params={"path": "/root/f"}, data=io.BytesIO(b"payload"), headers=headers)
    request = fake.requested("POST", "instances/c1/files")[0]
    assert (request.data, request.headers, request.json, request.params) == (b"payload", headers, None, {"path": "/root/f"})


def test_download_yields_the_whole_body_in_chunks_and_closes_the_response(fake):
    fake.route("GET", "backups/b1/export", body(b"0123456789"))
    client = fake.client()
    response = client.request("GET", "backups/b1/export", stream=True)
    assert list(client.download("backups/b1/export", 4, response=response)) == [b"0123", b"4567", b"89"]
    assert response.closed


def test_download_of_a_body_shorter_than_its_content_length_raises(fake):
    fake.route("GET", "backups/b1/export", body(b"x" * 10, headers={"Content-Length": "100"}))
    chunks = []
    with pytest.raises(LxdkitError) as caught:
        for chunk in fake.client().download("backups/b1/export", 4):
            chunks.append(chunk)
    assert caught.value.msg == "the download of backups/b1/export from LXD at %s ended after 10 of 100 bytes" % WHERE
    assert b"".join(chunks) == b"x" * 10


def test_download_with_a_content_encoding_does_not_compare_the_length(fake):
    fake.route("GET", "images/f/export", body(b"abc", headers={"Content-Length": "1", "Content-Encoding": "gzip"}))
    assert b"".join(fake.client().download("images/f/export", 1024)) == b"abc"


def test_download_cut_off_by_a_lost_connection_raises_naming_the_bytes_received(fake):
    fake.route("GET", "backups/b1/export", body(b"y" * 100, lost_after=8))
    with pytest.raises(LxdkitError) as caught:
        list(fake.client().download("backups/b1/export", 4))
    assert caught.value.msg.startswith("lost the connection to LXD at %s after 8 bytes of backups/b1/export (did the daemon stop?)" % WHERE)


def test_request_passes_a_raw_read_through(fake):
    fake.route("GET", "instances/c1/logs/exec.stdout", body(b"not json"))
    assert fake.client().request("GET", "instances/c1/logs/exec.stdout", is_api=False).content == b"not json"


# -- endpoints, certificates, options ----------------------------------------------------------


@pytest.mark.parametrize("url, endpoint", [
    ("https://lxd.example.com:8443/", ("https://lxd.example.com:8443", "https://lxd.example.com:8443")),
    ("unix:/srv/lxd.socket", ("/srv/lxd.socket", "unix:/srv/lxd.socket")),
    ("/srv/lxd.socket", ("/srv/lxd.socket", "unix:/srv/lxd.socket")),
])
def test_resolve_endpoint_takes_a_given_url(url, endpoint):
    assert resolve_endpoint(url, exists=lambda path: True) == endpoint


def test_resolve_endpoint_looks_in_lxd_dir_then_the_package_then_the_snap_socket(monkeypatch):
    monkeypatch.setenv("LXD_DIR", "/custom")
    tried = []
    assert resolve_endpoint(None, exists=lambda path: tried.append(path) or path.startswith("/var/snap")) == (
        "/var/snap/lxd/common/lxd/unix.socket", "unix:/var/snap/lxd/common/lxd/unix.socket")
    assert tried == ["/custom/unix.socket", "/var/lib/lxd/unix.socket", "/var/snap/lxd/common/lxd/unix.socket"]


def test_resolve_endpoint_tries_snap_url_after_url():
    assert resolve_endpoint("unix:/gone.socket", "unix:/snap.socket", exists=lambda path: path == "/snap.socket") == (
        "/snap.socket", "unix:/snap.socket")


def test_resolve_endpoint_without_a_socket_names_every_place_tried(monkeypatch):
    for name in ("LXD_DIR", "INCUS_DIR", "INCUS_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LxdkitError) as caught:
        resolve_endpoint(None, exists=lambda path: False)
    assert ("unix:/var/lib/lxd/unix.socket or unix:/var/snap/lxd/common/lxd/unix.socket or unix:/var/lib/incus/unix.socket: "
            "no such socket") in caught.value.msg
    assert "set url to https://HOST:8443" in caught.value.msg


@pytest.mark.parametrize("given", ["client_cert", "client_key"])
def test_client_cert_and_key_go_together(tmp_path, given):
    (tmp_path / "c").write_text("pem")
    client = LxdClient(**{given: str(tmp_path / "c")})
    with pytest.raises(LxdkitError, match="client_cert and client_key go together: give both or neither"):
        client._client_cert("https://lxd.example.com:8443")


def test_a_missing_client_cert_file_is_named(tmp_path):
    (tmp_path / "client.key").write_text("pem")
    client = LxdClient(client_cert=str(tmp_path / "client.crt"), client_key=str(tmp_path / "client.key"))
    with pytest.raises(LxdkitError, match="client_cert %s does not exist or is not a file" % (tmp_path / "client.crt")):
        client._client_cert(SOCKET)


def test_the_lxc_client_cert_is_the_default_for_https_only(tmp_path, monkeypatch):
    default = (str(tmp_path / "client.crt"), str(tmp_path / "client.key"))
    for path in default:
        open(path, "w").close()
    monkeypatch.setattr(_client, "LXC_CLIENT_CERT", default)
    assert LxdClient()._client_cert("https://lxd.example.com:8443") == default
    assert LxdClient()._client_cert(SOCKET) is None


def test_a_missing_client_cert_fails_the_connect(fake, tmp_path):
    with pytest.raises(LxdkitError, match="client_key .* does not exist"):
        fake.client(client_cert=__file__, client_key=str(tmp_path / "none.key"))
    assert fake.requests == []


def test_from_options_reads_every_connection_option_once():
    options = dict(url="https://lxd.example.com:8443", snap_url=None, client_cert="/c.crt", client_key="/c.key",
                   server_cert="/s.crt", validate_certs=False, trust_token="token", trust_password=None,
                   project="web", timeout=12.5)
    read = []
    client = LxdClient.from_options(lambda name: read.append(name) or options[name])
    assert sorted(read) == sorted(CONNECTION_OPTIONS) == sorted(options)
    assert (client.url, client.client_cert, client.client_key, client.server_cert, client.validate_certs) == (
        "https://lxd.example.com:8443", "/c.crt", "/c.key", "/s.crt", False)
    assert (client.trust_secret, client.project, client.timeout) == ("token", "web", 12.5)


def test_from_options_takes_the_trust_password_and_defaults_the_project():
    client = LxdClient.from_options(dict(trust_password="secret", timeout=30.0).get)
    assert (client.trust_secret, client.project) == ("secret", "default")


def test_the_connect_hands_the_timeout_to_the_transport_and_keeps_the_host_info(fake):
    client = fake.client(timeout=7.5)
    assert fake.opened == [(SOCKET, 7.5)]
    assert client.server["environment"]["server_version"] == "5.0.2"
    assert client.where == WHERE


# -- close -------------------------------------------------------------------------------------


def test_close_closes_the_transport_and_the_next_request_connects_again(fake):
    client = fake.client()
    client.close()
    assert fake.closed == 1
    with fake.serving():
        client.find("instances/c1")
    assert len(fake.opened) == 2
    assert fake.calls == ["GET ", "GET ", "GET instances/c1"]


def test_a_second_close_does_nothing(fake):
    client = fake.client()
    client.close()
    client.close()
    assert fake.closed == 1
