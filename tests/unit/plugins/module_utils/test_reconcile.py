# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import Reconciler, desired_map


def test_replace_drops_unlisted_keys_but_keeps_server_managed_ones():
    current = {"limits.cpu": "2", "boot.autostart": "true", "volatile.eth0.hwaddr": "00:16:3e:00:00:01"}
    wanted = {"limits.cpu": "4"}
    assert desired_map(current, wanted, merge=False) == {"limits.cpu": "4", "volatile.eth0.hwaddr": "00:16:3e:00:00:01"}


def test_merge_keeps_unlisted_keys():
    current = {"limits.cpu": "2", "boot.autostart": "true"}
    assert desired_map(current, {"limits.cpu": "4"}, merge=True) == {"limits.cpu": "4", "boot.autostart": "true"}


def test_option_not_given_keeps_current_map():
    current = {"a": "1"}
    result = desired_map(current, None, merge=False)
    assert result == current and result is not current


def test_devices_merge_replaces_a_listed_device_whole():
    current = {"eth0": {"type": "nic", "network": "lxdbr0", "name": "eth0"}, "root": {"type": "disk", "path": "/"}}
    wanted = {"eth0": {"type": "nic", "network": "br1"}}
    result = desired_map(current, wanted, merge=True)
    assert result == {"eth0": {"type": "nic", "network": "br1"}, "root": {"type": "disk", "path": "/"}}


def test_values_resolved_by_the_server_keep_the_concrete_current_value():
    current = {"ipv4.address": "10.1.2.1/24", "ipv4.nat": "true"}
    wanted = {"ipv4.address": "auto", "ipv4.nat": "false"}
    result = desired_map(current, wanted, merge=False, resolved_by_server=lambda key, value: value == "auto")
    assert result == {"ipv4.address": "10.1.2.1/24", "ipv4.nat": "false"}


def test_resolved_values_are_sent_as_given_when_creating():
    result = desired_map({}, {"ipv4.address": "auto"}, merge=False, resolved_by_server=lambda key, value: value == "auto")
    assert result == {"ipv4.address": "auto"}


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self):
        self.calls.append("write")


def test_step_writes_only_on_change_and_reports_actions():
    reconciler = Reconciler(check_mode=False, diff_mode=True)
    write = Recorder()
    assert reconciler.step("update", {"a": 1}, {"a": 1}, write) is False
    assert write.calls == [] and not reconciler.changed
    assert reconciler.step("update", {"a": 1}, {"a": 2}, write) is True
    assert write.calls == ["write"]
    result = reconciler.result(thing=1)
    assert result["changed"] is True and result["actions"] == ["update"] and result["thing"] == 1
    assert result["diff"] == {"before": {"a": 1}, "after": {"a": 2}}


def test_check_mode_counts_the_change_without_writing():
    reconciler = Reconciler(check_mode=True, diff_mode=False)
    write = Recorder()
    assert reconciler.step("create", None, {"a": 1}, write) is True
    assert write.calls == []
    result = reconciler.result()
    assert result["changed"] is True and "diff" not in result


def test_diff_spans_all_steps_and_absent_is_empty():
    reconciler = Reconciler(check_mode=True, diff_mode=True)
    reconciler.step("rename", {"name": "a"}, {"name": "b"}, Recorder())
    reconciler.step("delete", {"name": "b"}, None, Recorder())
    assert reconciler.result()["diff"] == {"before": {"name": "a"}, "after": {}}
    assert reconciler.actions == ["rename", "delete"]


def test_action_runs_every_time_but_never_in_check_mode():
    live, check = Reconciler(), Reconciler(check_mode=True)
    write = Recorder()
    live.action("restore", write)
    check.action("restore", write)
    assert write.calls == ["write"]
    assert live.changed and check.changed
