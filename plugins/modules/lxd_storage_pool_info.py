#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_storage_pool_info
short_description: List LXD storage pools with their space and inodes
version_added: 0.1.0
description:
  - Returns the storage pools of an LXD server, sorted by name, with driver, config, status, users
    and the space and inodes they use and have (C(lxc storage info)). Changes nothing.
  - Each pool has the keys community.general.lxd_storage_pool_info returns (C(name), C(driver),
    C(description), C(config), C(status), C(locations), C(used_by)), and C(resources) on top.
    Unlike that module, a O(name) that does not exist gives an empty list rather than a failure,
    as the other info modules of this collection do.
  - Storage pools belong to the whole server, so O(project) does not narrow the list.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.info
options:
  name:
    description: Only this pool (the list is empty when it does not exist).
    type: str
  driver:
    description:
      - Only pools with one of these drivers (V(dir), V(btrfs), V(lvm), V(zfs), V(ceph),
        V(cephfs)); all when not given or empty.
      - O(type) is the name community.general.lxd_storage_pool_info gives it.
    type: list
    elements: str
    aliases: [type]
seealso:
  - module: lxdkit.lxd.lxd_storage_pool
"""

EXAMPLES = r"""
- name: List the storage pools
  lxdkit.lxd.lxd_storage_pool_info:
  register: pools

- name: Warn about pools more than 80% full
  ansible.builtin.debug:
    msg: "{{ item.name }} is {{ (100 * item.resources.space.used / item.resources.space.total) | round(1) }}% full"
  loop: "{{ pools.storage_pools | selectattr('resources') | list }}"
  loop_control:
    label: "{{ item.name }}"
  when: item.resources.space.total > 0 and item.resources.space.used / item.resources.space.total > 0.8

- name: The btrfs and zfs pools only
  lxdkit.lxd.lxd_storage_pool_info:
    driver: [btrfs, zfs]
  register: cow_pools
"""

RETURN = r"""
storage_pools:
  description: The pools, sorted by name; empty when none matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Pool name.
      type: str
    driver:
      description: Storage driver.
      type: str
    description:
      description: Description; empty when none.
      type: str
    config:
      description: The pool's config, as LXD stores it (strings).
      type: dict
    status:
      description: V(Created), V(Pending) (a cluster pool not created on every member yet), V(Errored) or V(Unknown).
      type: str
    locations:
      description: The cluster members that have the pool; V([none]) on a standalone server.
      type: list
      elements: str
    used_by:
      description: The instances, profiles, volumes and cached images that use the pool (an empty list, never null).
      type: list
      elements: str
    resources:
      description:
        - Space and inodes, in bytes and inodes, as LXD reports them (C(GET /1.0/storage-pools/NAME/resources)).
        - Null when LXD cannot report them (a pending or unavailable pool). Drivers that do not
          count inodes (btrfs) report 0 for them.
      type: dict
      contains:
        space:
          description: C(used) and C(total) bytes.
          type: dict
        inodes:
          description: C(used) and C(total) inodes.
          type: dict
  sample:
    - name: default
      driver: dir
      description: ""
      config: {source: /var/lib/lxd/storage-pools/default}
      status: Created
      locations: [none]
      used_by: [/1.0/instances/web01, /1.0/profiles/default]
      resources: {space: {used: 2254659584, total: 52576092160}, inodes: {used: 91402, total: 3276800}}
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import storage_pool_info


class StoragePoolInfoManager(LxdManager):

    def run(self):
        name, drivers = self.params["name"], self.params["driver"] or []
        check_object_name("name", name)
        if name is None:
            pools = self.client.get("storage-pools", params={"recursion": 1}) or []
        else:
            pools = [pool for pool in [self.client.find("storage-pools/%s" % name)] if pool is not None]
        pools = sorted((pool for pool in pools if not drivers or pool.get("driver") in drivers), key=lambda pool: pool["name"])
        return dict(changed=False, storage_pools=[storage_pool_info(pool, self._resources(pool)) for pool in pools])

    def _resources(self, pool):
        """Space and inodes; None when the pool is not usable or LXD says it cannot tell."""
        if pool.get("status") != "Created":
            return None
        try:
            return self.client.get("storage-pools/%s/resources" % pool["name"])
        except LxdkitError as exc:
            if exc.details.get("status") is None:  # no answer from LXD: not the pool's doing
                raise
            return None


def main():
    run_module(StoragePoolInfoManager, dict(name=dict(type="str"), driver=dict(type="list", elements="str", aliases=["type"])))


if __name__ == "__main__":
    main()
