# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_exec: the users of an instance and commands run as one of them, against the fake LXD."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._exec import account, file_kind, run
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, body, error, operation, sync

PASSWD = (b"root:x:0:0:root:/root:/bin/bash\n"
          b"# a comment line\n"
          b"broken:x:notanumber:1:::\n"
          b"svc:x:998:998::/:\n"
          b"alice:x:1000:1001:Alice:/home/alice:/bin/bash\n")


def fake_with_passwd():
    fake = FakeLxd()
    fake.route("GET", "instances/c1/files", body(PASSWD, headers={"X-LXD-type": "file"}))
    return fake


def test_account_reads_ids_home_and_shell_from_etc_passwd():
    alice = account(fake_with_passwd().client(), "c1", "alice")
    assert (alice.uid, alice.gid, alice.home, alice.shell) == (1000, 1001, "/home/alice", "/bin/bash")
    assert alice.environment == {"HOME": "/home/alice", "USER": "alice", "LOGNAME": "alice", "SHELL": "/bin/bash"}


def test_account_of_a_user_without_a_shell_gets_sh_and_malformed_lines_are_no_users():
    fake = fake_with_passwd()
    assert account(fake.client(), "c1", "svc").shell == "/bin/sh"
    assert account(fake.client(), "c1", "broken") is None
    assert account(fake.client(), "c1", "nobody") is None


def test_file_kind_of_a_directory_and_of_nothing():
    fake = FakeLxd()
    fake.route("GET", "instances/c1/files", body(b"{}", headers={"X-LXD-type": "directory"}), error(404, "not found"))
    client = fake.client()
    assert file_kind(client, "c1", "/home/alice") == "directory"
    assert file_kind(client, "c1", "/home/gone") is None


def test_run_as_a_user_sends_its_ids_cwd_and_environment_with_the_caller_s_on_top():
    fake = fake_with_passwd()
    fake.route("POST", "instances/c1/exec", operation({"return": 0, "output": {}}))
    client = fake.client()
    alice = account(client, "c1", "alice")
    assert run(client, "c1", ["id"], user=alice, cwd="/home/alice", environment={"LANG": "C.UTF-8", "HOME": "/tmp"}) == (0, b"", b"")
    command = fake.requested("POST", "instances/c1/exec")[0].json
    assert (command["user"], command["group"], command["cwd"]) == (1000, 1001, "/home/alice")
    assert command["environment"] == {"HOME": "/tmp", "USER": "alice", "LOGNAME": "alice", "SHELL": "/bin/bash", "LANG": "C.UTF-8"}


def test_run_as_root_leaves_user_group_and_cwd_to_lxd():
    fake = FakeLxd()
    fake.route("POST", "instances/c1/exec", operation({"return": 0, "output": {}}))
    fake.route("POST", "instances/c1/files", sync())
    run(fake.client(), "c1", ["cat"], stdin=b"x")
    command = fake.requested("POST", "instances/c1/exec")[0].json
    assert not set(command) & {"user", "group", "cwd"}
    assert fake.requested("POST", "instances/c1/files")[0].headers["X-LXD-uid"] == "0"
