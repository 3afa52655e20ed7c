#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_storage_volume_info
short_description: List the storage volumes of an LXD storage pool
version_added: 0.2.0
description:
  - Returns the volumes of one storage pool (custom volumes, and the volumes of instances and
    images), as LXD describes them, with the number of their snapshots. Changes nothing.
  - Takes the options of community.general.lxd_storage_volume_info (O(pool), O(name), O(type))
    and returns its RV(storage_volumes), so its tasks run with only the module name changed.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.info
options:
  pool:
    description: The storage pool.
    type: str
    required: true
  name:
    description: Only the volume of this name; the task fails when there is none (as in community.general).
    type: str
  type:
    description: Only volumes of this type.
    type: str
    choices: [custom, container, virtual-machine, image]
seealso:
  - module: lxdkit.lxd.lxd_storage_volume
"""

EXAMPLES = r"""
- name: The custom volumes of the default pool
  lxdkit.lxd.lxd_storage_volume_info:
    pool: default
    type: custom
  register: volumes

- name: Who uses shared-data
  ansible.builtin.debug:
    msg: "{{ (volumes.storage_volumes | selectattr('name', 'eq', 'shared-data') | first).used_by }}"
"""

RETURN = r"""
storage_volumes:
  description: The volumes, sorted by type and name, as LXD returns them, plus their pool and snapshot count.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the volume (for an instance's volume, the instance's name).
      type: str
    type:
      description: V(custom), V(container), V(virtual-machine) or V(image).
      type: str
    content_type:
      description: V(filesystem) or V(block).
      type: str
    config:
      description: The volume's config.
      type: dict
    description:
      description: Its description.
      type: str
    used_by:
      description: API paths of the instances and profiles that use it.
      type: list
      elements: str
    location:
      description: Cluster member that holds it (V(none) on a standalone server).
      type: str
    pool:
      description: The storage pool.
      type: str
    snapshots_count:
      description: How many snapshots it has.
      type: int
  sample: [{name: shared-data, type: custom, content_type: filesystem, config: {size: 2GiB}, description: "",
            used_by: [/1.0/profiles/web-server], location: none, pool: default, snapshots_count: 2}]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import require_pool


class StorageVolumeInfoManager(LxdManager):

    def run(self):
        pool, name, kind = self.params["pool"], self.params["name"], self.params["type"]
        check_object_name("pool", pool)
        check_object_name("name", name)
        require_pool(self.client, pool)
        listed = self.client.get("storage-pools/%s/volumes" % pool, params={"recursion": "1"}) or []
        # LXD lists snapshots as volumes named OWNER/SNAPSHOT: they are counted, not listed.
        snapshots = {}
        for volume in listed:
            owner, _sep, snapshot = volume["name"].partition("/")
            if snapshot:
                snapshots[(volume["type"], owner)] = snapshots.get((volume["type"], owner), 0) + 1
        volumes = [dict(volume, pool=pool, snapshots_count=snapshots.get((volume["type"], volume["name"]), 0))
                   for volume in listed if "/" not in volume["name"]
                   and (name is None or volume["name"] == name) and (kind is None or volume["type"] == kind)]
        if name is not None and not volumes:
            raise LxdkitError("name: no %svolume %r in storage pool %s (project %s)" % (kind + " " if kind else "", name, pool, self.client.project))
        volumes.sort(key=lambda volume: (volume["type"], volume["name"]))
        return dict(changed=False, storage_volumes=volumes)


def main():
    run_module(StorageVolumeInfoManager, dict(
        pool=dict(type="str", required=True),
        name=dict(type="str"),
        type=dict(type="str", choices=["custom", "container", "virtual-machine", "image"]),
    ))


if __name__ == "__main__":
    main()
