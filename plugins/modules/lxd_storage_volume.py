#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_storage_volume
short_description: Manage LXD custom storage volumes
version_added: 0.2.0
description:
  - Creates, updates, copies, renames, moves between pools and deletes custom storage volumes
    (C(lxc storage volume create/set/copy/rename/move/delete)).
  - Attach a volume to containers with a C(disk) device on a profile or an instance
    (C(pool), C(source), C(path)), see the examples; LXD lists the users in the C(used_by) of RV(storage_volume)
    and a volume in use is never deleted.
  - Snapshots of a volume, their pruning and volume backups are the work of
    M(lxdkit.lxd.lxd_snapshot) and M(lxdkit.lxd.lxd_backup) with O(lxdkit.lxd.lxd_snapshot#module:pool)
    and O(lxdkit.lxd.lxd_snapshot#module:volume).
  - Tested against LXD's C(dir) and C(btrfs) drivers; the others take the same API.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
options:
  name:
    description: Name of the volume.
    type: str
    required: true
  pool:
    description: Storage pool the volume is in (or, with O(from_pool), is moved to).
    type: str
    required: true
  content_type:
    description:
      - V(filesystem) (mounted in containers) or V(block) (for virtual machines). Set when the
        volume is created (default V(filesystem), or the type of O(source)); LXD cannot change
        it afterwards, so a different value fails.
    type: str
    choices: [filesystem, block]
  description:
    description: Description of the volume. Not managed when not given.
    type: str
  config:
    description:
      - Volume config (C(size), C(snapshots.schedule), C(snapshots.expiry), C(snapshots.pattern),
        C(security.shifted), C(security.unmapped), C(block.filesystem), ...). Numbers and booleans
        are converted to the strings LXD wants. Not managed when not given.
      - Keys LXD fills in from the pool's C(volume.*) defaults (C(size), C(block.filesystem),
        C(block.mount_options)) stay as they are when not written.
    type: dict
  merge_config:
    description: V(true) keeps config keys that are not listed; V(false) makes O(config) the whole truth.
    type: bool
    default: false
  source:
    description:
      - Create the volume as a copy of this volume, V(VOLUME) in O(pool) or V(POOL/VOLUME)
        (C(lxc storage volume copy)). Used only when the volume does not exist.
    type: str
  volume_only:
    description: With O(source), copy the volume without its snapshots.
    type: bool
    default: false
  from_pool:
    description:
      - Move the volume O(name) from this pool to O(pool) (C(lxc storage volume move)).
      - When it is gone from O(from_pool) and exists in O(pool), the move counts as done; when it
        exists in both, or neither, the task fails and changes nothing. Mutually exclusive with O(new_name).
      - LXD moves only volumes that no running instance uses.
    type: str
  state:
    description: V(present) or V(absent). A volume that instances or profiles use is not deleted; the error lists them.
    type: str
    choices: [present, absent]
    default: present
  target:
    description: Cluster member that holds the volume (volumes on local pools of a cluster). Only for a clustered LXD.
    type: str
seealso:
  - module: lxdkit.lxd.lxd_storage_volume_info
  - module: lxdkit.lxd.lxd_snapshot
  - module: lxdkit.lxd.lxd_backup
"""

EXAMPLES = r"""
- name: A shared volume of 2 GiB (lxc storage volume create default shared-data size=2GiB)
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data
    pool: default
    config:
      size: 2GiB
      snapshots.schedule: "@daily"
      snapshots.expiry: 2w

- name: Attach it to every web server (a disk device on their profile)
  lxdkit.lxd.lxd_profile:
    name: web-server
    merge_profile: true
    devices:
      shared:
        type: disk
        pool: default
        source: shared-data
        path: /shared

- name: A copy on another pool, without its snapshots
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: fast
    source: default/shared-data
    volume_only: true

- name: Move it back to the default pool
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: default
    from_pool: fast

- name: Delete it
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: default
    state: absent
"""

RETURN = r"""
storage_volume:
  description: The volume after the task (planned in check mode) with its C(pool); null when absent.
  returned: always
  type: dict
  sample: {name: shared-data, pool: default, type: custom, content_type: filesystem, description: "",
           config: {size: 2GiB}, used_by: [/1.0/profiles/web-server], location: none}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import check_target, require_pool
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import volume_view
from ansible_collections.lxdkit.lxd.plugins.module_utils._volumes import CONTENT_TYPES, VOLUME_CONFIG_RULES, copy_source, volumes_path


class StorageVolumeManager(LxdManager):

    def run(self):
        name, pool = self.params["name"], self.params["pool"]
        for field in ("name", "pool", "new_name", "from_pool"):
            check_object_name(field, self.params[field])
        config = string_map("config", self.params["config"])
        check_target(self.client, self.params["target"])
        require_pool(self.client, pool)
        volumes = self._volumes(pool)
        current = volumes.find(name)
        if self.params["state"] == "absent":
            volumes.delete_unused(current)
            return self.reconciler.result(storage_volume=None)
        if self.params["from_pool"] and self.params["from_pool"] != pool:
            current, name = self._move(name, pool, volumes)
        elif self.params["new_name"] and self.params["new_name"] != name:
            current, name = volumes.rename(current, name, self.params["new_name"])
        source, origin = self._source(pool) if current is None else (None, None)
        # A new volume starts empty, or as the original of a copy (lxc storage volume copy).
        before = volume_view(current, pool) or dict(volume_view(origin, pool) or dict(description="", content_type="filesystem", config={}),
                                                    name=name, pool=pool)
        content_type = self.params["content_type"]
        if current is None and content_type:
            before["content_type"] = content_type
        elif content_type and content_type != before["content_type"]:
            raise LxdkitError("content_type: volume %s/%s is a %s volume and LXD cannot change that to %s"
                              % (pool, name, before["content_type"], content_type))
        wanted = dict(before, config=desired_map(before["config"], config, self.params["merge_config"], **VOLUME_CONFIG_RULES))
        if self.params["description"] is not None:
            wanted["description"] = self.params["description"]
        body = dict(description=wanted["description"], config=wanted["config"])
        if current is None:
            created = dict((key, value) for key, value in wanted.items() if key != "pool")
            volumes.create(wanted, dict(created, source=source) if source else created, target=self.params["target"])
            planned = dict(wanted, type="custom", used_by=[], location="none")
        else:
            volumes.update(before, wanted, body)
            planned = dict(current, **wanted)
        return self.reconciler.result(storage_volume=dict(volumes.final(name, planned), pool=pool))

    def _volumes(self, pool):
        target = self.params["target"]
        return self.resources("volume", volumes_path(pool), lambda volume: volume_view(volume, pool), params={"target": target} if target else None)

    def _move(self, name, pool, volumes):
        """Move from O(from_pool) by the rename rule; returns the volume and its name."""
        origin_pool = self.params["from_pool"]
        require_pool(self.client, origin_pool, "from_pool")
        origin = self._volumes(origin_pool)
        what = "from_pool: cannot move volume %r from pool %s to pool %s" % (name, origin_pool, pool)
        return origin.move(origin.find(name), name, volumes, name, {"name": name, "pool": pool}, what)

    def _source(self, pool):
        """The copy source and the volume a copy starts from (both None without O(source))."""
        if not self.params["source"]:
            return None, None
        source = copy_source(self.params["source"], pool, self.params["volume_only"])
        origin = self.client.find("%s/%s" % (volumes_path(source["pool"]), source["name"]))
        if origin is None:
            raise LxdkitError("source: volume %s/%s does not exist in project %s" % (source["pool"], source["name"], self.client.project))
        return source, origin


def main():
    run_module(
        StorageVolumeManager,
        dict(
            name=dict(type="str", required=True),
            pool=dict(type="str", required=True),
            content_type=dict(type="str", choices=list(CONTENT_TYPES)),
            description=dict(type="str"),
            config=dict(type="dict"),
            merge_config=dict(type="bool", default=False),
            source=dict(type="str"),
            volume_only=dict(type="bool", default=False),
            from_pool=dict(type="str"),
            new_name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            target=dict(type="str"),
        ),
        mutually_exclusive=[("new_name", "from_pool")],
    )


if __name__ == "__main__":
    main()
