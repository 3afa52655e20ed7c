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


# -- running as ansible_user, become, pipelining, community.general's variables -----------------

PASSWD = b"root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1001:Alice:/home/alice:/bin/bash\n"


def as_alice(fake, home_exists=True):
    """c1 runs, has alice in /etc/passwd and (or not) her home directory."""
    fake.route("GET", "instances/c1", RUNNING)
    home = body(b'{"type": "sync", "metadata": []}', headers={"X-LXD-type": "directory"}) if home_exists else error(404, "not found")
    fake.route("GET", "instances/c1/files", body(PASSWD, headers={"X-LXD-type": "file"}), home)
    fake.route("POST", "instances/c1/files", sync())
    recorded_exec(fake, 0, b"alice\n", b"")


def test_commands_run_as_ansible_user_with_its_ids_home_and_environment(fake):
    as_alice(fake)
    plugin = connection(ansible_user="alice")
    assert plugin.exec_command("whoami") == (0, b"alice\n", b"")
    plugin.exec_command("true")
    first, second = [request.json for request in fake.requested("POST", "instances/c1/exec")]
    assert (first["user"], first["group"], first["cwd"]) == (1000, 1001, "/home/alice")
    assert first["environment"] == {"HOME": "/home/alice", "USER": "alice", "LOGNAME": "alice", "SHELL": "/bin/bash"}
    assert second == first | {"command": ["/bin/sh", "-c", "true"]}
    # /etc/passwd and the home directory read once for the connection, through the API.
    assert [request.params["path"] for request in fake.requested("GET", "instances/c1/files")] == ["/etc/passwd", "/home/alice"]


def test_a_user_without_a_home_directory_runs_in_the_root_directory(fake):
    as_alice(fake, home_exists=False)
    connection(ansible_user="alice").exec_command("true")
    command = fake.requested("POST", "instances/c1/exec")[0].json
    assert (command["cwd"], command["environment"]["HOME"]) == ("/", "/home/alice")


def test_root_is_the_default_and_runs_as_lxd_s_default(fake):
    fake.route("GET", "instances/c1", RUNNING)
    recorded_exec(fake, 0, b"", b"")
    plugin = connection()
    plugin.exec_command("true")
    assert plugin.get_option("remote_user") == "root"
    command = fake.requested("POST", "instances/c1/exec")[0].json
    assert not set(command) & {"user", "group", "cwd"}
    assert fake.requested("GET", "instances/c1/files") == []


def test_an_unknown_user_fails_the_connection_naming_it_and_runs_nothing(fake):
    fake.route("GET", "instances/c1", RUNNING)
    fake.route("GET", "instances/c1/files", body(PASSWD, headers={"X-LXD-type": "file"}))
    with pytest.raises(AnsibleConnectionFailure, match="remote_user bob \\(ansible_user\\) does not exist in instance c1"):
        connection(ansible_user="bob").exec_command("true")
    assert fake.requested("POST", "instances/c1/exec") == []


def test_files_and_input_are_owned_by_the_user(fake, tmp_path):
    as_alice(fake)
    source = tmp_path / "module.py"
    source.write_bytes(b"print(1)\n")
    plugin = connection(ansible_user="alice")
    plugin.put_file(str(source), "/home/alice/.ansible/tmp/module.py")
    plugin.exec_command("/usr/bin/python3", in_data=b"print(2)")
    put, stdin = fake.requested("POST", "instances/c1/files")
    assert (put.headers["X-LXD-uid"], put.headers["X-LXD-gid"]) == (stdin.headers["X-LXD-uid"], stdin.headers["X-LXD-gid"]) == ("1000", "1001")


def test_fetch_as_a_user_refuses_what_the_user_cannot_read(fake, tmp_path):
    as_alice(fake)
    recorded_exec(fake, 1, b"", b"")
    with pytest.raises(AnsibleConnectionFailure, match="fetching /etc/shadow from c1 failed: alice cannot read it"):
        connection(ansible_user="alice").fetch_file("/etc/shadow", str(tmp_path / "shadow"))
    assert fake.requested("POST", "instances/c1/exec")[0].json["command"] == ["test", "-r", "/etc/shadow"]
    assert not (tmp_path / "shadow").exists()


def become(plugin, method, password=None):
    """Give the plugin a become plugin as Ansible's task executor does, its command built."""
    from ansible.plugins.loader import become_loader, shell_loader

    escalation = become_loader.get(method)
    escalation.set_options(direct={"become_pass": password} if password else {})
    escalation.build_become_command("id", shell_loader.get("sh"))
    plugin.set_become_plugin(escalation)
    return plugin


@pytest.mark.parametrize("method", ["sudo", "su"])
def test_a_become_password_is_the_first_line_of_standard_input(fake, method):
    as_alice(fake)
    plugin = become(connection(ansible_user="alice"), method, password="s3cret")
    plugin.exec_command("sudo -S -p prompt id")
    plugin.exec_command("sudo -S -p prompt /usr/bin/python3", in_data=b"payload")
    assert [request.data for request in fake.requested("POST", "instances/c1/files")] == [b"s3cret\n", b"s3cret\npayload"]


def test_no_password_line_without_a_become_password_or_for_unsudoable_commands(fake):
    as_alice(fake)
    become(connection(ansible_user="alice"), "sudo").exec_command("sudo -n id")
    as_alice(fake)  # a new connection reads /etc/passwd again
    become(connection(ansible_user="alice"), "sudo", password="s3cret").exec_command("mkdir -p ~/.ansible/tmp", sudoable=False)
    assert fake.requested("POST", "instances/c1/files") == []


@pytest.mark.parametrize("host_vars, enabled", [
    ({"ansible_pipelining": False}, False),
    ({"ansible_pipelining": True}, True),
    ({}, False),  # Ansible's default
])
def test_ansible_pipelining_decides_pipelining(host_vars, enabled):
    # The option every supported ansible-core reads to decide (2.17+ through is_pipelining_enabled).
    assert connection(**host_vars).get_option("pipelining") is enabled


def test_ansible_pipelining_from_the_environment(monkeypatch):
    monkeypatch.setenv("ANSIBLE_PIPELINING", "1")
    assert connection().get_option("pipelining") is True
    assert connection(ansible_pipelining=False).get_option("pipelining") is False


def test_ansible_lxd_host_names_the_instance_and_ansible_lxd_instance_wins(fake):
    assert connection(ansible_lxd_host="legacy-01").get_option("instance") == "legacy-01"
    assert connection(ansible_lxd_host="legacy-01", ansible_lxd_instance="c1").get_option("instance") == "c1"


def test_lxd_become_method_warns_that_it_does_not_apply(fake, monkeypatch):
    from ansible_collections.lxdkit.lxd.plugins.connection import lxd

    warnings = []
    monkeypatch.setattr(lxd.display, "warning", warnings.append)
    fake.route("GET", "instances/c1", RUNNING)
    connection(lxd_become_method="/bin/su")._connect()
    assert len(warnings) == 1 and "lxd_become_method does not apply" in warnings[0] and "become" in warnings[0]


def lxc_config(tmp_path, monkeypatch):
    """An lxc client configuration with the remote lab (certificates beside it) and an image server."""
    (tmp_path / "servercerts").mkdir()
    (tmp_path / "servercerts" / "lab.crt").write_text("server")
    (tmp_path / "client.crt").write_text("cert")
    (tmp_path / "client.key").write_text("key")
    (tmp_path / "config.yml").write_text(
        "default-remote: local\nremotes:\n"
        "  lab: {addr: 'https://10.99.0.5:8443', protocol: lxd, public: false}\n"
        "  images: {addr: 'https://images.example.com', protocol: simplestreams, public: true}\n")
    monkeypatch.setenv("LXD_CONF", str(tmp_path))


def test_ansible_lxd_remote_reads_the_lxc_client_s_remote(tmp_path, monkeypatch):
    lxc_config(tmp_path, monkeypatch)
    options = connection(ansible_lxd_remote="lab")._client_options()
    assert (options("url"), options("server_cert"), options("client_cert"), options("client_key"), options("project")) == (
        "https://10.99.0.5:8443", str(tmp_path / "servercerts" / "lab.crt"), str(tmp_path / "client.crt"),
        str(tmp_path / "client.key"), "default")
    # Certificates given for the host win over those beside the remote.
    assert connection(ansible_lxd_remote="lab", ansible_lxd_client_cert="/srv/mine.crt")._client_options()("client_cert") == "/srv/mine.crt"


@pytest.mark.parametrize("host_vars, message", [
    ({"ansible_lxd_remote": "nowhere"}, "ansible_lxd_remote nowhere is not a remote of .*config.yml; known: images, lab"),
    ({"ansible_lxd_remote": "images"}, "ansible_lxd_remote images is a simplestreams image server"),
    ({"ansible_lxd_remote": "lab", "ansible_lxd_url": "https://other:8443"}, "give ansible_lxd_remote \\(lab\\) or ansible_lxd_url"),
])
def test_a_remote_that_cannot_be_used_fails_naming_it(tmp_path, monkeypatch, host_vars, message):
    lxc_config(tmp_path, monkeypatch)
    with pytest.raises(AnsibleConnectionFailure, match=message):
        connection(**host_vars)._client_options()


def test_the_local_remote_is_the_connection_options(fake):
    options = connection(ansible_lxd_remote="local", ansible_lxd_url="unix:/srv/lxd.socket")._client_options()
    assert options("url") == "unix:/srv/lxd.socket"
