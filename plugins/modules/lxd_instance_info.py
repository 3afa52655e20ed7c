#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance_info
short_description: List LXD instances with their state and addresses
version_added: 0.1.0
description:
  - Returns the instances of a project, sorted by name, with their status, config, devices,
    global IPv4 and IPv6 addresses per network interface and number of snapshots. Changes nothing.
  - One request to LXD whatever the number of instances.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.info
options:
  name:
    description: Only this instance (the list is empty when it does not exist).
    type: str
  status:
    description: Only instances with one of these statuses; all when not given or empty.
    type: list
    elements: str
    choices: [Running, Stopped, Frozen]
seealso:
  - module: lxdkit.lxd.lxd_instance
  - module: lxdkit.lxd.lxd_snapshot_info
  - plugin: lxdkit.lxd.lxd
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: List the running instances
  lxdkit.lxd.lxd_instance_info:
    status: [Running]
  register: running

- name: Show each one's IPv4 addresses on eth0
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.addresses.eth0 | default([]) | join(', ') }}"
  loop: "{{ running.instances }}"
  loop_control:
    label: "{{ item.name }}"

- name: Read one instance in another project of a remote LXD
  lxdkit.lxd.lxd_instance_info:
    url: https://lxd01.example.com:8443
    server_cert: files/lxd01.crt
    project: web
    name: web01
  register: web01_info

- name: Fail when it is missing
  ansible.builtin.assert:
    that: web01_info.instances | length == 1
"""

RETURN = r"""
instances:
  description: The instances, sorted by name; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Instance name.
      type: str
    status:
      description: V(Running), V(Stopped), V(Frozen) (or another status LXD reports, such as V(Error)).
      type: str
    type:
      description: V(container) or V(virtual-machine).
      type: str
    architecture:
      description: Architecture, for example V(x86_64).
      type: str
    project:
      description: The LXD project the instance is in.
      type: str
    location:
      description: Cluster member that holds the instance; V(none) on a standalone server.
      type: str
    description:
      description: Description; empty when none.
      type: str
    profiles:
      description: Profiles, in the order LXD applies them.
      type: list
      elements: str
    config:
      description: The instance's own config keys (including LXD's C(volatile.*) and C(image.*) keys).
      type: dict
    expanded_config:
      description: The config in effect, profiles included.
      type: dict
    devices:
      description: The instance's own devices by name.
      type: dict
    expanded_devices:
      description: The devices in effect, profiles included.
      type: dict
    ephemeral:
      description: Whether LXD deletes the instance when it stops.
      type: bool
    stateful:
      description: Whether the instance has a stateful snapshot or stop pending.
      type: bool
    created_at:
      description: When the instance was created (RFC 3339).
      type: str
    last_used_at:
      description: When it was last started (RFC 3339); null when never.
      type: str
    addresses:
      description: Global IPv4 addresses per network interface (C(lo) left out); empty when the instance does not run.
      type: dict
    addresses_ipv6:
      description: Global IPv6 addresses per network interface; empty when the instance does not run.
      type: dict
    snapshots_count:
      description: Number of snapshots.
      type: int
  sample:
    - name: web01
      status: Running
      type: container
      architecture: x86_64
      project: default
      location: none
      description: ""
      profiles: [default, web-server]
      config: {limits.cpu: "2", image.os: Debian}
      expanded_config: {limits.cpu: "2", limits.memory: 2GB, image.os: Debian}
      devices: {}
      expanded_devices: {eth0: {type: nic, network: lxdbr0, name: eth0}, root: {type: disk, path: /, pool: default}}
      ephemeral: false
      stateful: false
      created_at: "2026-11-25T05:11:43.402010112Z"
      last_used_at: "2026-11-25T05:11:45.127450583Z"
      addresses: {eth0: [10.99.0.23]}
      addresses_ipv6: {eth0: []}
      snapshots_count: 2
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._instance import addresses
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time

STATUSES = ["Running", "Stopped", "Frozen"]


def _time_or_none(value):
    """LXD's way of saying never: its zero time, or the Unix epoch (an instance never started)."""
    when = parse_lxd_time(value)
    return None if when is None or when.timestamp() == 0 else value


def instance_info(instance):
    """One entry of the result, from an instance of GET instances?recursion=2."""
    state = instance.get("state") or {}
    return dict(
        name=instance["name"],
        status=instance.get("status"),
        type=instance.get("type"),
        architecture=instance.get("architecture"),
        project=instance.get("project"),
        location=instance.get("location"),
        description=instance.get("description") or "",
        profiles=list(instance.get("profiles") or []),
        config=dict(instance.get("config") or {}),
        expanded_config=dict(instance.get("expanded_config") or {}),
        devices=dict(instance.get("devices") or {}),
        expanded_devices=dict(instance.get("expanded_devices") or {}),
        ephemeral=bool(instance.get("ephemeral")),
        stateful=bool(instance.get("stateful")),
        created_at=instance.get("created_at"),
        last_used_at=_time_or_none(instance.get("last_used_at")),
        addresses=addresses(state),
        addresses_ipv6=addresses(state, "inet6"),
        snapshots_count=len(instance.get("snapshots") or []),
    )


class InstanceInfoManager(LxdManager):

    def run(self):
        name, statuses = self.params["name"], self.params["status"] or []
        check_instance_name("name", name)
        params = {"recursion": "2"}
        if name:
            # Spares LXD reading every other instance's state; LXD without api_filtering
            # ignores it, hence the filter below as well.
            params["filter"] = "name eq %s" % name
        found = self.client.get("instances", params=params) or []
        instances = [instance_info(instance) for instance in found
                     if (name is None or instance["name"] == name) and (not statuses or instance.get("status") in statuses)]
        return dict(changed=False, instances=sorted(instances, key=lambda instance: instance["name"]))


def main():
    run_module(InstanceInfoManager, dict(name=dict(type="str"), status=dict(type="list", elements="str", choices=STATUSES)))


if __name__ == "__main__":
    main()
