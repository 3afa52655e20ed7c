# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole module runs (argument spec, manager, services, client, result) on the fake LXD: the
behaviour users see where it is decided in Python, not by LXD."""

from __future__ import annotations

import os

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_backup, lxd_image, lxd_instance, lxd_network, lxd_profile, lxd_snapshot
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, run_module, sync, writes

INCUS_SERVER = dict(SERVER, environment=dict(SERVER["environment"], server="incus", server_version="6.0.4"))
PROFILE = {"name": "web", "description": "", "config": {"limits.cpu": "2"}, "devices": {}, "used_by": []}


def test_profile_create_converts_values_and_returns_the_object(capsys):
    fake = FakeLxd()
    # Missing, then as LXD stores it once created.
    fake.route("GET", "profiles/web", error(404, "not found"), sync(dict(PROFILE, config={"limits.cpu": "2", "boot.autostart": "true"})))
    fake.route("POST", "profiles", sync(None))
    result = run_module(fake, lxd_profile, capsys, name="web", config={"limits.cpu": 2, "boot.autostart": True})
    assert result["changed"] is True and result["actions"] == ["create"] and result["old_state"] == "absent"
    assert fake.requested("POST", "profiles")[0].json == {"name": "web", "description": "", "devices": {},
                                                          "config": {"limits.cpu": "2", "boot.autostart": "true"}}
    assert result["profile"]["config"] == {"limits.cpu": "2", "boot.autostart": "true"}
    assert result["diff"]["before"] == {}


def test_profile_rerun_changes_nothing(capsys):
    fake = FakeLxd()
    fake.route("GET", "profiles/web", sync(PROFILE))
    result = run_module(fake, lxd_profile, capsys, name="web", config={"limits.cpu": 2})
    assert result["changed"] is False and writes(fake) == []


def test_profile_rename_of_nothing_fails_and_creates_nothing(capsys):
    fake = FakeLxd()
    result = run_module(fake, lxd_profile, capsys, name="gone", new_name="never", config={"limits.cpu": 2})
    assert result["failed"] is True and "neither exists" in result["msg"] and writes(fake) == []


def test_snapshot_rename_of_nothing_fails_the_same_way(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Running", "expanded_config": {}}))
    result = run_module(fake, lxd_snapshot, capsys, instance="c1", name="gone", new_name="never")
    assert result["failed"] is True and result["msg"].startswith("new_name: cannot rename snapshot 'gone' to 'never': neither exists")
    assert writes(fake) == []


def test_instance_rename_of_a_running_instance_needs_state_stopped(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Running", "profiles": [], "config": {}, "devices": {}}))
    result = run_module(fake, lxd_instance, capsys, name="c1", new_name="c2", state="started")
    assert result["failed"] is True and "LXD renames only stopped instances" in result["msg"] and writes(fake) == []


def test_image_alias_added_to_an_existing_image_diffs_the_whole_image(capsys):
    fingerprint = "a" * 64
    image = {"fingerprint": fingerprint, "aliases": [{"name": "old"}], "properties": {"os": "busybox"}, "public": False, "auto_update": False}
    fake = FakeLxd()
    fake.route("GET", "images/aliases/old", sync({"name": "old", "target": fingerprint}))
    fake.route("GET", "images/" + fingerprint, sync(image))
    fake.route("POST", "images/aliases", sync(None))
    result = run_module(fake, lxd_image, capsys, check_mode=True, fingerprint=fingerprint, aliases=["old", "new"])
    assert result["actions"] == ["alias new"] and writes(fake) == []
    before = {"fingerprint": fingerprint, "aliases": ["old"], "properties": {"os": "busybox"}, "public": False, "auto_update": False}
    assert result["diff"] == {"before": before, "after": dict(before, aliases=["new", "old"])}


def test_network_replace_keeps_lxds_volatile_and_defaulted_keys(capsys):
    current = {"name": "br0", "type": "bridge", "managed": True, "description": "", "used_by": [],
               "config": {"ipv4.address": "10.99.1.1/24", "ipv4.nat": "false", "volatile.bridge.hwaddr": "00:16:3e:00:00:01",
                          "dns.domain": "old.test"}}
    fake = FakeLxd()
    fake.route("GET", "networks/br0", sync(current))
    result = run_module(fake, lxd_network, capsys, check_mode=True, name="br0", config={"ipv4.address": "10.99.1.1/24"})
    assert result["diff"]["after"]["config"] == {"ipv4.address": "10.99.1.1/24", "ipv4.nat": "false",
                                                 "volatile.bridge.hwaddr": "00:16:3e:00:00:01"}


def test_backup_file_pruning_returns_the_snapshot_pruning_shape(tmp_path, capsys):
    for day in (1, 2, 3):
        path = tmp_path / ("web-202611%02d.tar.zst" % day)
        path.write_bytes(b"backup %d" % day)
        os.utime(path, (0, 0))
    fake = FakeLxd()
    result = run_module(fake, lxd_backup, capsys, state="pruned", path=str(tmp_path), match="web-*",
                        name_time_format="web-%Y%m%d.tar.zst", keep_last=1)
    assert result["deleted"] == [{"name": "web-20261102.tar.zst", "time": "2026-11-02T00:00:00+00:00"},
                                 {"name": "web-20261101.tar.zst", "time": "2026-11-01T00:00:00+00:00"}]
    assert result["kept"] == [{"name": "web-20261103.tar.zst", "time": "2026-11-03T00:00:00+00:00", "reasons": ["last", "newest"]}]
    assert sorted(os.listdir(tmp_path)) == [".lxdkit.lock", "web-20261103.tar.zst"]


def test_an_export_to_a_directory_fails_naming_dest_before_asking_lxd(tmp_path, capsys):
    existing = tmp_path / "backups"
    existing.mkdir()
    for dest, force in ((str(existing), False), (str(existing), True), (str(tmp_path / "new") + "/", False)):
        fake = FakeLxd()  # no routes: any request to LXD would fail the test differently
        result = run_module(fake, lxd_backup, capsys, state="exported", instance="web01", dest=dest, force=force)
        assert result["failed"] is True and result.get("changed") is not True
        assert result["msg"] == "dest (%s) is a directory; dest names the backup file to write, e.g. %s" % (
            dest, os.path.join(dest, "web01-YYYYMMDD.tar.zst"))
        assert fake.requests == []
    assert os.listdir(str(existing)) == [] and sorted(os.listdir(str(tmp_path))) == ["backups"]


def test_a_snapshot_prune_run_reports_deleted_kept_and_untouched(capsys):
    fake = FakeLxd()
    fake.route("GET", "instances/c1", sync({"name": "c1", "status": "Running", "expanded_config": {"snapshots.pattern": "auto-%d"}}))
    fake.route("GET", "instances/c1/snapshots", sync([
        {"name": "auto-1", "created_at": "2026-11-01T00:00:00Z"}, {"name": "auto-2", "created_at": "2026-11-02T00:00:00Z"},
        {"name": "manual", "created_at": "2026-10-01T00:00:00Z"}]))
    result = run_module(fake, lxd_snapshot, capsys, check_mode=True, instance="c1", state="pruned", keep_last=1)
    assert result["match"] == "auto-*" and result["untouched"] == ["manual"]
    assert result["deleted"] == [{"name": "auto-1", "time": "2026-11-01T00:00:00+00:00"}]
    assert writes(fake) == []


CLUSTERED_ENVIRONMENT = {"server_name": "member1", "server_version": "5.0.2", "server_clustered": True}


def _clustered_instance(status, location="member1"):
    fake = FakeLxd(server=dict(FakeLxd().server, environment=CLUSTERED_ENVIRONMENT))
    instance = {"name": "c1", "status": status, "location": location, "profiles": ["default"], "config": {}, "devices": {},
                "ephemeral": False, "description": "", "type": "container"}
    fake.route("GET", "instances/c1", sync(instance), sync(dict(instance, location="member2", status="Stopped")))
    fake.route("POST", "instances/c1", sync(None))
    fake.route("PUT", "instances/c1/state", sync(None))
    return fake


def test_instance_on_another_member_is_moved_to_target_when_stopped(capsys):
    fake = _clustered_instance("Stopped")
    result = run_module(fake, lxd_instance, capsys, name="c1", target="member2", state="stopped")
    assert result["changed"] is True and writes(fake) == ["POST instances/c1"]
    move = fake.requested("POST", "instances/c1")[0]
    assert move.params.get("target") == "member2" and move.json == {"name": "c1", "migration": True}


def test_instance_move_to_target_in_check_mode_writes_nothing(capsys):
    fake = _clustered_instance("Stopped")
    result = run_module(fake, lxd_instance, capsys, check_mode=True, name="c1", target="member2", state="stopped")
    assert result["changed"] is True and writes(fake) == []
    assert result["actions"] == ["move"]
    assert (result["diff"]["before"]["location"], result["diff"]["after"]["location"]) == ("member1", "member2")


def test_instance_already_on_target_is_not_moved(capsys):
    fake = _clustered_instance("Stopped", location="member2")
    result = run_module(fake, lxd_instance, capsys, name="c1", target="member2", state="stopped")
    assert result["changed"] is False and writes(fake) == []


def test_running_instance_on_another_member_needs_a_restart_allowed(capsys):
    fake = _clustered_instance("Running")
    result = run_module(fake, lxd_instance, capsys, name="c1", target="member2", state="started")
    assert result["failed"] is True and "LXD moves only stopped instances" in result["msg"] and "restart_on_change" in result["msg"]
    assert writes(fake) == []


def test_running_instance_is_stopped_moved_and_started_when_restart_allowed(capsys):
    fake = _clustered_instance("Running")
    result = run_module(fake, lxd_instance, capsys, name="c1", target="member2", state="started", restart_on_change=True)
    assert result["changed"] is True
    assert writes(fake) == ["PUT instances/c1/state", "POST instances/c1", "PUT instances/c1/state"]
    assert [request.json["action"] for request in fake.requested("PUT", "instances/c1/state")] == ["stop", "start"]


def test_target_on_a_standalone_server_is_refused(capsys):
    fake = FakeLxd()
    instance = {"name": "c1", "status": "Stopped", "location": "none", "profiles": ["default"], "config": {}, "devices": {},
                "ephemeral": False, "description": "", "type": "container"}
    fake.route("GET", "instances/c1", sync(instance))
    result = run_module(fake, lxd_instance, capsys, name="c1", target="member2", state="stopped")
    assert result["failed"] is True and "standalone" in result["msg"] and writes(fake) == []


def test_every_result_says_which_server_answered_also_a_failure(capsys):
    fake = FakeLxd()
    fake.route("GET", "profiles/web", sync(PROFILE))
    result = run_module(fake, lxd_profile, capsys, name="web", config={"limits.cpu": 2})
    assert result["server"]["kind"] == "lxd" and result["server"]["version"] == fake.server["environment"]["server_version"]
    assert result["server"]["url"].startswith("unix:")
    failed = run_module(FakeLxd(), lxd_profile, capsys, name="gone", new_name="never", config={"limits.cpu": 2})
    assert failed["failed"] is True and failed["server"] == result["server"]


def test_a_task_that_reached_no_server_has_no_server_in_its_result(tmp_path, capsys):
    certificate = tmp_path / "client.crt"
    certificate.write_text("not used")
    fake = FakeLxd()
    result = run_module(fake, lxd_profile, capsys, name="web", client_cert=str(certificate))
    assert result["failed"] is True and "client_cert and client_key go together" in result["msg"]
    assert "server" not in result and fake.calls == []


def test_a_profile_given_lxds_guest_api_key_is_written_in_incus_spelling_and_stays_unchanged_after(capsys):
    fake = FakeLxd(server=INCUS_SERVER)
    stored = dict(PROFILE, config={"security.guestapi": "false"})
    fake.route("GET", "profiles/web", error(404, "not found"), sync(stored))
    fake.route("POST", "profiles", sync(None))
    result = run_module(fake, lxd_profile, capsys, name="web", config={"security.devlxd": False})
    assert result["changed"] is True and fake.requested("POST", "profiles")[0].json["config"] == {"security.guestapi": "false"}
    again = run_module(fake, lxd_profile, capsys, name="web", config={"security.devlxd": False})
    assert again["changed"] is False and len(writes(fake)) == 1


def test_an_instance_given_incus_guest_api_key_against_lxd_updates_lxds_key(capsys):
    fake = FakeLxd()
    current = {"name": "c1", "status": "Stopped", "profiles": ["default"], "config": {"security.devlxd": "true"}, "devices": {},
               "ephemeral": False, "description": ""}
    fake.route("GET", "instances/c1", sync(current), sync(dict(current, config={"security.devlxd": "false"})))
    fake.route("PUT", "instances/c1", sync(None))
    result = run_module(fake, lxd_instance, capsys, name="c1", state="stopped", config={"security.guestapi": False})
    assert result["changed"] is True and fake.requested("PUT", "instances/c1")[0].json["config"] == {"security.devlxd": "false"}


def test_both_spellings_with_different_values_fail_naming_both_and_write_nothing(capsys):
    fake = FakeLxd(server=INCUS_SERVER)
    fake.route("GET", "profiles/web", sync(PROFILE))
    result = run_module(fake, lxd_profile, capsys, name="web", config={"security.devlxd": False, "security.guestapi": True})
    assert result["failed"] is True and "security.devlxd" in result["msg"] and "security.guestapi" in result["msg"]
    assert writes(fake) == []
