# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole lxd_project runs on the fake LXD: what is decided in Python (converted config, merge
or replace, features kept, the refusals made before any request, the rename rule)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_project
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, run_module, sync, writes


def run(fake, capsys, check_mode=False, **args):
    return run_module(fake, lxd_project, capsys, check_mode, **args)


FEATURES = {"features.images": "true", "features.profiles": "true", "features.storage.volumes": "true"}
OWN_DEFAULT_PROFILE = "/1.0/profiles/default?project=web"


def project(name="web", config=None, used_by=(OWN_DEFAULT_PROFILE,), description=""):
    return {"name": name, "description": description, "config": dict(FEATURES, **(config or {})), "used_by": list(used_by)}


def test_create_converts_values_and_returns_the_project(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", error(404, "not found"), sync(project(config={"limits.instances": "10", "restricted": "true"})))
    fake.route("POST", "projects", sync(None))
    result = run(fake, capsys, name="web", description="", config={"limits.instances": 10, "restricted": True})
    assert result["changed"] is True and result["actions"] == ["create"] and result["old_state"] == "absent"
    # The request carries the user's config, converted; LXD adds its feature defaults itself.
    assert fake.requested("POST", "projects")[0].json == {"name": "web", "description": "",
                                                          "config": {"limits.instances": "10", "restricted": "true"}}
    assert result["project"]["config"] == dict(FEATURES, **{"limits.instances": "10", "restricted": "true"})
    assert result["diff"]["before"] == {}
    # The diff shows what LXD will have: its feature defaults included.
    assert result["diff"]["after"]["config"] == dict(FEATURES, **{"limits.instances": "10", "restricted": "true"})


def test_requests_go_to_the_default_project_whatever_the_project_option(capsys):
    fake = FakeLxd(projects=["default"])  # "elsewhere" does not exist: the client must not check it
    fake.route("GET", "projects/web", error(404, "not found"), sync(project()))
    fake.route("POST", "projects", sync(None))
    result = run(fake, capsys, name="web", project="elsewhere")
    assert result["changed"] is True
    assert all("project" not in request.params for request in fake.requests)


def test_create_in_check_mode_writes_nothing_and_plans_lxds_defaults(capsys):
    fake = FakeLxd()
    result = run(fake, capsys, check_mode=True, name="web", config={"features.images": False})
    assert result["changed"] is True and writes(fake) == []
    assert result["project"]["config"] == dict(FEATURES, **{"features.images": "false"})


def test_rerun_changes_nothing(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(config={"limits.instances": "10"})))
    result = run(fake, capsys, name="web", config={"limits.instances": 10})
    assert result["changed"] is False and result["actions"] == [] and writes(fake) == []
    assert result["old_state"] == "present" and result["project"]["used_by"] == [OWN_DEFAULT_PROFILE]


def test_replace_drops_unlisted_keys_but_keeps_features(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(config={"limits.instances": "10", "limits.cpu": "4"})))
    fake.route("PUT", "projects/web", sync(None))
    result = run(fake, capsys, name="web", config={"limits.cpu": 8})
    assert result["actions"] == ["update"]
    assert fake.requested("PUT", "projects/web")[0].json == {"description": "", "config": dict(FEATURES, **{"limits.cpu": "8"})}


def test_merge_keeps_unlisted_keys(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(config={"limits.instances": "10", "limits.cpu": "4"})))
    fake.route("PUT", "projects/web", sync(None))
    result = run(fake, capsys, name="web", merge_project=True, config={"limits.cpu": 8})
    assert result["actions"] == ["update"]
    assert fake.requested("PUT", "projects/web")[0].json["config"] == dict(FEATURES, **{"limits.instances": "10", "limits.cpu": "8"})


def test_merge_of_what_is_there_changes_nothing(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(config={"limits.instances": "10", "limits.cpu": "4"})))
    result = run(fake, capsys, name="web", merge_project=True, config={"limits.cpu": "4"})
    assert result["changed"] is False and writes(fake) == []


def test_description_alone_leaves_config_alone(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(config={"limits.cpu": "4"})))
    fake.route("PUT", "projects/web", sync(None))
    run(fake, capsys, name="web", description="Web servers")
    assert fake.requested("PUT", "projects/web")[0].json == {"description": "Web servers", "config": dict(FEATURES, **{"limits.cpu": "4"})}


def test_a_feature_change_on_a_project_that_holds_objects_is_refused_before_any_write(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(used_by=[OWN_DEFAULT_PROFILE, "/1.0/instances/c1?project=web"])))
    result = run(fake, capsys, name="web", merge_project=True, config={"features.images": False})
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("config: features.images can change only on an empty project")
    assert "/1.0/instances/c1?project=web" in result["msg"] and "features.images=true" in result["msg"]
    assert result["used_by"] == ["/1.0/instances/c1?project=web"]


def test_a_feature_change_on_an_empty_project_is_written(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project()))
    fake.route("PUT", "projects/web", sync(None))
    result = run(fake, capsys, name="web", merge_project=True, config={"features.images": "false"})
    assert result["actions"] == ["update"]
    assert fake.requested("PUT", "projects/web")[0].json["config"]["features.images"] == "false"


def test_the_same_feature_in_another_spelling_is_no_feature_change(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(used_by=["/1.0/instances/c1?project=web"])))
    fake.route("PUT", "projects/web", sync(None))
    result = run(fake, capsys, name="web", merge_project=True, config={"features.images": "yes"})
    assert result["actions"] == ["update"]  # a spelling LXD accepts on a non-empty project


def test_the_default_projects_features_never_change(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/default", sync(dict(project(name="default", config={"features.networks": "true"}),
                                                    used_by=["/1.0/profiles/default"])))
    result = run(fake, capsys, name="default", merge_project=True, config={"features.networks": False})
    assert result["failed"] is True and writes(fake) == []
    assert "the features of the default project can never change" in result["msg"]


@pytest.mark.parametrize("args, message", [
    (dict(name="default", state="absent"), "name: the default project can never be deleted"),
    (dict(name="default", new_name="main"), "new_name: the default project can never be renamed"),
    (dict(name="web", new_name="default"), "new_name: no project can be renamed to 'default'"),
    (dict(name="web", new_name="www", state="absent"), "new_name goes with state=present"),
    (dict(name="a_b"), "name 'a_b' is not a valid LXD project name"),
    (dict(name="web", new_name="it's"), "new_name \"it's\" is not a valid LXD project name"),
    (dict(name="a/b"), "name 'a/b' is not a valid LXD name"),
    (dict(name="web", config={"limits.cpu": [1, 2]}), "config.limits.cpu is a list"),
])
def test_refused_before_any_request(capsys, args, message):
    fake = FakeLxd()
    result = run(fake, capsys, **args)
    assert result["failed"] is True and message in result["msg"]
    assert fake.requests == []  # not even connected


def test_delete_of_a_project_that_holds_objects_is_refused_with_no_write(capsys):
    fake = FakeLxd()
    users = [OWN_DEFAULT_PROFILE, "/1.0/profiles/extra?project=web", "/1.0/images/abc?project=web"]
    fake.route("GET", "projects/web", sync(project(used_by=users)))
    result = run(fake, capsys, name="web", state="absent")
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"] == ("project web is not empty and cannot be deleted (LXD deletes only empty projects); it holds: "
                             "/1.0/profiles/extra?project=web, /1.0/images/abc?project=web. Remove them first (with project: web)")
    assert result["used_by"] == users[1:]


def test_delete_of_a_project_with_only_its_default_profile(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project()))
    fake.route("DELETE", "projects/web", sync(None))
    result = run(fake, capsys, name="web", state="absent")
    assert result["actions"] == ["delete"] and result["project"] is None and result["old_state"] == "present"
    assert result["diff"] == {"before": {"name": "web", "description": "", "config": FEATURES}, "after": {}}


def test_delete_of_nothing_changes_nothing(capsys):
    fake = FakeLxd()
    result = run(fake, capsys, name="web", state="absent")
    assert result["changed"] is False and result["old_state"] == "absent" and writes(fake) == []


def test_rename_then_update(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project()))
    fake.route("GET", "projects/www", error(404, "not found"), sync(project(name="www", config={"limits.cpu": "2"})))
    fake.route("POST", "projects/web", operation())
    fake.route("PUT", "projects/www", sync(None))
    result = run(fake, capsys, name="web", new_name="www", merge_project=True, config={"limits.cpu": 2})
    assert result["actions"] == ["rename", "update"]
    assert fake.requested("POST", "projects/web")[0].json == {"name": "www"}
    assert result["project"]["name"] == "www"
    assert result["diff"]["before"]["name"] == "web" and result["diff"]["after"]["name"] == "www"


def test_rename_already_done_changes_nothing(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/www", sync(project(name="www")))
    result = run(fake, capsys, name="web", new_name="www")
    assert result["changed"] is False and writes(fake) == [] and result["project"]["name"] == "www"


def test_rename_when_both_exist_fails_and_changes_nothing(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project()))
    fake.route("GET", "projects/www", sync(project(name="www")))
    result = run(fake, capsys, name="web", new_name="www")
    assert result["failed"] is True and "a project named 'www' exists already" in result["msg"] and writes(fake) == []


def test_rename_of_nothing_fails_naming_the_server_not_a_project(capsys):
    fake = FakeLxd()
    result = run(fake, capsys, name="gone", new_name="never")
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"] == "new_name: cannot rename project 'gone' to 'never': neither exists on LXD at unix:/run/fake-lxd/unix.socket"


def test_rename_of_a_project_that_holds_objects_is_refused_with_no_write(capsys):
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project(used_by=[OWN_DEFAULT_PROFILE, "/1.0/instances/c1?project=web"])))
    result = run(fake, capsys, name="web", new_name="www")
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("project web is not empty and cannot be renamed (LXD renames only empty projects); it holds: /1.0/instances/c1")


def test_lxds_refusal_is_reported_with_its_text(capsys):
    fake = FakeLxd()
    fake.route("POST", "projects", error(400, 'Invalid project configuration key "bogus"'))
    result = run(fake, capsys, name="web", config={"bogus": 1})
    assert result["failed"] is True and result["actions"] == ["create"]
    assert result["msg"] == 'LXD refused POST projects: Invalid project configuration key "bogus"'


def test_community_generals_logs_are_not_returned_and_the_module_says_so_at_vvvv(capsys):
    quiet = run(FakeLxd(), capsys, check_mode=True, name="web")
    assert "returns no 'logs'" not in json.dumps(quiet.get("warnings", []))
    fake = FakeLxd()
    fake.route("GET", "projects/web", sync(project()))
    result = run(fake, capsys, name="web", _ansible_verbosity=4)
    assert "logs" not in result
    assert "returns no 'logs'" in json.dumps(result["warnings"])  # strings before ansible-core 2.19, summaries since


def test_check_mode_on_a_server_with_storage_buckets_predicts_their_feature_too(capsys):
    # Incus 6.0 (API extension storage_buckets) also turns features.storage.buckets on in a new project.
    fake = FakeLxd()
    fake.server["api_extensions"] = list(fake.server.get("api_extensions") or []) + ["storage_buckets"]
    fake.route("GET", "projects/web", error(404, "not found"))
    result = run(fake, capsys, check_mode=True, name="web", config={"limits.instances": 10})
    assert result["changed"] is True and writes(fake) == []
    assert result["diff"]["after"]["config"] == dict(FEATURES, **{"features.storage.buckets": "true", "limits.instances": "10"})
    without = run(FakeLxd(), capsys, check_mode=True, name="web", config={"limits.instances": 10})
    assert "features.storage.buckets" not in without["diff"]["after"]["config"]
