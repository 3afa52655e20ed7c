# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lxdkit.lxd.lxd connection, loaded by Ansible's plugin loader, against the fake LXD."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import CONNECTION_OPTIONS
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SOCKET, FakeLxd, body, error, operation, sync

RUNNING = sync({"name": "c1", "status": "Running"})


@pytest.fixture
def fake():
    fake = FakeLxd(projects=["default", "web"])
    with fake.serving():
        yield fake


def connection(**host_vars):
    """The plugin as Ansible makes it for host c1, with the host's variables."""
    play_context = PlayContext()
    play_context.remote_addr = "c1"
    plugin = connection_loader.get("lxdkit.lxd.lxd", play_context)
    plugin.set_options(var_options=host_vars)
    return plugin


def recorded_exec(fake, rc, stdout, stderr, instance="c1"):
    """LXD's answers to a command run with recorded output: the operation, then the two logs."""
    logs = "/1.0/instances/%s/logs/exec-1.std" % instance
    fake.route("POST", "instances/%s/exec" % instance, operation({"return": rc, "output": {"1": logs + "out", "2": logs + "err"}}))
    fake.route("GET", logs + "out", body(stdout))
    fake.route("GET", logs + "err", body(stderr))
    for log in (logs + "out", logs + "err"):
        fake.route("DELETE", log, sync())


def test_exec_returns_the_recorded_output_and_removes_the_logs(fake):
    fake.route("GET", "instances/c1", RUNNING)
    recorded_exec(fake, 3, b"out\n", b"err\n")
    assert connection().exec_command("echo out; echo err >&2; exit 3") == (3, b"out\n", b"err\n")
    command = fake.requested("POST", "instances/c1/exec")[0].json
    assert command["command"] == ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"]
    assert command["record-output"] is True and command["wait-for-websocket"] is False
    assert [request.path for request in fake.requests if request.method == "DELETE"] == [
        "instances/c1/logs/exec-1.stdout", "instances/c1/logs/exec-1.stderr"]


def test_exec_with_input_pushes_it_as_a_file_the_command_reads_and_removes(fake):
    fake.route("GET", "instances/c1", RUNNING)
    fake.route("POST", "instances/c1/files", sync())
    recorded_exec(fake, 0, b"{}", b"")
    assert connection().exec_command("/usr/bin/python3", in_data=b"print('payload')") == (0, b"{}", b"")
    pushed = fake.requested("POST", "instances/c1/files")[0]
    assert pushed.data == b"print('payload')"
    assert pushed.headers["X-LXD-mode"] == "0600"
    script = fake.requested("POST", "instances/c1/exec")[0].json["command"][2]
    assert "< %s;" % pushed.params["path"] in script and "rm -f %s;" % pushed.params["path"] in script


def test_put_file_streams_the_local_file_into_the_instance(fake, tmp_path):
    fake.route("GET", "instances/c1", RUNNING)
    fake.route("POST", "instances/c1/files", sync())
    source = tmp_path / "module.py"
    source.write_bytes(b"#!/usr/bin/python3\n" * 1000)
    connection().put_file(str(source), "/root/.ansible/tmp/module.py")
    pushed = fake.requested("POST", "instances/c1/files")[0]
    assert pushed.params == {"path": "/root/.ansible/tmp/module.py"}
    assert pushed.data == source.read_bytes()
    assert pushed.headers["Content-Type"] == "application/octet-stream"


def test_put_file_of_a_missing_local_file_is_file_not_found(fake, tmp_path):
    fake.route("GET", "instances/c1", RUNNING)
    with pytest.raises(AnsibleFileNotFound, match="file or module does not exist"):
        connection().put_file(str(tmp_path / "none"), "/root/none")
    assert fake.requested("POST", "instances/c1/files") == []


def test_fetch_file_follows_a_symlink_and_writes_the_target_s_content(fake, tmp_path):
    fake.route("GET", "instances/c1", RUNNING)
    fake.route("GET", "instances/c1/files", body(b"../usr/lib/os-release", headers={"X-LXD-type": "symlink"}),
               body(b"ID=debian\n", headers={"X-LXD-type": "file"}))
    connection().fetch_file("/etc/os-release", str(tmp_path / "os-release"))
    assert (tmp_path / "os-release").read_bytes() == b"ID=debian\n"
    assert [request.params["path"] for request in fake.requested("GET", "instances/c1/files")] == [
        "/etc/os-release", "/usr/lib/os-release"]


def test_fetch_file_cut_off_fails_the_connection(fake, tmp_path):
    fake.route("GET", "instances/c1", RUNNING)
    fake.route("GET", "instances/c1/files", body(b"z" * 64, headers={"X-LXD-type": "file"}, lost_after=16))
    with pytest.raises(AnsibleConnectionFailure, match="fetching /root/big from c1 failed: lost the connection to LXD"):
        connection().fetch_file("/root/big", str(tmp_path / "big"))


def test_a_stopped_instance_is_refused_and_the_client_closed(fake):
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Stopped"}))
    plugin = connection()
    with pytest.raises(AnsibleConnectionFailure, match="instance c1 is Stopped: start it before running tasks in it"):
        plugin.exec_command("true")
    assert fake.requested("POST", "instances/c1/exec") == []
    assert fake.closed == 1


def test_a_missing_instance_names_project_and_server(fake):
    with pytest.raises(AnsibleConnectionFailure, match="instance c1 does not exist in project web on LXD at unix:%s" % SOCKET):
        connection(ansible_lxd_project="web").exec_command("true")


def test_an_lxd_refusal_fails_the_connection_with_its_message(fake):
    fake.route("GET", "instances/c1", error(403, "not authorized"))
    with pytest.raises(AnsibleConnectionFailure, match="client not trusted or not allowed in project default"):
        connection().exec_command("true")


def test_ansible_lxd_instance_and_project_choose_the_instance(fake):
    fake.route("GET", "instances/postgres-01", sync({"name": "postgres-01", "status": "Running"}), project="web")
    recorded_exec(fake, 0, b"", b"", instance="postgres-01")
    connection(ansible_lxd_instance="postgres-01", ansible_lxd_project="web").exec_command("true")
    assert all(request.project == "web" for request in fake.requests if request.path.startswith("instances/"))
    assert fake.requested("POST", "instances/postgres-01/exec")


def test_host_vars_reach_the_client_with_their_option_types(fake, tmp_path):
    fake.route("GET", "instances/c1", RUNNING)
    for name in ("client.crt", "client.key"):
        (tmp_path / name).write_text("pem")
    plugin = connection(ansible_lxd_url="https://lxd.example.com:8443", ansible_lxd_trust_token="token-1",
                        ansible_lxd_timeout="12", ansible_lxd_validate_certs="no",
                        ansible_lxd_client_cert=str(tmp_path / "client.crt"), ansible_lxd_client_key=str(tmp_path / "client.key"))
    plugin._connect()
    client = plugin._client
    assert (client.url, client.trust_secret, client.validate_certs) == ("https://lxd.example.com:8443", "token-1", False)
    assert client.timeout == 12.0 and isinstance(client.timeout, float)
    assert fake.opened == [(SOCKET, 12.0)]


def test_defaults_and_environment_reach_the_client(fake, monkeypatch):
    monkeypatch.setenv("LXD_URL", "unix:/srv/lxd/unix.socket")
    fake.route("GET", "instances/c1", RUNNING)
    plugin = connection()
    plugin._connect()
    client = plugin._client
    assert (client.url, client.project, client.validate_certs, client.trust_secret) == ("unix:/srv/lxd/unix.socket", "default", True, None)
    assert client.timeout == 30.0 and isinstance(client.timeout, float)


def test_ansible_s_connection_timeout_is_the_timeout_unless_ansible_lxd_timeout_is_set():
    # What Ansible's task executor hands every connection plugin (play_context.timeout).
    plugin = connection_loader.get("lxdkit.lxd.lxd", PlayContext())
    plugin.set_options(task_keys={"timeout": 10}, var_options={})
    assert plugin.get_option("timeout") == 10.0
    plugin.set_options(task_keys={"timeout": 10}, var_options={"ansible_lxd_timeout": 45})
    assert plugin.get_option("timeout") == 45.0


def test_every_connection_option_is_an_option_with_its_ansible_lxd_variable():
    # Absolute: path options make a relative path absolute.
    values = dict((name, "/srv/%s" % name) for name in CONNECTION_OPTIONS if name not in ("validate_certs", "timeout"))
    values.update(validate_certs=False, timeout=5.0)
    plugin = connection(**dict(("ansible_lxd_" + name, value) for name, value in values.items()))
    assert dict((name, plugin.get_option(name)) for name in CONNECTION_OPTIONS) == values


def test_close_closes_the_client_and_the_next_command_connects_again(fake):
    fake.route("GET", "instances/c1", RUNNING)
    recorded_exec(fake, 0, b"", b"")
    plugin = connection()
    plugin.exec_command("true")
    plugin.close()
    assert fake.closed == 1
    assert not plugin.connected
    plugin.exec_command("true")
    assert len(fake.opened) == 2
