# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_storage_volume copying and moving custom volumes from another LXD server, on two fake
servers: the requests each mode sends to each side, the marker, moves by the rename rule,
refresh, and refusals that write nothing."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _migration
from ansible_collections.lxdkit.lxd.plugins.modules import lxd_storage_volume
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import error, operation, sync, writes
from ansible_collections.lxdkit.lxd.tests.unit.plugins.modules.test_migration_runs import (
    LOCAL,
    REMOTE,
    SECRETS,
    local_server,
    recording_relay,
    remote_server,
    run,
)

VOLUMES = "storage-pools/default/volumes/custom"
SOURCE_VOLUMES = "storage-pools/slow/volumes/custom"
MARKER = _migration.MARKER


def volume(name="data", config=None, **extra):
    return dict(dict(name=name, type="custom", description="shared", content_type="filesystem",
                     config={"size": "1GiB"} if config is None else config, used_by=[], location="none"), **extra)


def with_pools(fake, *names):
    for name in names:
        fake.route("GET", "storage-pools/" + name, sync({"name": name, "driver": "dir"}))
    return fake


def copied(marker):
    config = {"size": "1GiB"}
    if marker:
        config[MARKER] = _migration.MARKER_VALUE
    return volume(config=config)


def volume_extensions(fake):
    fake.server = dict(fake.server, api_extensions=fake.server["api_extensions"] + [
        "storage_api_remote_volume_handling", "storage_api_remote_volume_snapshots", "custom_volume_refresh"])
    return fake


def servers(source_fake, destination_fake, source_pool="slow"):
    return volume_extensions(with_pools(source_fake, source_pool)), volume_extensions(with_pools(destination_fake, "default"))


# -- push, pull, relay ------------------------------------------------------------------------


def test_push_creates_here_with_the_marker_and_the_source_connects_then_the_marker_goes(capsys):
    source, destination = servers(local_server(), remote_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation())
    destination.route("GET", VOLUMES + "/data", error(404, "not found"), sync(copied(marker=True)), sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation(SECRETS, op_id="dest-op"))
    destination.route("PUT", VOLUMES + "/data", sync(None))
    result = run(lxd_storage_volume, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL,
                 name="data", pool="default", source="slow/data", mode="push")
    assert result["changed"] is True and result["actions"] == ["copy"]
    assert destination.requested("POST", VOLUMES)[0].json == {
        "name": "data", "type": "custom", "description": "shared", "content_type": "filesystem",
        "config": {"size": "1GiB", MARKER: "incomplete"},
        "source": {"type": "migration", "mode": "push", "volume_only": False, "refresh": False}}
    assert source.requested("POST", SOURCE_VOLUMES + "/data")[0].json == {
        "migration": True, "name": "data", "pool": "slow", "volume_only": False,
        "target": {"operation": REMOTE + "/1.0/operations/dest-op", "secrets": SECRETS, "certificate": "remote-PEM"}}
    assert destination.requested("PUT", VOLUMES + "/data")[0].json == {"config": {"size": "1GiB"}, "description": "shared"}
    assert writes(source) == ["POST " + SOURCE_VOLUMES + "/data"]
    assert writes(destination) == ["POST " + VOLUMES, "PUT " + VOLUMES + "/data"]
    assert result["storage_volume"]["config"] == {"size": "1GiB"} and result["storage_volume"]["pool"] == "default"
    assert result["diff"]["before"] == {} and result["diff"]["after"]["name"] == "data"


def test_pull_has_this_server_connect_to_the_source_operation_without_snapshots(capsys):
    source, destination = servers(remote_server(), local_server(), source_pool="default")
    source.route("GET", VOLUMES + "/data", sync(volume()))
    source.route("POST", VOLUMES + "/data", operation(SECRETS, op_id="src-op"))
    destination.route("GET", VOLUMES + "/copy", error(404, "not found"), sync(copied(marker=True)), sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation())
    destination.route("PUT", VOLUMES + "/copy", sync(None))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE,
                 name="copy", pool="default", source="data", volume_only=True, config={"size": "2GiB"})
    assert result["changed"] is True
    assert source.requested("POST", VOLUMES + "/data")[0].json == {"migration": True, "name": "data", "pool": "default", "volume_only": True}
    created = destination.requested("POST", VOLUMES)[0].json
    assert created["name"] == "copy" and created["config"] == {"size": "2GiB", MARKER: "incomplete"}
    assert created["source"] == {"type": "migration", "mode": "pull", "volume_only": True, "refresh": False,
                                 "operation": REMOTE + "/1.0/operations/src-op", "certificate": "remote-PEM", "secrets": SECRETS}


def test_relay_joins_the_websockets_of_both_operations(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation(SECRETS, op_id="src-op"))
    destination.route("GET", VOLUMES + "/data", error(404, "not found"), sync(copied(marker=True)), sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation({"control": "d-control", "fs": "d-fs"}, op_id="dest-op"))
    destination.route("PUT", VOLUMES + "/data", sync(None))
    relays = []
    with mock.patch.object(_migration, "Relay", recording_relay(relays)):
        result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE,
                     name="data", pool="default", source="slow/data", mode="relay")
    assert result["changed"] is True
    assert "target" not in source.requested("POST", SOURCE_VOLUMES + "/data")[0].json
    assert destination.requested("POST", VOLUMES)[0].json["source"]["mode"] == "push"
    assert relays == [["start", "src-op", SECRETS, "dest-op", {"control": "d-control", "fs": "d-fs"}], ["close"]]


@pytest.mark.parametrize("check_mode", [False, True])
def test_an_existing_copy_is_left_alone(capsys, check_mode):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=False)))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, check_mode=check_mode, url=LOCAL,
                 source_url=REMOTE, name="data", pool="default", source="slow/data")
    assert result["changed"] is False and writes(source) == [] and writes(destination) == []


def test_check_mode_plans_the_copy_and_writes_nothing(capsys):
    source, destination = servers(local_server(), remote_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    result = run(lxd_storage_volume, capsys, {REMOTE: destination, LOCAL: source}, check_mode=True, url=REMOTE, source_url=LOCAL,
                 name="data", pool="default", source="slow/data", mode="push")
    assert result["changed"] is True and result["actions"] == ["copy"]
    assert result["storage_volume"]["config"] == {"size": "1GiB"} and MARKER not in result["storage_volume"]["config"]
    assert writes(source) == [] and writes(destination) == []


# -- moves ------------------------------------------------------------------------------------


def test_a_move_copies_then_deletes_the_source_and_a_finished_move_is_no_change(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation(SECRETS))
    source.route("DELETE", SOURCE_VOLUMES + "/data", sync(None))
    destination.route("GET", VOLUMES + "/data", error(404, "not found"), sync(copied(marker=True)), sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation())
    destination.route("PUT", VOLUMES + "/data", sync(None))
    servers_by_url = {REMOTE: source, LOCAL: destination}
    result = run(lxd_storage_volume, capsys, servers_by_url, url=LOCAL, source_url=REMOTE, name="data", pool="default", from_pool="slow")
    assert result["actions"] == ["copy", "delete source"]
    assert writes(source) == ["POST " + SOURCE_VOLUMES + "/data", "DELETE " + SOURCE_VOLUMES + "/data"]
    source.route("GET", SOURCE_VOLUMES + "/data", error(404, "not found"))
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=False)))
    again = run(lxd_storage_volume, capsys, servers_by_url, url=LOCAL, source_url=REMOTE, name="data", pool="default", from_pool="slow")
    assert again["changed"] is False and len(writes(source)) == 2


def test_a_move_onto_an_existing_volume_is_refused_unless_refresh(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation(SECRETS))
    source.route("DELETE", SOURCE_VOLUMES + "/data", sync(None))
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation())
    servers_by_url = {REMOTE: source, LOCAL: destination}
    result = run(lxd_storage_volume, capsys, servers_by_url, url=LOCAL, source_url=REMOTE, name="data", pool="default", from_pool="slow")
    assert "a volume of that name exists here already" in result["msg"] and "refresh=true" in result["msg"]
    assert writes(source) == [] and writes(destination) == []
    result = run(lxd_storage_volume, capsys, servers_by_url, url=LOCAL, source_url=REMOTE, name="data", pool="default", from_pool="slow",
                 refresh=True)
    assert result["actions"] == ["refresh", "delete source"]
    created = destination.requested("POST", VOLUMES)[0].json
    assert created["source"]["refresh"] is True and MARKER not in created["config"]
    assert writes(destination) == ["POST " + VOLUMES]  # no marker to drop: the volume was there


def test_a_volume_in_use_at_the_source_is_not_moved(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume(used_by=["/1.0/instances/web"])))
    destination.route("GET", VOLUMES + "/data", error(404, "not found"))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="data",
                 pool="default", from_pool="slow")
    assert "is in use and a move deletes it there; first remove it from: /1.0/instances/web" in result["msg"]
    assert writes(source) == [] and writes(destination) == []


# -- refusals before anything changes ---------------------------------------------------------


def test_pull_from_a_server_without_network_address_is_refused_naming_push(capsys):
    source, destination = servers(local_server(), remote_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    result = run(lxd_storage_volume, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="data",
                 pool="default", from_pool="slow")
    assert result["msg"].startswith("mode=pull: the source LXD at %s does not listen on the network" % LOCAL)
    assert "Use mode=push (the destination listens on %s), or mode=relay" % REMOTE in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_push_to_a_server_without_network_address_is_refused_naming_pull(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="data",
                 pool="default", source="slow/data", mode="push")
    assert "mode=push: the destination LXD at %s does not listen on the network" % LOCAL in result["msg"]
    assert "Use mode=pull (the source listens on %s)" % REMOTE in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_a_server_without_the_volume_migration_extension_is_refused(capsys):
    source, destination = servers(remote_server(), local_server())
    destination.server = dict(destination.server, api_extensions=["projects"])
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="data",
                 pool="default", source="slow/data")
    assert "the destination LXD at %s lacks the API extension(s) storage_api_remote_volume_handling" % LOCAL in result["msg"]
    assert writes(source) == [] and writes(destination) == []


@pytest.mark.parametrize("args, message", [
    (dict(source="slow/data", from_pool="slow"), "source_url needs either source"),
    (dict(), "source_url needs either source"),
    (dict(source="slow/data", state="absent"), "it needs state=present, not absent"),
    (dict(source="slow/data", new_name="other"), "new_name is not for a copy or move from another server"),
    (dict(source="slow/data/x"), "source 'slow/data/x' must be VOLUME or POOL/VOLUME"),
    (dict(source="fast/data"), "source: storage pool 'fast' does not exist on LXD at %s" % REMOTE),
    (dict(source="slow/gone"), "source: the volume slow/gone on the source LXD at %s (project default) does not exist" % REMOTE),
    (dict(from_pool="slow", name="gone"), "and neither does volume default/gone here: nothing to move"),
])
def test_bad_requests_are_refused_before_anything_changes(capsys, args, message):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    args = dict(dict(name="data", pool="default", url=LOCAL, source_url=REMOTE), **args)
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, **args)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_the_same_server_on_both_sides_is_refused(capsys):
    fake = volume_extensions(with_pools(local_server(), "default"))
    result = run(lxd_storage_volume, capsys, {LOCAL: fake, "unix:/var/lib/lxd/other.socket": fake}, url=LOCAL,
                 source_url="unix:/var/lib/lxd/other.socket", name="data", pool="default", source="data")
    assert "reaches the same LXD server as url" in result["msg"] and writes(fake) == []


# -- refresh and leftovers --------------------------------------------------------------------


def test_refresh_runs_an_incremental_copy_onto_the_existing_volume(capsys):
    source, destination = servers(remote_server(), local_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation(SECRETS))
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=False)))
    destination.route("POST", VOLUMES, operation())
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="data",
                 pool="default", source="slow/data", refresh=True)
    assert result["changed"] is True and result["actions"] == ["refresh"]
    created = destination.requested("POST", VOLUMES)[0].json
    assert created["source"]["refresh"] is True and created["config"] == {"size": "1GiB"}
    assert writes(source) == ["POST " + SOURCE_VOLUMES + "/data"]


def test_refresh_needs_the_custom_volume_refresh_extension(capsys):
    source, destination = servers(remote_server(), local_server())
    destination.server = dict(destination.server, api_extensions=["storage_api_remote_volume_handling", "storage_api_remote_volume_snapshots"])
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=False)))
    result = run(lxd_storage_volume, capsys, {REMOTE: source, LOCAL: destination}, url=LOCAL, source_url=REMOTE, name="data",
                 pool="default", source="slow/data", refresh=True)
    assert "lacks the API extension(s) custom_volume_refresh" in result["msg"]
    assert writes(source) == [] and writes(destination) == []


def test_a_half_made_volume_is_deleted_and_copied_again(capsys):
    source, destination = servers(local_server(), remote_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", operation())
    destination.route("GET", VOLUMES + "/data", sync(copied(marker=True)), sync(copied(marker=True)), sync(copied(marker=False)))
    destination.route("DELETE", VOLUMES + "/data", sync(None))
    destination.route("POST", VOLUMES, operation(SECRETS, op_id="dest-op"))
    destination.route("PUT", VOLUMES + "/data", sync(None))
    result = run(lxd_storage_volume, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="data",
                 pool="default", source="slow/data", mode="push")
    assert result["actions"] == ["delete half-made copy", "copy"]
    assert writes(destination) == ["DELETE " + VOLUMES + "/data", "POST " + VOLUMES, "PUT " + VOLUMES + "/data"]


def test_a_failed_copy_names_both_sides_and_deletes_what_it_left(capsys):
    source, destination = servers(local_server(), remote_server())
    source.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    source.route("POST", SOURCE_VOLUMES + "/data", error(500, "Unable to connect to: 10.247.0.2:8443"))
    destination.route("GET", VOLUMES + "/data", error(404, "not found"), sync(copied(marker=True)))
    destination.route("POST", VOLUMES, operation(SECRETS, op_id="dest-op", err="Timed out waiting for migration connections"))
    destination.route("DELETE", VOLUMES + "/data", sync(None))
    result = run(lxd_storage_volume, capsys, {REMOTE: destination, LOCAL: source}, url=REMOTE, source_url=LOCAL, name="data",
                 pool="default", source="slow/data", mode="push")
    assert result["failed"] is True
    assert result["msg"].startswith("copy of volume data (mode=push) failed; source (%s): " % LOCAL)
    assert "; destination (%s): " % REMOTE in result["msg"] and "Timed out waiting for migration connections" in result["msg"]
    assert result["msg"].endswith("the source volume is unchanged; the half-made copy here was deleted")
    assert writes(destination) == ["POST " + VOLUMES, "DELETE " + VOLUMES + "/data"]


# -- refresh within one server ----------------------------------------------------------------


def test_refresh_within_one_server_posts_a_copy_with_refresh(capsys):
    fake = with_pools(local_server(), "default", "slow")
    fake.route("GET", SOURCE_VOLUMES + "/data", sync(volume()))
    fake.route("GET", VOLUMES + "/data", sync(volume(description="copy")))
    fake.route("POST", VOLUMES, operation())
    result = run(lxd_storage_volume, capsys, {LOCAL: fake}, url=LOCAL, name="data", pool="default", source="slow/data", refresh=True)
    assert result["actions"] == ["refresh"] and writes(fake) == ["POST " + VOLUMES]
    assert fake.requested("POST", VOLUMES)[0].json == {
        "name": "data", "type": "custom", "content_type": "filesystem", "description": "copy", "config": {"size": "1GiB"},
        "source": {"type": "copy", "pool": "slow", "name": "data", "volume_only": False, "refresh": True}}


def test_refresh_without_source_is_refused(capsys):
    fake = with_pools(local_server(), "default")
    fake.route("GET", VOLUMES + "/data", sync(volume()))
    result = run(lxd_storage_volume, capsys, {LOCAL: fake}, url=LOCAL, name="data", pool="default", refresh=True)
    assert result["msg"] == "refresh needs source: the volume to refresh this one from" and writes(fake) == []
