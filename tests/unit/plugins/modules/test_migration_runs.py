# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_instance_migration and lxd_image's copy on two fake LXD servers: the requests each
mode sends to each server, idempotency, and refusals that write nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
from unittest import mock

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _client, _migration
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import HttpConnectionLost
from ansible_collections.lxdkit.lxd.plugins.modules import lxd_image, lxd_instance_migration
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import (
    SERVER,
    Answer,
    FakeLxd,
    body,
    error,
    operation,
    patch_module_args,
    raises,
    sync,
    writes,
)

EXTENSIONS = ["projects", "instances", "container_push", "container_push_target", "container_only_migration",
              "container_incremental_copy", "images_push_relay"]
LOCAL = "unix:/var/lib/lxd/unix.socket"  # no core.https_address: reachable through its socket only
REMOTE = "https://10.247.0.2:8443"


def server(name, addresses):
    return dict(SERVER, api_extensions=EXTENSIONS,
                environment=dict(SERVER["environment"], server_name=name, addresses=addresses, certificate="%s-PEM" % name,
                                 certificate_fingerprint=hashlib.sha256(name.encode()).hexdigest()))


def local_server():
    return FakeLxd(server=server("local", []))


def remote_server():
    return FakeLxd(server=server("remote", ["10.247.0.2:8443"]))


@contextlib.contextmanager
def serving(servers):
    """Every LxdClient made inside reaches the fake of its url (``servers``: url -> FakeLxd)."""

    class Transport:
        def __new__(cls, path, timeout):
            fake = servers[path[len("fake:"):]]
            fake.opened.append((path, timeout))
            return fake

    def resolve_endpoint(url, snap_url=None):
        return "fake:" + url, url  # a "socket path" that names the url: the fake transport goes by it

    with mock.patch.object(_client, "UnixHttp", Transport), mock.patch.object(_client, "resolve_endpoint", resolve_endpoint):
        yield


def run(module, capsys, servers, check_mode=False, **args):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
    with serving(servers), patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def instance(name="c1", status="Stopped", **extra):
    return dict(dict(
        name=name, status=status, type="container", architecture="x86_64", description="web", ephemeral=False, stateful=False,
        profiles=["default"],
        config={"limits.cpu": "1", "volatile.base_image": "f" * 64, "volatile.uuid": "uuid-1", "volatile.eth0.hwaddr": "00:16:3e:00:00:01",
                "volatile.last_state.power": "STOPPED"},
        devices={"root": {"type": "disk", "path": "/", "pool": "default"}}), **extra)


def destination_ready(fake):
    """The destination has the default profile and pool."""
    fake.route("GET", "profiles/default", sync({"name": "default"}))
    fake.route("GET", "storage-pools/default", sync({"name": "default", "driver": "dir"}))
    return fake


def copied(name="c1", marker=True, **extra):
    made = instance(name, **extra)
    made["config"] = {"limits.cpu": "1", "volatile.base_image": "f" * 64, "volatile.uuid": "uuid-2"}
    if marker:
        made["config"][_migration.MARKER] = _migration.MARKER_VALUE
    return made


SECRETS = {"control": "secret-control", "fs": "secret-fs"}


def started(op_id, metadata):
    """202 with an operation whose wait endpoint the test routes itself."""
    return Answer(status=202, document={"type": "async", "status": "Operation created", "status_code": 100,
                                        "operation": "/1.0/operations/" + op_id, "error_code": 0, "error": "",
                                        "metadata": {"id": op_id, "status": "Running", "metadata": metadata}})


# -- push, pull, relay ------------------------------------------------------------------------


def recording_relay(relays):
    """A stand-in for ``_migration.Relay`` that records, in ``relays``, the operations and
    secrets it is started with and its closing, instead of joining real websockets."""
    class RecordingRelay:
        def start(self, *args):
            relays.append(["start", args[1], args[2], args[4], args[5]])
            return self

        def close(self):
            relays.append(["close"])

    return RecordingRelay


def test_push_creates_at_the_destination_then_the_source_connects_to_its_operation(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation())
    destination.route("GET", "instances/c1", error(404, "not found"), sync(copied()), sync(copied(marker=False)))
    destination.route("POST", "instances", operation(SECRETS, op_id="dest-op"))
    destination.route("PUT", "instances/c1", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1", mode="push")
    assert result["changed"] is True and result["actions"] == ["copy"] and result["mode"] == "push"
    created = destination.requested("POST", "instances")[0].json
    assert created["source"] == {"type": "migration", "mode": "push", "instance_only": False, "container_only": False,
                                 "refresh": False, "base-image": "f" * 64}
    # A copy gets new volatile keys but keeps volatile.base_image, and carries the marker until done.
    assert created["config"] == {"limits.cpu": "1", "volatile.base_image": "f" * 64, _migration.MARKER: "incomplete"}
    assert (created["name"], created["architecture"], created["profiles"], created["stateful"]) == ("c1", "x86_64", ["default"], False)
    assert source.requested("POST", "instances/c1")[0].json == {
        "migration": True, "live": False, "instance_only": False, "container_only": False,
        "target": {"operation": REMOTE + "/1.0/operations/dest-op", "secrets": SECRETS, "certificate": "remote-PEM"}}
    finished = destination.requested("PUT", "instances/c1")[0].json["config"]
    assert finished == {"limits.cpu": "1", "volatile.base_image": "f" * 64, "volatile.uuid": "uuid-2"}
    assert writes(source) == ["POST instances/c1"]
    assert result["instance"]["config"].get(_migration.MARKER) is None and result["old_state"] == "absent"
    assert result["diff"]["before"] == {}


def test_pull_has_the_destination_connect_to_the_source_operation(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation(SECRETS, op_id="src-op"))
    destination.route("GET", "instances/c2", error(404, "not found"), sync(copied("c2")), sync(copied("c2", marker=False)))
    destination.route("POST", "instances", operation())
    destination.route("PUT", "instances/c2", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE,
                 name="c2", source_name="c1", instance_only=True)
    assert result["changed"] is True and result["mode"] == "pull"
    offered = source.requested("POST", "instances/c1")[0].json
    assert offered == {"migration": True, "live": False, "instance_only": True, "container_only": True}
    created = destination.requested("POST", "instances")[0].json
    assert created["name"] == "c2"
    assert created["source"] == {"type": "migration", "mode": "pull", "instance_only": True, "container_only": True, "refresh": False,
                                 "base-image": "f" * 64, "operation": REMOTE + "/1.0/operations/src-op",
                                 "certificate": "remote-PEM", "secrets": SECRETS}


def test_relay_joins_the_websockets_of_both_operations(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation(SECRETS, op_id="src-op"))
    destination.route("GET", "instances/c1", error(404, "not found"), sync(copied()), sync(copied(marker=False)))
    destination.route("POST", "instances", operation({"control": "d-control", "fs": "d-fs"}, op_id="dest-op"))
    destination.route("PUT", "instances/c1", operation())
    relays = []
    with mock.patch.object(_migration, "Relay", recording_relay(relays)):
        result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE,
                     name="c1", mode="relay")
    assert result["changed"] is True
    assert "target" not in source.requested("POST", "instances/c1")[0].json
    assert destination.requested("POST", "instances")[0].json["source"]["mode"] == "push"
    assert relays == [["start", "src-op", SECRETS, "dest-op", {"control": "d-control", "fs": "d-fs"}], ["close"]]


def test_the_destination_project_is_project_and_the_source_project_source_project(capsys):
    source, destination = local_server(), remote_server()
    source.projects.add("dev")
    destination.projects.add("web")
    source.route("GET", "instances/c1", sync(instance()), project="dev")
    source.route("POST", "instances/c1", operation(), project="dev")
    destination.route("GET", "profiles/default", sync({"name": "default"}), project="web")
    destination.route("GET", "storage-pools/default", sync({"name": "default", "driver": "dir"}))
    destination.route("GET", "instances/c1", error(404, "not found"), sync(copied()), sync(copied(marker=False)), project="web")
    destination.route("POST", "instances", operation(SECRETS, op_id="dest-op"), project="web")
    destination.route("PUT", "instances/c1", operation(), project="web")
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1",
                 mode="push", project="web", source_project="dev")
    assert result["changed"] is True
    assert [request.project for request in destination.requests if request.method != "GET"] == ["web", "web"]
    assert [request.project for request in source.requests if request.method != "GET"] == ["dev"]


# -- refusals before anything changes ---------------------------------------------------------


def test_pull_from_a_server_without_network_address_is_refused_naming_push(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    source.route("GET", "instances/c1", sync(instance()))
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1")
    assert result["failed"] is True
    assert result["msg"].startswith("mode=pull: the source LXD at %s does not listen on the network" % LOCAL)
    assert "Use mode=push (the destination listens on %s), or mode=relay" % REMOTE in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_push_to_a_server_without_network_address_is_refused_naming_pull(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1", mode="push")
    assert "mode=push: the destination LXD at %s does not listen on the network" % LOCAL in result["msg"]
    assert "Use mode=pull (the source listens on %s)" % REMOTE in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_a_running_source_needs_stateless_and_no_live_migration_is_asked(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance(status="Running")))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved")
    assert result["failed"] is True and "live migration (CRIU)" in result["msg"] and "stateless=true" in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_a_running_ephemeral_instance_is_not_stopped_for_a_move(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance(status="Running", ephemeral=True)))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved", stateless=True)
    assert "ephemeral" in result["msg"] and writes(source) == [] and writes(destination) == []


def test_missing_profiles_and_pool_at_the_destination_are_named(capsys):
    source, destination = remote_server(), local_server()
    source.route("GET", "instances/c1", sync(instance(profiles=["default", "web"])))
    destination.route("GET", "profiles/default", sync({"name": "default"}))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1")
    assert result["msg"].startswith("profiles: web not at the destination LXD at %s (project default)" % LOCAL)
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 profiles=["default"], storage_pool="fast")
    assert result["msg"].startswith("storage_pool: storage pool 'fast' does not exist")
    assert writes(source) == [] and writes(destination) == []


def test_the_same_server_on_both_sides_is_refused(capsys):
    fake = local_server()
    result = run(lxd_instance_migration, capsys, {LOCAL: fake, "unix:/var/lib/lxd/other.socket": fake}, url=LOCAL,
                 source_url="unix:/var/lib/lxd/other.socket", name="c1")
    assert "reaches the same LXD server as url" in result["msg"] and writes(fake) == []


def test_a_move_onto_an_unrelated_destination_is_refused(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    destination.route("GET", "instances/c1", sync(copied(marker=False)))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved")
    assert "is not a copy of it (another volatile.uuid)" in result["msg"] and writes(source) == [] and writes(destination) == []


# -- idempotency and check mode ---------------------------------------------------------------


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_existing_destination_is_left_alone(capsys, check_mode):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    destination.route("GET", "instances/c1", sync(copied(marker=False)))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, check_mode=check_mode, url=LOCAL,
                 source_url=REMOTE, name="c1")
    assert result["changed"] is False and result["actions"] == [] and result["instance"]["name"] == "c1"
    assert writes(source) == [] and writes(destination) == []


def test_a_finished_move_is_no_change(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    destination.route("GET", "instances/c1", sync(copied(marker=False)))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved")
    assert result["changed"] is False and result["source_old_state"] == "absent" and writes(destination) == []


def test_check_mode_says_what_a_stateless_move_would_do_and_writes_nothing(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance(status="Running")))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, check_mode=True, url=LOCAL, source_url=REMOTE,
                 name="c1", state="moved", stateless=True)
    assert result["changed"] is True and result["actions"] == ["stop source", "copy", "delete source", "start"]
    assert result["instance"]["status"] == "Running" and _migration.MARKER not in result["instance"]["config"]
    assert writes(source) == [] and writes(destination) == []


# -- moves ------------------------------------------------------------------------------------


def test_a_stateless_move_stops_copies_keeps_volatile_keys_deletes_and_starts(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance(status="Running")))
    source.route("PUT", "instances/c1/state", operation())
    source.route("POST", "instances/c1", operation(SECRETS))
    source.route("DELETE", "instances/c1", operation())
    destination.route("GET", "instances/c1", error(404, "not found"), sync(copied()), sync(copied(marker=False, status="Running")))
    destination.route("POST", "instances", operation())
    destination.route("PUT", "instances/c1", operation())
    destination.route("PUT", "instances/c1/state", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved", stateless=True, force_stop=True)
    assert result["actions"] == ["stop source", "copy", "delete source", "start"]
    assert writes(source) == ["PUT instances/c1/state", "POST instances/c1", "DELETE instances/c1"]
    assert source.requested("PUT", "instances/c1/state")[0].json == {"action": "stop", "timeout": 60, "force": True}
    # A move keeps the identity (volatile.uuid, MAC), never the power state key.
    assert destination.requested("POST", "instances")[0].json["config"] == {
        "limits.cpu": "1", "volatile.base_image": "f" * 64, "volatile.uuid": "uuid-1", "volatile.eth0.hwaddr": "00:16:3e:00:00:01",
        _migration.MARKER: "incomplete"}
    assert destination.requested("PUT", "instances/c1/state")[0].json == {"action": "start", "timeout": 60}
    assert result["instance"]["status"] == "Running"


def test_a_failed_stateless_move_starts_the_source_again_and_deletes_nothing_there(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance(status="Running")))
    source.route("PUT", "instances/c1/state", operation())
    source.route("POST", "instances/c1", operation(SECRETS))
    destination.route("GET", "instances/c1", error(404, "not found"))
    destination.route("POST", "instances", operation(err="Error transferring instance data: websocket: close 1006"))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved", stateless=True)
    assert result["failed"] is True
    assert "copy of instance c1 (mode=pull) failed; destination (%s): LXD failed POST instances: Error transferring" % LOCAL in result["msg"]
    assert result["msg"].endswith("; the source instance is unchanged; the source instance was started again")
    assert [request.json["action"] for request in source.requested("PUT", "instances/c1/state")] == ["stop", "start"]
    assert "DELETE instances/c1" not in writes(source) and writes(destination) == ["POST instances"]
    assert result["destination_error"].startswith("LXD failed POST instances")


def test_a_half_finished_move_is_refreshed_then_the_source_deleted(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation(SECRETS))
    source.route("DELETE", "instances/c1", operation())
    moved = dict(copied(marker=False), config={"volatile.uuid": "uuid-1"})
    destination.route("GET", "instances/c1", sync(moved))
    destination.route("POST", "instances", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 state="moved")
    assert result["actions"] == ["refresh", "delete source"]
    assert destination.requested("POST", "instances")[0].json["source"]["refresh"] is True
    assert writes(destination) == ["POST instances"]  # no marker to drop: the instance was there


# -- refresh and leftovers --------------------------------------------------------------------


def test_refresh_runs_an_incremental_copy_onto_the_existing_destination(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation(SECRETS))
    destination.route("GET", "instances/c1", sync(copied(marker=False, profiles=["default"])))
    destination.route("POST", "instances", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 refresh=True)
    assert result["changed"] is True and result["actions"] == ["refresh"]
    created = destination.requested("POST", "instances")[0].json
    assert created["source"]["refresh"] is True and _migration.MARKER not in created["config"]
    assert created["config"]["volatile.uuid"] == "uuid-2"  # the destination as it is: LXD keeps it
    assert writes(destination) == ["POST instances"]


def test_a_running_destination_is_not_refreshed(capsys):
    source, destination = remote_server(), destination_ready(local_server())
    source.route("GET", "instances/c1", sync(instance()))
    destination.route("GET", "instances/c1", sync(copied(marker=False, status="Running")))
    result = run(lxd_instance_migration, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="c1",
                 refresh=True)
    assert "LXD refreshes only a stopped instance" in result["msg"] and writes(destination) == [] and writes(source) == []


def test_a_half_made_destination_is_deleted_and_copied_again(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation())
    destination.route("GET", "instances/c1", sync(copied()), sync(copied()), sync(copied(marker=False)))
    destination.route("DELETE", "instances/c1", operation())
    destination.route("POST", "instances", operation(SECRETS, op_id="dest-op"))
    destination.route("PUT", "instances/c1", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1",
                 mode="push")
    assert result["actions"] == ["delete half-made copy", "copy"]
    assert writes(destination) == ["DELETE instances/c1", "POST instances", "PUT instances/c1"]


def test_a_half_made_destination_without_its_source_is_kept(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    destination.route("GET", "instances/c1", sync(copied()))
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1",
                 mode="push")
    assert "is a half-made copy" in result["msg"] and "left as it is" in result["msg"] and writes(destination) == []


def test_a_destination_lost_during_the_copy_leaves_the_source_and_says_a_rerun_cleans_up(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", operation(err="Error transferring instance data: write: broken pipe"))
    destination.route("GET", "instances/c1", error(404, "not found"), raises(HttpConnectionLost("ConnectionRefusedError")))
    destination.route("POST", "instances", started("dest-op", SECRETS))
    destination.route("GET", "operations/dest-op/wait", raises(HttpConnectionLost("ConnectionRefusedError")))
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1",
                 mode="push")
    assert result["failed"] is True
    assert "source (%s): LXD failed POST instances/c1: Error transferring instance data: write: broken pipe" % LOCAL in result["msg"]
    assert "destination (%s): lost the connection to LXD" % REMOTE in result["msg"]
    assert "the source instance is unchanged; the destination could not be checked for a half-made copy" in result["msg"]
    assert writes(source) == ["POST instances/c1"]


def test_a_failed_push_leaves_no_half_made_destination(capsys):
    source, destination = local_server(), destination_ready(remote_server())
    source.route("GET", "instances/c1", sync(instance()))
    source.route("POST", "instances/c1", error(500, "Unable to connect to: 10.247.0.2:8443"))
    # LXD gave up waiting for the source but (as when its daemon died) left the instance behind.
    destination.route("GET", "instances/c1", error(404, "not found"), sync(copied()))
    destination.route("POST", "instances", operation(SECRETS, op_id="dest-op", err="Timed out waiting for migration connections"))
    destination.route("DELETE", "instances/c1", operation())
    result = run(lxd_instance_migration, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="c1",
                 mode="push")
    assert result["msg"].endswith("the source instance is unchanged; the half-made copy at the destination was deleted")
    assert writes(destination) == ["POST instances", "DELETE instances/c1"]


# -- images -----------------------------------------------------------------------------------

FINGERPRINT = "a" * 64
IMAGE = {"fingerprint": FINGERPRINT, "aliases": [{"name": "busybox", "description": ""}], "properties": {"os": "busybox"},
         "public": False, "auto_update": False}


def test_image_pull_uses_a_secret_of_the_source_and_copies_its_aliases(capsys):
    source, destination = remote_server(), local_server()
    source.route("GET", "images/aliases/busybox", sync({"name": "busybox", "target": FINGERPRINT}))
    source.route("GET", "images/" + FINGERPRINT, sync(IMAGE))
    source.route("POST", "images/%s/secret" % FINGERPRINT, operation({"secret": "s3cret"}, op_id="token"))
    destination.route("GET", "images/" + FINGERPRINT, error(404, "not found"), sync(dict(IMAGE, aliases=[])),
                      sync(IMAGE))
    destination.route("POST", "images", operation())
    destination.route("POST", "images/aliases", sync(None))
    result = run(lxd_image, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, aliases=["busybox", "bb"])
    assert result["changed"] is True and result["actions"] == ["copy", "alias busybox", "alias bb"]
    assert destination.requested("POST", "images")[0].json == {
        "source": {"type": "image", "mode": "pull", "server": REMOTE, "protocol": "lxd", "certificate": "remote-PEM",
                   "fingerprint": FINGERPRINT, "secret": "s3cret", "project": "default"},
        "public": False, "auto_update": False, "aliases": []}
    assert [request.json["name"] for request in destination.requested("POST", "images/aliases")] == ["busybox", "bb"]


def test_image_push_hands_the_destination_token_to_the_source(capsys):
    source, destination = local_server(), remote_server()
    source.route("GET", "images/" + FINGERPRINT, sync(IMAGE))
    source.route("POST", "images/%s/export" % FINGERPRINT, operation())
    destination.route("GET", "images/" + FINGERPRINT, error(404, "not found"), sync(dict(IMAGE, aliases=[])))
    destination.route("POST", "images", operation({"secret": "token-secret", "fingerprint": FINGERPRINT}, op_id="token"))
    destination.route("GET", "images/aliases/busybox", error(404, "not found"), sync({"name": "busybox", "target": FINGERPRINT}))
    destination.route("POST", "images/aliases", sync(None))
    result = run(lxd_image, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, fingerprint=FINGERPRINT,
                 mode="push")
    assert result["actions"] == ["copy", "alias busybox"]
    assert destination.requested("POST", "images")[0].json == {"source": {"fingerprint": FINGERPRINT, "mode": "push"}, "aliases": [],
                                                               "properties": {"os": "busybox"}, "public": False}
    assert source.requested("POST", "images/%s/export" % FINGERPRINT)[0].json == {
        "target": REMOTE, "certificate": "remote-PEM", "secret": "token-secret", "aliases": [], "project": "default"}
    assert "DELETE operations/token" in writes(destination)


def test_image_relay_downloads_checks_and_uploads(capsys):
    content = b"a unified image tarball"
    fingerprint = hashlib.sha256(content).hexdigest()
    image = dict(IMAGE, fingerprint=fingerprint, aliases=[], properties={})
    source, destination = local_server(), local_server()
    source.route("GET", "images/" + fingerprint, sync(image))
    source.route("GET", "images/%s/export" % fingerprint, body(content, headers={"Content-Type": "application/octet-stream"}))
    destination.route("GET", "images/" + fingerprint, error(404, "not found"), sync(image))
    destination.route("POST", "images", operation({"fingerprint": fingerprint}))
    other = "unix:/var/lib/lxd-other/unix.socket"
    destination.server = server("other", [])
    result = run(lxd_image, capsys, {LOCAL: source, other: destination}, url=other, source_url=LOCAL, fingerprint=fingerprint,
                 mode="relay")
    assert result["actions"] == ["copy"]
    assert destination.requested("POST", "images")[0].data == content


def test_image_the_destination_has_is_not_copied_again(capsys):
    source, destination = remote_server(), local_server()
    source.route("GET", "images/" + FINGERPRINT, sync(IMAGE))
    destination.route("GET", "images/" + FINGERPRINT, sync(IMAGE))
    destination.route("GET", "images/aliases/busybox", sync({"name": "busybox", "target": FINGERPRINT}))
    result = run(lxd_image, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, fingerprint=FINGERPRINT)
    assert result["changed"] is False and writes(destination) == [] and writes(source) == []


def test_image_pull_from_a_server_without_network_address_is_refused(capsys):
    source, destination = local_server(), remote_server()
    source.route("GET", "images/" + FINGERPRINT, sync(IMAGE))
    result = run(lxd_image, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, fingerprint=FINGERPRINT)
    assert result["msg"].startswith("mode=pull: the source LXD at %s does not listen on the network" % LOCAL)
    assert "Use mode=push (the destination listens on %s)" % REMOTE in result["msg"]
    assert writes(destination) == [] and writes(source) == []


def test_image_copy_needs_state_present(capsys):
    source, destination = remote_server(), local_server()
    result = run(lxd_image, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, fingerprint=FINGERPRINT,
                 state="absent")
    assert result["msg"] == "source_url copies an image to this server: it needs state=present, not absent"
