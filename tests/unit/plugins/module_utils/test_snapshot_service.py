# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot service on the fake LXD: creation through busy refusals, pruning with concurrent
deletions and the settling pass for LXD 5.0's backup.yaml race."""

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _client
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import Reconciler
from ansible_collections.lxdkit.lxd.plugins.module_utils._snapshots import SETTLE_ATTEMPTS, Snapshots
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, sync

COLLECTION = "instances/c1/snapshots"


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr(_client.time, "sleep", lambda seconds: None)


def snapshot(name, day):
    return {"name": name, "created_at": "2026-11-%02dT02:00:00Z" % day, "expires_at": "0001-01-01T00:00:00Z",
            "last_used_at": "0001-01-01T00:00:00Z", "stateful": False, "size": -1}


def urls(*names):
    return ["/1.0/%s/%s" % (COLLECTION, name) for name in names]


def service(fake, check_mode=False):
    reconciler = Reconciler(check_mode=check_mode, diff_mode=True)
    return Snapshots.for_instance(fake.client(), reconciler, "c1"), reconciler


def test_create_retries_while_the_instance_is_busy():
    fake = FakeLxd()
    fake.route("POST", COLLECTION, error(400, "Instance is busy running a 'snapshot' operation"), operation())
    snapshots, reconciler = service(fake)
    planned = snapshots.create("s1", stateful=False, expires_at="2026-12-01T00:00:00Z")
    assert [request.json for request in fake.requested("POST", COLLECTION)] == [
        {"name": "s1", "stateful": False, "expires_at": "2026-12-01T00:00:00Z"}] * 2
    assert planned["name"] == "s1" and reconciler.actions == ["create"]


def test_create_refused_because_another_run_made_the_snapshot_is_done():
    fake = FakeLxd()
    fake.route("POST", COLLECTION, error(400, "Instance is busy"))
    fake.route("GET", COLLECTION + "/s1", sync(snapshot("s1", 1)))
    snapshots, _reconciler = service(fake)
    snapshots.create("s1")
    assert len(fake.requested("POST", COLLECTION)) == 1


def test_create_fails_at_once_on_a_refusal_that_does_not_pass():
    fake = FakeLxd()
    fake.route("POST", COLLECTION, error(400, "Stateful snapshot requires migration.stateful"))
    snapshots, _reconciler = service(fake)
    with pytest.raises(LxdkitError, match="migration.stateful"):
        snapshots.create("s1", stateful=True)
    assert len(fake.requested("POST", COLLECTION)) == 1


def test_prune_deletes_what_retention_does_not_keep_and_reports_one_shape():
    fake = FakeLxd()
    listing = [snapshot("auto-%d" % day, day) for day in range(1, 6)] + [snapshot("keep-me", 1)]
    # The listing, then what the settling pass finds: the last name, never deleted concurrently, then none.
    fake.route("GET", COLLECTION, sync(listing), sync(urls("auto-5", "auto-4", "keep-me", "auto-1")), sync(urls("auto-5", "auto-4", "keep-me")))
    for day in (1, 2, 3):
        fake.route("DELETE", COLLECTION + "/auto-%d" % day, operation())
    snapshots, reconciler = service(fake)
    deleted, kept, untouched = snapshots.prune(dict(keep_last=2), "auto-*", max_parallel=2)
    assert deleted == [dict(name="auto-%d" % day, time="2026-11-%02dT02:00:00+00:00" % day) for day in (3, 2, 1)]
    assert [entry["name"] for entry in kept] == ["auto-5", "auto-4"] and untouched == ["keep-me"]
    assert sorted(call for call in fake.calls if call.startswith("DELETE")) == ["DELETE %s/auto-%d" % (COLLECTION, day) for day in (1, 2, 3)]
    # The last name goes alone, after the concurrent ones are done: LXD writes backup.yaml from the final state.
    assert fake.calls.index("DELETE %s/auto-1" % COLLECTION) > fake.calls.index("DELETE %s/auto-2" % COLLECTION)
    assert reconciler.result()["diff"]["after"] == {"snapshots": ["auto-4", "auto-5", "keep-me"]}


def test_prune_in_check_mode_deletes_nothing():
    fake = FakeLxd()
    fake.route("GET", COLLECTION, sync([snapshot("auto-%d" % day, day) for day in range(1, 4)]))
    snapshots, reconciler = service(fake, check_mode=True)
    deleted, _kept, _untouched = snapshots.prune(dict(keep_last=1), "auto-*")
    assert [entry["name"] for entry in deleted] == ["auto-2", "auto-1"]
    assert reconciler.actions == ["prune"] and not [call for call in fake.calls if call.startswith("DELETE")]


def test_a_deletion_lost_to_lxds_backup_yaml_race_is_settled_one_at_a_time():
    fake = FakeLxd()
    # auto-2's concurrent deletion fails although LXD 5.0 still lists it; the settling pass deletes it.
    fake.route("DELETE", COLLECTION + "/auto-2", operation(err="snapshot record count doesn't match"), sync(None))
    fake.route("DELETE", COLLECTION + "/auto-1", operation())
    fake.route("GET", COLLECTION, sync(urls("auto-2", "auto-3")), sync(urls("auto-3")))
    snapshots, _reconciler = service(fake)
    snapshots.delete_all(["auto-2", "auto-1"])
    assert fake.calls.count("DELETE %s/auto-2" % COLLECTION) == 2


def test_settling_gives_up_after_its_rounds_with_lxds_error():
    fake = FakeLxd()
    fake.route("DELETE", COLLECTION + "/auto-1", error(500, "Failed to delete snapshot: device busy"))
    fake.route("GET", COLLECTION, sync(urls("auto-1")))
    snapshots, _reconciler = service(fake)
    with pytest.raises(LxdkitError, match="device busy"):
        snapshots.delete_all(["auto-1"])
    assert fake.calls.count("DELETE %s/auto-1" % COLLECTION) == SETTLE_ATTEMPTS


def test_snapshots_another_run_deleted_first_are_simply_gone():
    fake = FakeLxd()
    fake.route("GET", COLLECTION, sync([]))
    snapshots, _reconciler = service(fake)
    snapshots.delete_all(["auto-1", "auto-2", "auto-3"])  # every DELETE answers 404
    assert [call for call in fake.calls if call.startswith("DELETE")] == ["DELETE %s/auto-%d" % (COLLECTION, n) for n in (1, 2)]


def test_volume_snapshots_use_the_same_api_under_the_volume_without_stateful():
    fake = FakeLxd()
    volume = "storage-pools/default/volumes/custom/data"
    fake.route("POST", volume + "/snapshots", operation())
    fake.route("PUT", volume, sync(None))
    reconciler = Reconciler()
    snapshots = Snapshots.for_volume(fake.client(), reconciler, "default", "data")
    snapshots.create("s1")
    snapshots.restore("s1")
    assert fake.requested("POST", volume + "/snapshots")[0].json == {"name": "s1"}
    assert fake.requested("PUT", volume)[0].json == {"restore": "s1"}


def test_restore_is_an_action_that_check_mode_only_reports():
    fake = FakeLxd()
    fake.route("PUT", "instances/c1", operation())
    snapshots, reconciler = service(fake)
    snapshots.restore("s1", stateful=False)
    assert fake.requested("PUT", "instances/c1")[0].json == {"restore": "s1", "stateful": False}
    fake_check = FakeLxd()
    snapshots, reconciler = service(fake_check, check_mode=True)
    snapshots.restore("s1")
    assert reconciler.actions == ["restore"] and not fake_check.requested("PUT", "instances/c1")


def test_names_in_a_project_leave_lxds_project_query_out():
    fake = FakeLxd(projects=["default", "web"])
    fake.route("GET", COLLECTION, sync([url + "?project=web" for url in urls("auto-1", "auto-2")]))
    snapshots = Snapshots.for_instance(fake.client(project="web"), Reconciler(), "c1")
    assert snapshots.names() == ["auto-1", "auto-2"]
