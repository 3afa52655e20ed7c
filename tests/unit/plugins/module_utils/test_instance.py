# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._instance import (
    AFTER_ACTION,
    addresses,
    copy_source,
    looks_like_fingerprint,
    missing_ipv4,
    power_actions,
    restart_needed_for,
)


@pytest.mark.parametrize("wanted, status, actions", [
    ("started", "Stopped", ["start"]),
    ("started", "Running", []),
    ("started", "Frozen", ["unfreeze"]),
    ("stopped", "Frozen", ["unfreeze", "stop"]),
    ("frozen", "Stopped", ["start", "freeze"]),
    ("restarted", "Running", ["restart"]),
    ("restarted", "Stopped", ["start"]),
    ("present", "Running", []),
    ("present", "Frozen", []),
])
def test_power_actions(wanted, status, actions):
    assert power_actions(wanted, status) == actions


@pytest.mark.parametrize("wanted", ["started", "stopped", "frozen", "restarted"])
@pytest.mark.parametrize("status", ["Running", "Stopped", "Frozen"])
def test_every_path_ends_in_the_wanted_state(wanted, status):
    for action in power_actions(wanted, status):
        status = AFTER_ACTION[action]
    assert status == {"started": "Running", "restarted": "Running", "stopped": "Stopped", "frozen": "Frozen"}[wanted]


def test_unknown_status_is_a_clear_error():
    with pytest.raises(LxdkitError) as info:
        power_actions("started", "Error")
    assert "status Error" in info.value.msg


def test_copy_sources():
    assert copy_source("web01", True) == {"type": "copy", "source": "web01", "instance_only": True}
    assert copy_source("web01/snap0", True) == {"type": "copy", "source": "web01/snap0"}
    for bad in ("a/b/c", "a/", "/b"):
        with pytest.raises(LxdkitError):
            copy_source(bad, False)


def test_fingerprints():
    assert looks_like_fingerprint("6e47aedcaf32")
    assert not looks_like_fingerprint("lxdkit-busybox")
    assert not looks_like_fingerprint("6e47")


STATE = {"network": {
    "lo": {"addresses": [{"family": "inet", "address": "127.0.0.1", "scope": "local"}]},
    "eth0": {"addresses": [{"family": "inet", "address": "10.99.0.5", "scope": "global"},
                           {"family": "inet6", "address": "fe80::1", "scope": "link"}]},
    "eth1": {"addresses": []},
}}


def test_addresses_and_waiting_for_ipv4():
    assert addresses(STATE) == {"eth0": ["10.99.0.5"], "eth1": []}
    assert addresses(STATE, "inet6") == {"eth0": [], "eth1": []}
    assert missing_ipv4(STATE) == ["eth1"]
    assert missing_ipv4(STATE, ["eth0"]) == []
    assert missing_ipv4({"network": None}) == ["eth0"]


def _view(profiles=("default",), config=None, devices=None):
    return dict(name="c1", description="", profiles=list(profiles), config=dict(config or {}), devices=dict(devices or {}), ephemeral=False)


def test_live_keys_need_no_restart():
    before = _view(config={"user.role": "web", "limits.cpu": "1", "volatile.eth0.hwaddr": "00:16:3e:00:00:01"})
    after = _view(config={"limits.cpu": "2", "limits.memory": "1GiB", "snapshots.schedule": "@daily",
                          "volatile.eth0.hwaddr": "00:16:3e:00:00:02"},
                  devices={"http": {"type": "proxy"}})
    assert restart_needed_for(before, after) == []


def test_keys_read_at_start_need_a_restart_and_are_named():
    before = _view(config={"security.nesting": "false", "user.a": "1"})
    after = _view(config={"security.nesting": "true", "raw.lxc": "lxc.apparmor.profile=unconfined", "user.a": "2"})
    assert restart_needed_for(before, after) == ["config.raw.lxc", "config.security.nesting"]


def test_profile_order_and_vm_devices_need_a_restart():
    assert restart_needed_for(_view(profiles=["default", "web"]), _view(profiles=["web", "default"])) == ["profiles"]
    before, after = _view(), _view(devices={"d": {"type": "disk"}}, config={"limits.cpu": "2"})
    assert restart_needed_for(before, after, "virtual-machine") == ["config.limits.cpu", "devices"]
    assert restart_needed_for(before, after, "container") == []
