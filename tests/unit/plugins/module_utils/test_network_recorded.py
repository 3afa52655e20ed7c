# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network and ACL comparisons on responses recorded from LXD 5.0.2 (recorded/network_lxd_5.0.2.json)."""

from __future__ import annotations

import json
import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._acl_lists import canonical_rules
from ansible_collections.lxdkit.lxd.plugins.module_utils._network import NETWORK_CONFIG_RULES, normalize_rules
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import network_view, stored_rules

with open(os.path.join(os.path.dirname(__file__), "recorded", "network_lxd_5.0.2.json")) as recorded_file:
    RECORDED = json.load(recorded_file)

BRIDGE = RECORDED["bridge_explicit"]
# The task that made the recorded bridge, as a user writes it (YAML booleans and all).
PRODUCTION_TASK_CONFIG = {
    "ipv4.address": "10.99.176.1/24",
    "ipv4.dhcp.ranges": "10.99.176.50-10.99.176.200",
    "ipv4.nat": False,
    "ipv6.address": "none",
    "dns.domain": "production.local",
}


def test_rerun_of_the_recorded_bridge_changes_nothing():
    wanted = string_map("config", PRODUCTION_TASK_CONFIG)
    assert desired_map(BRIDGE["config"], wanted, False, **NETWORK_CONFIG_RULES) == BRIDGE["config"]


def test_auto_address_on_a_recorded_bridge_keeps_the_concrete_subnet():
    wanted = string_map("config", dict(PRODUCTION_TASK_CONFIG, **{"ipv4.address": "auto"}))
    desired = desired_map(BRIDGE["config"], wanted, False, **NETWORK_CONFIG_RULES)
    assert desired["ipv4.address"] == "10.99.176.1/24"
    assert desired == BRIDGE["config"]


def test_the_view_of_a_new_network_with_used_by_null():
    # LXD 5.0 answers used_by: null for a network nothing uses yet.
    assert network_view(BRIDGE) == {"name": "recbr", "type": "bridge", "description": "", "config": BRIDGE["config"]}


def test_lxd_strips_blanks_in_list_fields_and_normalised_rules_match():
    # What the user wrote, with blanks in the lists, against what LXD stored from it.
    raw = [dict((key, str(value)) for key, value in rule.items()) for rule in RECORDED["acl_sent"]["ingress"]]
    stored = stored_rules(RECORDED["acl"]["ingress"])
    assert raw != stored
    assert normalize_rules("ingress", RECORDED["acl_sent"]["ingress"]) == stored
    assert canonical_rules(stored) == stored


def test_user_rules_with_numbers_match_the_recorded_acl():
    ingress = normalize_rules("ingress", [
        {"action": "allow", "protocol": "tcp", "source": "10.99.1.0/24,10.99.2.5", "destination_port": "80,443"},
        {"action": "drop", "state": "logged"},
    ])
    egress = normalize_rules("egress", [{"action": "allow", "protocol": "icmp4", "icmp_type": 8}])
    assert canonical_rules(ingress) == stored_rules(RECORDED["acl"]["ingress"])
    assert canonical_rules(egress) == stored_rules(RECORDED["acl"]["egress"])


def test_canonical_rules_leave_other_fields_and_none_alone():
    rule = {"action": "allow", "description": "a, b", "state": "enabled"}
    assert canonical_rules([rule]) == [rule]
    assert canonical_rules(None) is None
