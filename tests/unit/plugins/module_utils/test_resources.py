# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared lifecycle of named objects (rename rule, delete refusal, result object) on the fake LXD."""

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import Reconciler
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import Resources, require_instance
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import profile_view
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, operation, sync

WEB = {"name": "web", "description": "", "config": {"limits.cpu": "2"}, "devices": {}, "used_by": []}


def profiles(fake, check_mode=False):
    reconciler = Reconciler(check_mode=check_mode, diff_mode=True)
    return Resources(fake.client(), reconciler, "profile", "profiles", profile_view), reconciler


def test_rename_of_an_existing_object_posts_the_new_name_and_diffs_the_whole_object():
    fake = FakeLxd()
    fake.route("GET", "profiles/web", sync(WEB))
    fake.route("POST", "profiles/web", sync(None))
    resources, reconciler = profiles(fake)
    renamed, name = resources.rename(resources.find("web"), "web", "www")
    assert name == "www" and renamed["name"] == "www"
    assert [request.json for request in fake.requested("POST", "profiles/web")] == [{"name": "www"}]
    result = reconciler.result()
    assert result["actions"] == ["rename"]
    assert result["diff"] == {"before": profile_view(WEB), "after": dict(profile_view(WEB), name="www")}


def test_rename_already_done_changes_nothing():
    fake = FakeLxd()
    fake.route("GET", "profiles/www", sync(dict(WEB, name="www")))
    resources, reconciler = profiles(fake)
    renamed, name = resources.rename(None, "web", "www")
    assert (renamed["name"], name) == ("www", "www")
    assert not reconciler.changed and not fake.requested("POST", "profiles/web")


@pytest.mark.parametrize("old_exists, new_exists, message", [
    (True, True, "new_name: cannot rename profile 'web' to 'www': a profile named 'www' exists already"),
    (False, False, "new_name: cannot rename profile 'web' to 'www': neither exists in project default"),
])
def test_rename_fails_without_writing_when_both_or_neither_exist(old_exists, new_exists, message):
    fake = FakeLxd()
    if new_exists:
        fake.route("GET", "profiles/www", sync(dict(WEB, name="www")))
    resources, reconciler = profiles(fake)
    with pytest.raises(LxdkitError) as info:
        resources.rename(WEB if old_exists else None, "web", "www")
    assert info.value.msg == message
    assert not reconciler.changed and [call for call in fake.calls if not call.startswith("GET")] == []


def test_rename_in_check_mode_counts_without_writing_and_prepare_runs_first():
    fake = FakeLxd()
    resources, reconciler = profiles(fake, check_mode=True)
    prepared = []
    renamed, _name = resources.rename(WEB, "web", "www", prepare=lambda current: prepared.append(current) or dict(current, description="x"))
    assert prepared == [WEB] and renamed["description"] == "x"
    assert reconciler.actions == ["rename"] and not fake.requested("POST", "profiles/web")


def test_deleting_an_object_in_use_names_its_users_and_deletes_nothing():
    fake = FakeLxd()
    resources, reconciler = profiles(fake)
    with pytest.raises(LxdkitError) as info:
        resources.delete_unused(dict(WEB, used_by=["/1.0/instances/c1"]))
    assert "profile web is in use" in info.value.msg and info.value.details["used_by"] == ["/1.0/instances/c1"]
    assert not fake.requested("DELETE", "profiles/web") and not reconciler.changed


def test_delete_of_an_unused_object_waits_for_lxd():
    fake = FakeLxd()
    fake.route("DELETE", "profiles/web", operation())
    resources, reconciler = profiles(fake)
    resources.delete_unused(WEB)
    resources.delete_unused(None)  # nothing there: nothing to do
    assert fake.calls[-2:] == ["DELETE profiles/web", "GET operations/fake-op-1/wait"]
    assert reconciler.result()["diff"] == {"before": profile_view(WEB), "after": {}}


def test_the_result_object_is_read_back_only_after_a_real_change():
    fake = FakeLxd()
    fake.route("GET", "profiles/web", sync(dict(WEB, used_by=["/1.0/instances/c1"])))
    fake.route("PUT", "profiles/web", sync(None))
    resources, _reconciler = profiles(fake)
    assert resources.final("web", {"planned": True}) == {"planned": True}
    resources.update(profile_view(WEB), dict(profile_view(WEB), description="new"), {"description": "new"})
    assert resources.final("web", {"planned": True})["used_by"] == ["/1.0/instances/c1"]

    fake_check = FakeLxd()
    resources, reconciler = profiles(fake_check, check_mode=True)
    resources.update(profile_view(WEB), dict(profile_view(WEB), description="new"), {"description": "new"})
    assert reconciler.changed and resources.final("web", {"planned": True}) == {"planned": True}
    assert not fake_check.requested("PUT", "profiles/web")


def test_updates_carry_the_cluster_target_but_renames_do_not():
    fake = FakeLxd()
    fake.route("PUT", "networks/br0", sync(None))
    fake.route("POST", "networks/br0", sync(None))
    reconciler = Reconciler()
    networks = Resources(fake.client(), reconciler, "network", "networks", lambda network: network, params={"target": "m1"})
    networks.update({"name": "br0", "config": {}}, {"name": "br0", "config": {"a": "1"}}, {"config": {"a": "1"}})
    networks.rename({"name": "br0"}, "br0", "br1")
    assert fake.requested("PUT", "networks/br0")[0].params == {"target": "m1"}
    assert fake.requested("POST", "networks/br0")[0].params == {}
    assert fake.requested("GET", "networks/br1")[0].params == {"target": "m1"}


def test_require_instance_names_what_is_missing_or_misplaced():
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync({"name": "c1", "location": "none"}))
    client = fake.client(project="default")
    assert require_instance(client, "c1")["name"] == "c1"
    with pytest.raises(LxdkitError, match="instance 'c2' does not exist in project default"):
        require_instance(client, "c2")
    with pytest.raises(LxdkitError, match="target 'm1' is for a cluster"):
        require_instance(client, "c1", target="m1")
    clustered = FakeLxd(server=dict(FakeLxd().server, environment={"server_clustered": True}))
    clustered.route("GET", "instances/c1", sync({"name": "c1", "location": "m2"}))
    with pytest.raises(LxdkitError, match="target 'm1': instance c1 is on cluster member 'm2'"):
        require_instance(clustered.client(), "c1", target="m1")
