#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_snapshot_info
short_description: List the snapshots of an LXD instance
version_added: 0.1.0
description:
  - Returns an instance's snapshots, oldest first, with creation and expiry times, whether they
    are stateful and their size where LXD reports it. Changes nothing.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.info
options:
  instance:
    description: Name of the instance.
    type: str
    required: true
  name:
    description: Only this snapshot (the list is empty when it does not exist).
    type: str
seealso:
  - module: lxdkit.lxd.lxd_snapshot
"""

EXAMPLES = r"""
- name: List web01's snapshots
  lxdkit.lxd.lxd_snapshot_info:
    instance: web01
  register: web01_snapshots

- name: Show the names of those that expire
  ansible.builtin.debug:
    msg: "{{ web01_snapshots.snapshots | selectattr('expires_at') | map(attribute='name') | list }}"
"""

RETURN = r"""
snapshots:
  description: The snapshots, oldest first. Times are LXD's RFC 3339 strings; null where LXD has none.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Snapshot name.
      type: str
    created_at:
      description: When LXD took the snapshot.
      type: str
    expires_at:
      description: When LXD deletes it; null when it never expires.
      type: str
    last_used_at:
      description: When it was last used (restored or copied); null when never.
      type: str
    stateful:
      description: Whether it holds the running state.
      type: bool
    size:
      description: Size in bytes; null when the storage driver does not report it (dir does not).
      type: int
  sample: [{name: snap0, created_at: "2026-11-25T05:11:43.402010112Z", expires_at: null,
            last_used_at: null, stateful: false, size: null}]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import require_instance
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._snapshots import Snapshots
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import snapshot_view


class SnapshotInfoManager(LxdManager):

    def run(self):
        instance, name = self.params["instance"], self.params["name"]
        check_instance_name("instance", instance)
        check_object_name("name", name)
        require_instance(self.client, instance)
        snapshots = Snapshots.for_instance(self.client, self.reconciler, instance).listed()
        views = [snapshot_view(snapshot) for snapshot in snapshots if name is None or snapshot["name"] == name]
        views.sort(key=lambda view: (parse_lxd_time(view["created_at"]), view["name"]))
        return dict(changed=False, snapshots=views)


def main():
    run_module(SnapshotInfoManager, dict(instance=dict(type="str", required=True), name=dict(type="str")))


if __name__ == "__main__":
    main()
