# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_instance with community.general.lxd_container's options (source as a dict, timeout,
wait_for_*, ignore_volatile_options, architecture), empty instances, renaming a running
instance with restart_for_rename, and lxd_image's aliases_purge: whole runs on the fake LXD."""

from __future__ import annotations

import pytest

from ansible.module_utils.common import warnings as ansible_warnings

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_image, lxd_instance
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, operation, run_module, sync, writes

FINGERPRINT = "6e47aedcaf32" + "0" * 52


def instance(status="Stopped", name="c1", **extra):
    return dict(dict(name=name, status=status, type="container", profiles=["default"], config={}, devices={}, ephemeral=False,
                     description="", architecture="x86_64"), **extra)


STATE = {"network": {"lo": {"addresses": [{"family": "inet", "address": "127.0.0.1", "scope": "local"}]},
                     "eth0": {"addresses": [{"family": "inet", "address": "10.99.0.5", "scope": "global"}]}}}


def creatable(fake, final_status="Running", name="c1"):
    """c1 missing, then (after POST instances) Stopped, then in ``final_status``."""
    fake.route("GET", "instances/" + name, error(404, "not found"), sync(instance(name=name)), sync(instance(final_status, name=name)))
    fake.route("POST", "instances", operation())
    fake.route("PUT", "instances/%s/state" % name, operation())
    fake.route("GET", "instances/%s/state" % name, sync(STATE))
    fake.route("GET", "images/aliases/busybox", sync({"name": "busybox", "target": FINGERPRINT}))
    fake.route("GET", "images/" + FINGERPRINT, sync({"fingerprint": FINGERPRINT}))
    fake.route("GET", "images/" + FINGERPRINT[:12], sync({"fingerprint": FINGERPRINT}))


def existing(fake, status="Running", **extra):
    fake.route("GET", "instances/c1", sync(instance(status, **extra)))
    fake.route("GET", "instances/c1/state", sync(STATE))


@pytest.fixture(autouse=True)
def fresh_warnings():
    """Ansible keeps a module's warnings in a global: each run here starts without the last one's."""
    ansible_warnings._global_warnings.clear()


def warning_texts(result):
    """The warnings of a result as text (ansible-core 2.19 returns them as dicts with the text inside)."""
    return [warning if isinstance(warning, str) else warning["event"]["msg"] for warning in result.get("warnings") or []]


def created_source(fake):
    return fake.requested("POST", "instances")[0].json["source"]


# -- source as community.general's dict -----------------------------------------------------

def test_community_general_example_runs_with_a_local_alias(capsys):
    fake = FakeLxd()
    creatable(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", ignore_volatile_options=True, state="started", profiles=["default"],
                        source={"type": "image", "mode": "pull", "alias": "busybox"}, wait_for_ipv4_addresses=True)
    assert result["actions"] == ["create", "start"] and result["old_state"] == "absent"
    assert result["addresses"] == {"eth0": ["10.99.0.5"]}
    assert created_source(fake) == {"type": "image", "alias": "busybox"}
    assert "warnings" not in result


def test_a_dict_without_type_is_what_its_keys_name(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", source={"alias": "busybox"})
    assert result["actions"] == ["create"] and created_source(fake) == {"type": "image", "alias": "busybox"}


def test_a_local_fingerprint_in_the_dict_is_looked_up_as_a_fingerprint(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", source={"type": "image", "fingerprint": FINGERPRINT[:12]})
    assert result["actions"] == ["create"]
    assert created_source(fake) == {"type": "image", "fingerprint": FINGERPRINT}
    assert "GET images/aliases/" + FINGERPRINT[:12] not in fake.calls


def test_a_missing_local_image_names_the_dict_field(capsys):
    fake = FakeLxd()
    result = run_module(fake, lxd_instance, capsys, name="c1", source={"type": "image", "alias": "nope"})
    assert result["failed"] is True and result["msg"].startswith("source.alias: image 'nope' is not in the local image store (no such alias)")
    assert "give source.server" in result["msg"] and writes(fake) == []


def test_a_remote_image_goes_to_lxd_with_server_and_protocol(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    source = {"type": "image", "mode": "pull", "server": "https://images.example.com", "protocol": "simplestreams", "alias": "debian/12"}
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", source=source)
    assert result["actions"] == ["create"]
    assert created_source(fake) == {"type": "image", "mode": "pull", "server": "https://images.example.com", "protocol": "simplestreams",
                                    "alias": "debian/12"}


def test_an_unreachable_image_server_is_named_by_its_option(capsys):
    fake = FakeLxd()
    fake.route("POST", "instances", operation(err="Failed getting remote image info: Get \"https://127.0.0.1:9/1.0\": connection refused"))
    result = run_module(fake, lxd_instance, capsys, name="c1", source={"type": "image", "server": "https://127.0.0.1:9", "alias": "x"})
    assert result["failed"] is True
    assert result["msg"].startswith("source.server https://127.0.0.1:9: LXD could not get image 'x' from this image server")
    assert "connection refused" in result["msg"] and "speak lxd" in result["msg"]
    # The text form names its own option.
    result = run_module(fake, lxd_instance, capsys, name="c1", source="x", source_server="https://127.0.0.1:9")
    assert result["msg"].startswith("source_server https://127.0.0.1:9: LXD could not get image 'x'") and "speak simplestreams" in result["msg"]


@pytest.mark.parametrize("source, expected", [
    ({"server": "https://images.example.com"}, "source needs a type (one of copy, image, none), or source.alias"),
    ({"type": "vm", "alias": "busybox"}, "source.type must be one of copy, image, none, not 'vm'"),
    ({"type": "migration", "mode": "pull"}, "is done by lxdkit.lxd.lxd_instance_migration"),
    ({"type": "image"}, "needs one of source.alias or source.fingerprint (not both)"),
    ({"type": "image", "alias": "a", "fingerprint": FINGERPRINT}, "needs one of source.alias or source.fingerprint (not both)"),
    ({"type": "image", "alias": "a", "colour": "red"}, "source.colour is not used with source.type=image; it takes type, alias"),
    ({"type": "image", "alias": "a", "mode": "push"}, "source.mode must be pull"),
    ({"type": "image", "alias": "a", "server": "https://x", "protocol": "ftp"}, "source.protocol must be one of lxd, simplestreams"),
    ({"type": "image", "alias": "a", "protocol": "lxd"}, "need source.server"),
    ({"type": "image", "alias": ["a"]}, "source.alias must be text, not a list"),
    ({"type": "copy"}, "source.source is required with source.type=copy"),
    ({"type": "copy", "source": "web01", "instance_only": "yes"}, "source.instance_only must be true or false"),
    ({"type": "none", "alias": "a"}, "source.alias is not used with source.type=none; it takes type"),
    (["busybox"], "source must be an image alias or fingerprint (text) or a dict like community.general's"),
])
def test_a_wrong_source_shape_names_the_field_and_changes_nothing(capsys, source, expected):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", error(404, "not found"))
    result = run_module(fake, lxd_instance, capsys, name="c1", source=source)
    assert result["failed"] is True and expected in result["msg"] and writes(fake) == []


def test_source_server_beside_a_dict_is_refused(capsys):
    fake = FakeLxd()
    result = run_module(fake, lxd_instance, capsys, name="c1", source={"type": "image", "alias": "a"}, source_server="https://x")
    assert result["failed"] is True and "give the server as source.server" in result["msg"] and writes(fake) == []


def test_a_copy_in_the_dict_is_source_instance(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    fake.route("GET", "instances/web01", sync(instance(name="web01", config={"volatile.idmap": "x", "limits.cpu": "2"})))
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", source={"type": "copy", "source": "web01", "instance_only": True})
    assert result["actions"] == ["create"]
    created = fake.requested("POST", "instances")[0].json
    assert created["source"] == {"type": "copy", "source": "web01", "instance_only": True}
    assert created["config"] == {"limits.cpu": "2"}
    result = run_module(FakeLxd(), lxd_instance, capsys, name="c1", source={"type": "copy", "source": "gone"})
    assert result["msg"] == "source.source 'gone' does not exist in project default"


# -- empty instances ------------------------------------------------------------------------

def test_an_empty_container_is_created_stopped_and_then_left_alone(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", source={"type": "none"}, state="stopped")
    assert result["actions"] == ["create"] and created_source(fake) == {"type": "none"}
    rerun = FakeLxd()
    rerun.route("GET", "instances/c1", sync(instance()))
    result = run_module(rerun, lxd_instance, capsys, name="c1", source={"type": "none"}, state="stopped")
    assert result["changed"] is False and writes(rerun) == []


@pytest.mark.parametrize("state", ["started", "restarted", "frozen"])
def test_an_empty_container_that_would_start_is_refused_before_anything(capsys, state):
    fake = FakeLxd()
    result = run_module(fake, lxd_instance, capsys, name="c1", source={"type": "none"}, state=state)
    assert result["failed"] is True and "source.type=none makes an empty container" in result["msg"]
    assert "state=%s" % state in result["msg"] and writes(fake) == []


def test_an_empty_virtual_machine_may_start(capsys):
    fake = FakeLxd()
    creatable(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", type="virtual-machine", source={"type": "none"})
    assert result["actions"] == ["create", "start"] and fake.requested("POST", "instances")[0].json["type"] == "virtual-machine"


# -- the two timeouts -----------------------------------------------------------------------

def running(fake):
    fake.route("GET", "instances/c1", sync(instance("Running")), sync(instance()))
    fake.route("PUT", "instances/c1/state", operation())


def test_wait_timeout_is_the_state_change_wait(capsys):
    fake = FakeLxd()
    running(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", wait_timeout=7)
    assert fake.requested("PUT", "instances/c1/state")[0].json == {"action": "stop", "timeout": 7, "force": False}
    assert "warnings" not in result


def test_the_default_waits_60_s_and_warns_nothing(capsys):
    fake = FakeLxd()
    running(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped")
    assert fake.requested("PUT", "instances/c1/state")[0].json["timeout"] == 60 and "warnings" not in result


def test_community_generals_timeout_alone_sets_the_wait_too_and_says_so(capsys):
    fake = FakeLxd()
    running(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", timeout=600)
    assert fake.requested("PUT", "instances/c1/state")[0].json["timeout"] == 600
    assert fake.opened[0][1] == 600  # and the wait for each answer from LXD
    warnings = warning_texts(result)
    assert len(warnings) == 1
    assert warnings[0].startswith("timeout=600 is the seconds to wait for each answer from LXD in lxdkit.lxd")
    assert "Give wait_timeout" in warnings[0]


def test_timeout_with_wait_timeout_keeps_each_its_meaning(capsys):
    fake = FakeLxd()
    running(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", timeout=120, wait_timeout=9)
    assert fake.requested("PUT", "instances/c1/state")[0].json["timeout"] == 9 and fake.opened[0][1] == 120
    assert "warnings" not in result


# -- wait_for_container, ignore_volatile_options, architecture -------------------------------

def test_wait_for_container_true_is_what_happens_anyway(capsys):
    fake = FakeLxd()
    existing(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", wait_for_container=True)
    assert result["changed"] is False and "warnings" not in result


def test_wait_for_container_false_cannot_apply_and_warns(capsys):
    fake = FakeLxd()
    existing(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", wait_for_container=False)
    assert result["changed"] is False
    assert warning_texts(result) == ["wait_for_container=false cannot apply: lxdkit.lxd waits for every LXD operation to finish "
                                     "(as wait_for_container=true does); leave the option out"]


def test_lxds_volatile_keys_are_never_a_change_whatever_ignore_volatile_options_says(capsys):
    for ignore in (True, False):
        fake = FakeLxd()
        existing(fake, config={"volatile.eth0.hwaddr": "00:16:3e:00:00:01", "limits.cpu": "2"})
        result = run_module(fake, lxd_instance, capsys, name="c1", config={"limits.cpu": 2}, ignore_volatile_options=ignore)
        assert result["changed"] is False and writes(fake) == [] and "warnings" not in result


def test_volatile_keys_given_with_ignore_volatile_options_warn_and_stay_idempotent(capsys):
    fake = FakeLxd()
    existing(fake, config={"volatile.eth0.hwaddr": "00:16:3e:00:00:01"})
    result = run_module(fake, lxd_instance, capsys, name="c1", config={"volatile.eth0.hwaddr": "00:16:3e:00:00:01"},
                        ignore_volatile_options=True)
    assert result["changed"] is False and writes(fake) == []
    assert "volatile.* keys given in config (volatile.eth0.hwaddr) are set only when LXD has another value" in warning_texts(result)[0]


# -- the lxd_container name keeps community.general's meaning --------------------------------

AS_LXD_CONTAINER = {"_ansible_module_name": "lxdkit.lxd.lxd_container"}
ELSEWHERE = dict(config={"user.elsewhere": "kept?", "limits.cpu": "1"},
                 devices={"extra": {"type": "disk", "source": "/srv", "path": "/srv"}})


def updated_body(fake):
    return fake.requested("PUT", "instances/c1")[0].json


def test_as_lxd_container_config_keys_not_listed_are_kept_and_devices_replaced(capsys):
    fake = FakeLxd()
    existing(fake, **ELSEWHERE)
    fake.route("PUT", "instances/c1", operation())
    result = run_module(fake, lxd_instance, capsys, name="c1", config={"limits.cpu": 2}, devices={}, **AS_LXD_CONTAINER)
    assert result["changed"] is True and result["old_state"] == "started"
    assert updated_body(fake)["config"] == {"user.elsewhere": "kept?", "limits.cpu": "2"}
    assert updated_body(fake)["devices"] == {}


def test_as_lxd_instance_config_is_the_whole_truth(capsys):
    fake = FakeLxd()
    existing(fake, **ELSEWHERE)
    fake.route("PUT", "instances/c1", operation())
    result = run_module(fake, lxd_instance, capsys, name="c1", config={"limits.cpu": 2})
    assert result["changed"] is True and result["old_state"] == "Running"
    assert updated_body(fake)["config"] == {"limits.cpu": "2"}


def test_as_lxd_container_merge_config_given_wins(capsys):
    fake = FakeLxd()
    existing(fake, **ELSEWHERE)
    fake.route("PUT", "instances/c1", operation())
    run_module(fake, lxd_instance, capsys, name="c1", config={"limits.cpu": 2}, merge_config=False, **AS_LXD_CONTAINER)
    assert updated_body(fake)["config"] == {"limits.cpu": "2"}


def test_as_lxd_container_an_absent_instance_is_absent_and_a_stopped_one_stopped(capsys):
    fake = FakeLxd()
    existing(fake, status="Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", **AS_LXD_CONTAINER)
    assert result["changed"] is False and result["old_state"] == "stopped"
    fake = FakeLxd()
    fake.route("GET", "instances/c1", error(404, "not found"))
    result = run_module(fake, lxd_instance, capsys, name="c1", state="absent", **AS_LXD_CONTAINER)
    assert result["changed"] is False and result["old_state"] == "absent"


def test_architecture_goes_into_the_creation_request(capsys):
    fake = FakeLxd()
    creatable(fake, "Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", source="busybox", architecture="x86_64")
    assert result["actions"] == ["create"] and fake.requested("POST", "instances")[0].json["architecture"] == "x86_64"


def test_an_existing_instance_of_that_architecture_by_another_name_is_no_change(capsys):
    fake = FakeLxd()
    existing(fake)
    result = run_module(fake, lxd_instance, capsys, name="c1", architecture="amd64")
    assert result["changed"] is False and writes(fake) == []


def test_another_architecture_for_an_existing_instance_fails_naming_both(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync(instance("Running")))
    result = run_module(fake, lxd_instance, capsys, name="c1", architecture="aarch64", config={"limits.cpu": 2})
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("architecture: instance c1 is x86_64, not aarch64, and LXD does not change the architecture")


# -- renaming a running instance --------------------------------------------------------------

def renamable(fake, status):
    fake.route("GET", "instances/c1", sync(instance(status)))
    fake.route("GET", "instances/c2", error(404, "not found"), sync(instance("Stopped", name="c2")), sync(instance(status, name="c2")))
    fake.route("PUT", "instances/c1/state", operation())
    fake.route("PUT", "instances/c2/state", operation())
    fake.route("POST", "instances/c1", operation())
    fake.route("GET", "instances/c2/state", sync(STATE))


def test_restart_for_rename_stops_renames_and_starts_again(capsys):
    fake = FakeLxd()
    renamable(fake, "Running")
    result = run_module(fake, lxd_instance, capsys, name="c1", new_name="c2", restart_for_rename=True)
    assert result["actions"] == ["stop", "rename", "start"] and result["old_state"] == "Running"
    assert writes(fake) == ["PUT instances/c1/state", "POST instances/c1", "PUT instances/c2/state"]
    assert fake.requested("POST", "instances/c1")[0].json == {"name": "c2"}


def test_restart_for_rename_with_state_present_brings_a_frozen_instance_back_frozen(capsys):
    fake = FakeLxd()
    renamable(fake, "Frozen")
    result = run_module(fake, lxd_instance, capsys, name="c1", new_name="c2", restart_for_rename=True, state="present")
    assert result["actions"] == ["unfreeze", "stop", "rename", "start", "freeze"]


def test_restart_for_rename_in_check_mode_writes_nothing(capsys):
    fake = FakeLxd()
    renamable(fake, "Running")
    result = run_module(fake, lxd_instance, capsys, check_mode=True, name="c1", new_name="c2", restart_for_rename=True)
    assert result["actions"] == ["stop", "rename", "start"] and writes(fake) == []
    assert result["instance"]["name"] == "c2" and result["instance"]["status"] == "Running"


def test_a_running_ephemeral_instance_is_not_renamed_even_with_restart_for_rename(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync(instance("Running", ephemeral=True)))
    result = run_module(fake, lxd_instance, capsys, name="c1", new_name="c2", restart_for_rename=True)
    assert result["failed"] is True and "an ephemeral instance is deleted when it stops" in result["msg"] and writes(fake) == []


def test_without_restart_for_rename_the_message_names_it(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync(instance("Running")))
    result = run_module(fake, lxd_instance, capsys, name="c1", new_name="c2")
    assert result["failed"] is True and "restart_for_rename=true" in result["msg"] and writes(fake) == []


# -- lxd_image aliases_purge ----------------------------------------------------------------

def aliased_image(fake, aliases):
    image = {"fingerprint": FINGERPRINT, "aliases": [{"name": name} for name in aliases], "properties": {}, "public": False,
             "auto_update": False}
    fake.route("GET", "images/" + FINGERPRINT, sync(image))
    for name in aliases:
        fake.route("GET", "images/aliases/" + name, sync({"name": name, "target": FINGERPRINT}))
    fake.route("POST", "images/aliases", sync(None))
    fake.route("DELETE", "images/aliases/old", sync(None))
    fake.route("DELETE", "images/aliases/older", sync(None))


def test_aliases_purge_deletes_the_aliases_not_declared(capsys):
    fake = FakeLxd()
    aliased_image(fake, ["keep", "old", "older"])
    result = run_module(fake, lxd_image, capsys, fingerprint=FINGERPRINT, aliases=["keep", "new"], aliases_purge=True)
    assert result["actions"] == ["alias new", "delete alias old", "delete alias older"]
    assert writes(fake) == ["POST images/aliases", "DELETE images/aliases/old", "DELETE images/aliases/older"]
    assert result["diff"]["before"]["aliases"] == ["keep", "old", "older"]
    assert result["diff"]["after"]["aliases"] == ["keep", "new"]


def test_aliases_purge_in_check_mode_diffs_and_writes_nothing(capsys):
    fake = FakeLxd()
    aliased_image(fake, ["keep", "old"])
    result = run_module(fake, lxd_image, capsys, check_mode=True, fingerprint=FINGERPRINT, aliases=["keep"], aliases_purge=True)
    assert result["actions"] == ["delete alias old"] and writes(fake) == []
    assert result["diff"]["after"]["aliases"] == ["keep"]


def test_aliases_purge_with_the_declared_list_already_is_no_change(capsys):
    fake = FakeLxd()
    aliased_image(fake, ["keep"])
    result = run_module(fake, lxd_image, capsys, aliases=["keep"], aliases_purge=True)
    assert result["changed"] is False and writes(fake) == []


def test_without_aliases_purge_other_aliases_stay(capsys):
    fake = FakeLxd()
    aliased_image(fake, ["keep", "old"])
    result = run_module(fake, lxd_image, capsys, aliases=["keep"])
    assert result["changed"] is False and writes(fake) == []


def test_aliases_purge_needs_state_present(capsys):
    fake = FakeLxd()
    aliased_image(fake, ["keep"])
    result = run_module(fake, lxd_image, capsys, aliases=["keep"], aliases_purge=True, state="absent")
    assert result["failed"] is True and result["msg"] == "aliases_purge goes with state=present, not absent" and writes(fake) == []
