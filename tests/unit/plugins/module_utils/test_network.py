# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network logic on recorded LXD responses: never `auto` on a live daemon here, since LXD then
probes random private subnets to pick one."""

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._network import NETWORK_CONFIG_RULES, check_keys_for_type, normalize_rules
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import stored_rules


def network_desired_config(current, wanted, merge):
    return desired_map(current, wanted, merge, **NETWORK_CONFIG_RULES)


# GET /1.0/networks/lxdbr1 after `lxc network create lxdbr1` with ipv4.address=auto and
# ipv6.address=auto: the response shape recorded from this LXD 5.0 (GET /1.0/networks/lxdbr0),
# with the concrete addresses and NAT keys LXD writes in place of "auto".
RECORDED_AUTO_BRIDGE = {
    "config": {
        "ipv4.address": "10.158.73.1/24",
        "ipv4.nat": "true",
        "ipv6.address": "fd42:5d3c:8f2a:1b7e::1/64",
        "ipv6.nat": "true",
    },
    "description": "",
    "locations": ["none"],
    "managed": True,
    "name": "lxdbr1",
    "status": "Created",
    "type": "bridge",
    "used_by": [],
}


def test_auto_addresses_match_what_lxd_chose():
    wanted = string_map("config", {"ipv4.address": "auto", "ipv6.address": "auto"})
    desired = network_desired_config(RECORDED_AUTO_BRIDGE["config"], wanted, merge=False)
    assert desired == RECORDED_AUTO_BRIDGE["config"]


def test_keys_lxd_filled_in_stay_when_not_written():
    desired = network_desired_config(RECORDED_AUTO_BRIDGE["config"], {"dns.domain": "lxd.test"}, merge=False)
    assert desired == dict(RECORDED_AUTO_BRIDGE["config"], **{"dns.domain": "lxd.test"})


def test_written_values_replace_and_unlisted_user_keys_go():
    current = dict(RECORDED_AUTO_BRIDGE["config"], **{"dns.domain": "old.test", "ipv4.dhcp.ranges": "10.158.73.10-10.158.73.20"})
    desired = network_desired_config(current, {"ipv4.address": "10.10.10.1/24", "ipv4.nat": "false"}, merge=False)
    assert desired == {"ipv4.address": "10.10.10.1/24", "ipv4.nat": "false",
                       "ipv6.address": "fd42:5d3c:8f2a:1b7e::1/64", "ipv6.nat": "true"}


def test_auto_is_sent_as_is_when_creating():
    assert network_desired_config({}, {"ipv4.address": "auto"}, merge=False) == {"ipv4.address": "auto"}


def test_replace_keeps_volatile_keys_like_every_other_object():
    current = {"ipv4.address": "10.0.0.1/24", "volatile.bridge.hwaddr": "00:16:3e:00:00:01", "dns.domain": "a"}
    desired = network_desired_config(current, {"ipv4.address": "10.0.0.1/24"}, merge=False)
    assert desired == {"ipv4.address": "10.0.0.1/24", "volatile.bridge.hwaddr": "00:16:3e:00:00:01"}


def test_merge_keeps_everything():
    current = {"ipv4.address": "10.0.0.1/24", "dns.domain": "a"}
    assert network_desired_config(current, {"dns.mode": "managed"}, merge=True) == dict(current, **{"dns.mode": "managed"})


@pytest.mark.parametrize("network_type, key, hint", [
    ("bridge", "parent", "bridge.external_interfaces"),
    ("bridge", "vlan", "macvlan"),
    ("macvlan", "ipv4.address", "no addresses"),
])
def test_tutorial_keys_on_the_wrong_type(network_type, key, hint):
    with pytest.raises(LxdkitError) as info:
        check_keys_for_type(network_type, {key: "x"})
    assert "config.%s does not apply to a %s network" % (key, network_type) in info.value.msg
    assert hint in info.value.msg


def test_rules_normalise_like_lxd_stores_them():
    rules = normalize_rules("ingress", [{"action": "allow", "protocol": "tcp", "destination_port": 80, "source": ""}])
    assert rules == [{"action": "allow", "protocol": "tcp", "destination_port": "80", "state": "enabled"}]
    recorded = [{"action": "allow", "destination_port": "80", "protocol": "tcp", "state": "enabled", "source": ""}]
    assert stored_rules(recorded) == rules


@pytest.mark.parametrize("rules, message", [
    ([{"protocol": "tcp"}], "ingress[0].action must be one of"),
    ([{"action": "allow", "port": 1}], "unknown field(s) port"),
    ([{"action": "allow", "state": "on"}], "ingress[0].state must be one of"),
    (["allow"], "ingress[0] must be a mapping"),
    ("allow", "ingress must be a list"),
])
def test_bad_rules(rules, message):
    with pytest.raises(LxdkitError) as info:
        normalize_rules("ingress", rules)
    assert message in info.value.msg
