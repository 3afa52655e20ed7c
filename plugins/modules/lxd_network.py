#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_network
short_description: Manage LXD networks (managed bridges, macvlan, VLAN and physical parents)
version_added: 0.1.0
description:
  - Creates, updates, renames and deletes LXD managed networks.
  - Keys LXD fills in when creating a bridge (C(ipv4.address), C(ipv4.nat), C(ipv6.address),
    C(ipv6.nat)) keep LXD's values when O(config) does not list them; a value of V(auto) matches
    the address LXD chose, so reruns are no-ops.
  - Networks LXD does not manage (the host's own interfaces) are read-only; changing or
    deleting one fails.
  - Deleting a network that instances or profiles use fails with the list of users and changes nothing.
  - Attach a network ACL by setting C(security.acls) in O(config), see M(lxdkit.lxd.lxd_network_acl).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
options:
  name:
    description: Name of the network (at most 15 characters for bridges, an interface name).
    type: str
    required: true
  type:
    description:
      - Network type. A new network is a V(bridge) unless this says otherwise; an existing
        network's type cannot change (delete and recreate it).
    type: str
    choices: [bridge, macvlan, sriov, ovn, physical]
  description:
    description: Description. Not managed when not given.
    type: str
  config:
    description:
      - Network config (C(ipv4.address), C(ipv4.dhcp.ranges), C(ipv4.nat), C(dns.domain),
        C(bridge.external_interfaces), C(parent), C(vlan), C(security.acls), ...). Numbers and
        booleans become strings. Not managed when not given.
    type: dict
  merge_config:
    description: V(true) keeps config keys that O(config) does not list; V(false) (default) removes them (apart from the keys LXD fills in).
    type: bool
    default: false
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
  target:
    description:
      - Cluster member. With it, O(config) holds that member's own keys (C(bridge.external_interfaces),
        C(parent), ...); a cluster network is created on every member this way, then once without target.
      - Mutually exclusive with O(member_config).
    type: str
  member_config:
    description:
      - Cluster members' own keys, by member name (C(bridge.external_interfaces), C(parent),
        C(bgp.ipv4.nexthop), C(bgp.ipv6.nexthop)), for a clustered LXD only (one task instead of
        one per member). The network is defined (pending) on every member that lacks a definition,
        with the keys given here (none for a member left out), then created for the whole cluster
        with O(config), which then holds only the shared keys.
      - On later runs each member's listed keys are compared and changed (C(PATCH) with that
        member as target). A member name that is not in the cluster, or a key that is not per
        member, is refused before anything is sent. The diff and RV(member_config) show each
        member's keys.
    type: dict
seealso:
  - module: lxdkit.lxd.lxd_network_acl
  - module: lxdkit.lxd.lxd_profile
"""

EXAMPLES = r"""
- name: A managed bridge with DHCP and local DNS, no NAT, no IPv6
  lxdkit.lxd.lxd_network:
    name: webbr0
    config:
      ipv4.address: 10.10.10.1/24
      ipv4.dhcp: true
      ipv4.dhcp.ranges: 10.10.10.100-10.10.10.200
      ipv4.nat: false
      dns.domain: web.lxd
      dns.mode: managed
      ipv6.address: none

- name: An isolated internal network
  lxdkit.lxd.lxd_network:
    name: backend0
    config:
      ipv4.address: 192.168.50.1/24
      ipv4.nat: false
      ipv6.address: none

- name: A bridge attached to a host interface (instances share the host's LAN)
  lxdkit.lxd.lxd_network:
    name: lanbr0
    config:
      bridge.external_interfaces: enp5s0
      ipv4.address: none
      ipv6.address: none

- name: VLAN 10 on the host's NIC
  lxdkit.lxd.lxd_network:
    name: vlan10
    type: macvlan
    config:
      parent: enp5s0
      vlan: 10

- name: Attach a network ACL
  lxdkit.lxd.lxd_network:
    name: webbr0
    merge_config: true
    config:
      security.acls: web-in

- name: A cluster bridge, defined on every member (each with its own uplink), then created
  lxdkit.lxd.lxd_network:
    name: clusterbr0
    config:
      ipv4.address: 10.20.0.1/24
      ipv4.nat: false
      ipv6.address: none
    member_config:
      node1: {bridge.external_interfaces: eth1}
      node2: {bridge.external_interfaces: eth2}

- name: Delete a network (fails while instances or profiles use it)
  lxdkit.lxd.lxd_network:
    name: backend0
    state: absent
"""

RETURN = r"""
network:
  description: The network after the task (planned in check mode); null when absent.
  returned: always
  type: dict
  sample: {name: webbr0, type: bridge, managed: true, config: {ipv4.address: 10.10.10.1/24}, used_by: []}
network_state:
  description: Whether the network is up and its addresses (LXD's network state); null when absent or in check mode.
  returned: always
  type: dict
  sample: {state: up, addresses: [{family: inet, address: 10.10.10.1, netmask: "24", scope: global}]}
member_config:
  description: Each member's keys that O(member_config) manages, as they are after the task (planned in check mode).
  returned: when O(member_config) is given
  type: dict
  sample: {node1: {bridge.external_interfaces: eth1}, node2: {bridge.external_interfaces: eth2}}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._member_config import MemberDefinitions, per_member_config, shared_config_only
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._network import NETWORK_CONFIG_RULES, NETWORK_MEMBER_KEYS, check_keys_for_type
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import network_view


class NetworkManager(LxdManager):

    def run(self):
        name, new_name = self.params["name"], self.params["new_name"]
        check_object_name("name", name)
        check_object_name("new_name", new_name)
        self.config = string_map("config", self.params["config"])
        target, member_config = self.params["target"], self.params["member_config"]
        if member_config is not None:
            per_member = per_member_config(self.client, "member_config", member_config, NETWORK_MEMBER_KEYS, "network")
            shared_config_only("config", self.config, NETWORK_MEMBER_KEYS)
        self.networks = self.resources("network", "networks", network_view, params={"target": target} if target else None)
        current = self.networks.find(name)
        if current is not None and current.get("managed") is False:
            self._refuse_unmanaged(current)
            return self.reconciler.result(network=current, network_state=self._state(name))
        if self.params["state"] == "absent":
            self.networks.delete_unused(current)
            return self.reconciler.result(network=None, network_state=None)
        if new_name and new_name != name:
            current, name = self.networks.rename(current, name, new_name)
        wanted_type = self.params["type"]
        if current is not None and wanted_type and wanted_type != current.get("type"):
            raise LxdkitError("type: network %s is a %s and LXD cannot change a network's type to %s; delete it and create it anew"
                              % (name, current.get("type"), wanted_type))
        check_keys_for_type(current["type"] if current else wanted_type or "bridge", self.config)
        network_type = current["type"] if current else wanted_type or "bridge"
        if member_config is not None:
            for member_keys in per_member.values():
                check_keys_for_type(network_type, member_keys)
            planned = MemberDefinitions(self.networks, name, per_member).reconcile(
                current, network_view, dict(name=name, type=network_type), self._shared)
            network = self.networks.final(name, dict(current or {}, managed=True, used_by=[], locations=sorted(per_member), **planned))
            return self.reconciler.result(network=network, member_config=planned["member_config"],
                                          network_state=None if self.reconciler.check_mode else self._state(name))
        before = network_view(current) or dict(name=name, type=network_type, description="", config={})
        wanted = self._shared(before)
        if current is None:
            self.networks.create(wanted, target=target)
            planned = dict(wanted, managed=True, used_by=[])
        elif current.get("status") == "Pending" and not target:
            # Defined on the members: a POST without target creates it for the cluster.
            self.reconciler.step("create", dict(before, status="Pending"), dict(wanted, status="Created"),
                                 lambda: self.client.send("POST", "networks", wanted))
            planned = dict(current, status="Created", **wanted)
        else:
            self.networks.update(before, wanted, dict(description=wanted["description"], config=wanted["config"]))
            planned = dict(current, **wanted)
        network = self.networks.final(name, planned)
        return self.reconciler.result(network=network, network_state=None if self.reconciler.check_mode else self._state(name))

    def _shared(self, before):
        """The network as the task wants it: description and (shared) config."""
        wanted = dict(before, config=desired_map(before["config"], self.config, self.params["merge_config"], **NETWORK_CONFIG_RULES))
        if self.params["description"] is not None:
            wanted["description"] = self.params["description"]
        return wanted

    def _state(self, name):
        return self.client.find(self.networks.path(name, "state"), params=self.networks.params)

    def _refuse_unmanaged(self, current):
        wants_change = (self.params["state"] == "absent" or self.params["new_name"] or self.config is not None
                        or self.params["description"] is not None)
        if wants_change:
            raise LxdkitError("network %s is not managed by %s (a %s interface of the host): it is read-only here; "
                              "manage it with the host's network configuration" % (current["name"], self.client.server_name, current.get("type")))


def main():
    run_module(
        NetworkManager,
        dict(
            name=dict(type="str", required=True),
            type=dict(type="str", choices=["bridge", "macvlan", "sriov", "ovn", "physical"]),
            description=dict(type="str"),
            config=dict(type="dict"),
            merge_config=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            new_name=dict(type="str"),
            target=dict(type="str"),
            member_config=dict(type="dict"),
        ),
        mutually_exclusive=[("target", "member_config")],
    )


if __name__ == "__main__":
    main()
