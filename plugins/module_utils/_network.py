# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network and network ACL logic without LXD calls: config keys LXD fills in, keys that do
not fit a network type, and ACL rule normalisation."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._acl_lists import canonical_rule
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map

# Keys LXD fills in when a bridge is created without them (with "auto" addresses, a subnet it
# picked). When the user does not write them they stay as LXD set them (``desired_map``'s
# ``server_defaulted``).
SERVER_DEFAULTED = ("ipv4.address", "ipv4.nat", "ipv6.address", "ipv6.nat")
# Values LXD replaces by concrete ones; once the network exists they match whatever LXD chose.
RESOLVED_VALUES = ("auto",)

# The keys one cluster member may have its own value for (with ``target`` or ``member_config``).
NETWORK_MEMBER_KEYS = ("bgp.ipv4.nexthop", "bgp.ipv6.nexthop", "bridge.external_interfaces", "parent")

# Keys the tutorials write on the wrong network type, and what to write instead.
_WRONG_KEYS = {
    "bridge": {
        "parent": "a bridge has no parent: to attach a host interface use bridge.external_interfaces, "
                  "or create a macvlan/sriov/physical network with parent",
        "vlan": "a bridge takes no vlan: use a macvlan network with parent and vlan, or give "
                "bridge.external_interfaces a VLAN interface (eth0.10)",
    },
    "macvlan": {
        "ipv4.address": "a macvlan network has no addresses of its own: the upstream network's DHCP or "
                        "static addresses in the instance apply",
        "bridge.external_interfaces": "a macvlan network attaches through parent, not bridge.external_interfaces",
    },
}


def check_keys_for_type(network_type, config):
    for key in sorted(config or {}):
        hint = _WRONG_KEYS.get(network_type, {}).get(key)
        if hint:
            raise LxdkitError("config.%s does not apply to a %s network: %s" % (key, network_type, hint))


def is_resolved_by_server(key, value):
    return key.endswith(".address") and value in RESOLVED_VALUES


# How a network's config merges (``_reconcile.desired_map``'s keyword arguments).
NETWORK_CONFIG_RULES = dict(server_defaulted=SERVER_DEFAULTED, resolved_by_server=is_resolved_by_server)


RULE_FIELDS = ("action", "source", "destination", "protocol", "source_port", "destination_port",
               "icmp_type", "icmp_code", "description", "state")
RULE_ACTIONS = ("allow", "reject", "drop")
RULE_STATES = ("enabled", "disabled", "logged")


def normalize_rules(field, rules):
    """ACL rules as LXD stores them: string values, empty fields left out, state defaulting to enabled."""
    if rules is None:
        return None
    if not isinstance(rules, list):
        raise LxdkitError("%s must be a list of rules" % field)
    result = []
    for index, rule in enumerate(rules):
        where = "%s[%d]" % (field, index)
        if not isinstance(rule, dict):
            raise LxdkitError("%s must be a mapping with at least 'action'" % where)
        unknown = sorted(set(rule) - set(RULE_FIELDS))
        if unknown:
            raise LxdkitError("%s has unknown field(s) %s; a rule takes %s" % (where, ", ".join(unknown), ", ".join(RULE_FIELDS)))
        values = dict((key, value) for key, value in string_map(where, rule).items() if value != "")
        if values.get("action") not in RULE_ACTIONS:
            raise LxdkitError("%s.action must be one of %s, got %r" % (where, ", ".join(RULE_ACTIONS), rule.get("action")))
        values.setdefault("state", "enabled")
        if values["state"] not in RULE_STATES:
            raise LxdkitError("%s.state must be one of %s, got %r" % (where, ", ".join(RULE_STATES), values["state"]))
        result.append(canonical_rule(values))
    return result
