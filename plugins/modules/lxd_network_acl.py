#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_network_acl
short_description: Manage LXD network ACLs
version_added: 0.1.0
description:
  - Creates, updates, renames and deletes network ACLs, which are ordered ingress and egress rule lists.
  - Rules compare as lists, in order, after the normalisation LXD does (values as strings,
    empty fields left out, C(state) V(enabled) when not given).
  - Attach an ACL to a network with M(lxdkit.lxd.lxd_network) (C(security.acls) in its config)
    or to a NIC device (C(security.acls) on the device).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
options:
  name:
    description: Name of the ACL.
    type: str
    required: true
  description:
    description: Description. Not managed when not given.
    type: str
  ingress:
    description:
      - Ingress rules, in order. Each rule has C(action) (V(allow), V(reject), V(drop)) and any of
        C(source), C(destination), C(protocol) (V(tcp), V(udp), V(icmp4), V(icmp6)), C(source_port),
        C(destination_port), C(icmp_type), C(icmp_code), C(description), C(state) (V(enabled),
        V(disabled), V(logged)). Not managed when not given.
    type: list
    elements: dict
  egress:
    description: Egress rules, in order, with the fields of O(ingress). Not managed when not given.
    type: list
    elements: dict
  config:
    description: ACL config (C(user.*) keys). Not managed when not given.
    type: dict
  state:
    description: V(present) or V(absent). An ACL in use cannot be deleted; the error lists its users.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: lxdkit.lxd.lxd_network
"""

EXAMPLES = r"""
- name: Allow web and ping in, drop the rest
  lxdkit.lxd.lxd_network_acl:
    name: web-in
    description: Web servers
    ingress:
      - action: allow
        protocol: tcp
        destination_port: 80,443
        description: http and https
      - action: allow
        protocol: icmp4
      - action: drop
        state: logged
    egress:
      - action: allow

- name: Attach it to a bridge
  lxdkit.lxd.lxd_network:
    name: webbr0
    merge_config: true
    config:
      security.acls: web-in
"""

RETURN = r"""
acl:
  description: The ACL after the task (planned in check mode); null when absent.
  returned: always
  type: dict
  sample: {name: web-in, description: Web servers, ingress: [{action: allow, protocol: tcp, destination_port: "80", state: enabled}],
           egress: [], config: {}, used_by: [/1.0/networks/webbr0]}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._network import normalize_rules
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import acl_view


class NetworkAclManager(LxdManager):

    def run(self):
        name, new_name = self.params["name"], self.params["new_name"]
        check_object_name("name", name)
        check_object_name("new_name", new_name)
        ingress = normalize_rules("ingress", self.params["ingress"])
        egress = normalize_rules("egress", self.params["egress"])
        config = string_map("config", self.params["config"])
        acls = self.resources("network ACL", "network-acls", acl_view)
        current = acls.find(name)
        if self.params["state"] == "absent":
            acls.delete_unused(current)
            return self.reconciler.result(acl=None)
        if new_name and new_name != name:
            current, name = acls.rename(current, name, new_name)
        before = acl_view(current)
        base = before or dict(name=name, description="", ingress=[], egress=[], config={})
        wanted = dict(
            name=name,
            description=base["description"] if self.params["description"] is None else self.params["description"],
            ingress=base["ingress"] if ingress is None else ingress,
            egress=base["egress"] if egress is None else egress,
            config=desired_map(base["config"], config, merge=False),
        )
        if current is None:
            acls.create(wanted)
        else:
            acls.update(before, wanted, dict((key, value) for key, value in wanted.items() if key != "name"))
        return self.reconciler.result(acl=acls.final(name, dict(wanted, used_by=(current or {}).get("used_by") or [])))


def main():
    run_module(
        NetworkAclManager,
        dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            ingress=dict(type="list", elements="dict"),
            egress=dict(type="list", elements="dict"),
            config=dict(type="dict"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            new_name=dict(type="str"),
        ),
    )


if __name__ == "__main__":
    main()
