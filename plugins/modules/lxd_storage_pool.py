#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_storage_pool
short_description: Manage LXD storage pools
version_added: 0.1.0
description:
  - Creates, updates and deletes LXD storage pools (C(lxc storage create/set/delete)).
  - Storage pools belong to the whole LXD server, not to a project.
  - Config keys that take effect only when a pool is created are refused, naming the key, when the
    task would change them on an existing pool, before anything is sent to LXD. They are
    C(source) (every driver), C(size) (C(btrfs), C(lvm), C(zfs), since LXD 5.0 uses it only to make
    the loop file of a new pool), C(zfs.pool_name), C(lvm.vg_name), C(lvm.thinpool_name),
    C(lvm.use_thinpool), C(lvm.thinpool_metadata_size), C(ceph.cluster_name),
    C(ceph.osd.pool_name), C(ceph.osd.data_pool_name), C(ceph.osd.pg_num), C(cephfs.cluster_name)
    and C(cephfs.path). LXD itself would rename the volume group or thin pool on the host for
    C(lvm.vg_name) and C(lvm.thinpool_name); this module does not, since the host may use them
    elsewhere.
  - Those keys, and the keys LXD fills in when a pool is created without them (C(source) and
    C(size) of a loop pool, C(ceph.user.name), C(cephfs.user.name)), keep the pool's values when
    O(config) does not list them, so reruns are no-ops; so do LXD's own C(volatile.*) keys.
  - A pool's driver cannot change, and LXD 5.0 cannot rename a storage pool, so there is no
    O(ignore:new_name) option; create a pool under the new name and move the volumes to it.
  - Deleting a pool that instances, profiles or custom volumes use fails with the list of users
    and changes nothing. Image copies cached in the pool do not count, since LXD deletes them with it.
  - The integration tests cover the V(dir) and V(btrfs) drivers (a loop pool) on a standalone LXD
    5.0; V(lvm), V(zfs), V(ceph), V(cephfs) and O(target) follow LXD's documented keys and are
    covered by unit tests only.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  name:
    description: Name of the storage pool.
    type: str
    required: true
  driver:
    description:
      - Storage driver, needed to create a pool (the drivers of LXD 5.0). The server must support
        it (C(lxc info) lists its storage drivers); an existing pool's driver cannot change.
    type: str
    choices: [dir, btrfs, lvm, zfs, ceph, cephfs]
  description:
    description: Description. Not managed when not given.
    type: str
  config:
    description:
      - Pool config (C(source), C(size), C(btrfs.mount_options), C(rsync.bwlimit),
        C(volume.size) and the other C(volume.*) defaults for new volumes, C(zfs.pool_name),
        C(lvm.vg_name), C(ceph.osd.pool_name), ...). Numbers and booleans become strings.
        Not managed when not given.
      - Keys of another driver (C(zfs.*) on a btrfs pool) are refused.
    type: dict
  merge_config:
    description:
      - V(true) keeps config keys that O(config) does not list; V(false) (default) removes them
        (apart from the keys LXD fills in and the create-only keys).
    type: bool
    default: false
  state:
    description: V(present) or V(absent).
    type: str
    choices: [present, absent]
    default: present
  target:
    description:
      - Cluster member, for a clustered LXD only (a standalone server is refused). With it,
        O(config) holds only that member's own keys (C(source), C(size), C(zfs.pool_name),
        C(lvm.vg_name), C(lvm.thinpool_name)), keys it does not list are kept, and a new pool is
        only defined (pending) on that member; once it is defined on every member, a task
        without O(target) creates it. In a cluster, those keys go only with O(target) or
        O(member_config).
      - Mutually exclusive with O(member_config).
    type: str
  member_config:
    description:
      - Cluster members' own keys, by member name (C(source), C(size), C(zfs.pool_name),
        C(lvm.vg_name), C(lvm.thinpool_name)), for a clustered LXD only (one task instead of one
        per member). The pool is defined (pending) on every member that lacks a definition, with
        the keys given here (none for a member left out), then created for the whole cluster with
        O(config), which then holds only the shared keys.
      - On later runs each member's listed keys are compared and changed (C(PATCH) with that
        member as target); create-only keys (C(source), C(size), ...) are refused as in O(config).
      - A member name that is not in the cluster, or a key that is not per member, is refused
        before anything is sent. The diff and RV(member_config) show each member's keys.
    type: dict
notes:
  - Options follow community.general.lxd_storage_pool (O(name), O(driver), O(config),
    O(description), O(state), O(target), O(project)), and RV(old_state) and RV(actions)
    are returned alike. Unlike it, O(config) is the whole config unless O(merge_config=true), and
    diff mode shows the pool before and after.
seealso:
  - module: lxdkit.lxd.lxd_storage_pool_info
  - name: LXD storage drivers
    description: The config keys of each driver.
    link: https://documentation.ubuntu.com/lxd/stable-5.0/reference/storage_drivers/
"""

EXAMPLES = r"""
- name: A directory pool on an existing directory
  lxdkit.lxd.lxd_storage_pool:
    name: data
    driver: dir
    description: Data on /srv/lxd
    config:
      source: /srv/lxd

- name: A 20 GiB loop-file btrfs pool with compression and a default volume quota
  lxdkit.lxd.lxd_storage_pool:
    name: fast
    driver: btrfs
    config:
      size: 20GiB
      btrfs.mount_options: compress=zstd
      volume.size: 5GiB

- name: A zfs pool on a whole disk
  lxdkit.lxd.lxd_storage_pool:
    name: tank
    driver: zfs
    config:
      source: /dev/sdb
      zfs.pool_name: lxdtank

- name: Change one key, keeping the rest
  lxdkit.lxd.lxd_storage_pool:
    name: fast
    merge_config: true
    config:
      rsync.bwlimit: 50MB

- name: A cluster pool, defined on each member, then created
  lxdkit.lxd.lxd_storage_pool:
    name: local2
    driver: zfs
    target: "{{ item.member }}"
    config:
      source: "{{ item.disk }}"
  loop:
    - {member: node1, disk: /dev/sdb}
    - {member: node2, disk: /dev/sdc}

- name: Create the cluster pool on every member
  lxdkit.lxd.lxd_storage_pool:
    name: local2
    driver: zfs

- name: The same cluster pool in one task, each member's disk in member_config
  lxdkit.lxd.lxd_storage_pool:
    name: local2
    driver: zfs
    config:
      volume.size: 10GiB
    member_config:
      node1: {source: /dev/sdb}
      node2: {source: /dev/sdc}

- name: Delete a pool (fails while instances, profiles or volumes use it)
  lxdkit.lxd.lxd_storage_pool:
    name: data
    state: absent
"""

RETURN = r"""
storage_pool:
  description:
    - The pool as LXD has it after the task (planned in check mode); null when absent.
    - C(used_by) is a list, empty when nothing uses the pool (LXD 5.0 says null).
  returned: always
  type: dict
  sample:
    name: fast
    driver: btrfs
    description: ""
    config: {size: 20GiB, source: /var/lib/lxd/disks/fast.img, btrfs.mount_options: compress=zstd}
    status: Created
    locations: [none]
    used_by: [/1.0/instances/web01]
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
member_config:
  description: Each member's keys that O(member_config) manages, as they are after the task (planned in check mode).
  returned: when O(member_config) is given
  type: dict
  sample: {node1: {source: /dev/sdb}, node2: {source: /dev/sdc}}
old_state:
  description: Whether the pool existed before the task, as community.general.lxd_storage_pool reports it.
  returned: always
  type: str
  sample: absent
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
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import check_target
from ansible_collections.lxdkit.lxd.plugins.module_utils._storage import (
    DRIVERS,
    MEMBER_KEYS,
    STORAGE_POOL_CONFIG_RULES,
    blocking_users,
    check_create_only,
    check_driver_available,
    check_keys_for_driver,
    check_member_keys,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import storage_pool_view


class StoragePoolManager(LxdManager):

    def run(self):
        name, target = self.params["name"], self.params["target"]
        check_object_name("name", name)
        config = string_map("config", self.params["config"])
        environment = self.client.server.get("environment", {})
        check_target(self.client, target)
        member_config = self.params["member_config"]
        if member_config is None:
            check_member_keys(target, environment, self.client.where, config)
        else:
            per_member = per_member_config(self.client, "member_config", member_config, MEMBER_KEYS, "storage pool")
            shared_config_only("config", config, MEMBER_KEYS)
        pools = self.resources("storage pool", "storage-pools", storage_pool_view, params={"target": target} if target else None)
        current = pools.find(name)
        old_state = "present" if current else "absent"
        if self.params["state"] == "absent":
            pools.delete_unused(current and dict(current, used_by=blocking_users(current.get("used_by"))))
            return self.reconciler.result(storage_pool=None, old_state=old_state)
        driver = self._driver(name, current, environment)
        check_keys_for_driver(driver, config)
        if member_config is not None:
            for member_keys in per_member.values():
                check_keys_for_driver(driver, member_keys)
            return self._cluster_pool(pools, name, driver, current, config, per_member, old_state)
        before = storage_pool_view(current) or dict(name=name, driver=driver, description="", config={})
        # A member's task manages only the keys it lists: LXD keeps the pool's shared keys apart.
        merge = self.params["merge_config"] or bool(target)
        wanted = dict(before, config=desired_map(before["config"], config, merge, **STORAGE_POOL_CONFIG_RULES))
        if self.params["description"] is not None:
            wanted["description"] = self.params["description"]
        if current is None:
            pools.create(wanted, target=target)
            planned = dict(wanted, status="Pending" if target else "Created", locations=[target] if target else ["none"], used_by=[])
        elif current.get("status") == "Pending" and not target:
            # Defined on the members: a POST without target creates it for the cluster.
            self.reconciler.step("create", dict(before, status="Pending"), dict(wanted, status="Created"),
                                 lambda: self.client.send("POST", "storage-pools", wanted))
            planned = dict(current, status="Created", **wanted)
        else:
            check_create_only(name, driver, current.get("status"), before["config"], wanted["config"])
            pools.update(before, wanted, dict(description=wanted["description"], config=wanted["config"]))
            planned = dict(current, **wanted)
        pool = pools.final(name, planned)
        # LXD 5.0 says null for a pool nothing uses.
        return self.reconciler.result(storage_pool=dict(pool, used_by=list(pool.get("used_by") or [])), old_state=old_state)

    def _cluster_pool(self, pools, name, driver, current, config, per_member, old_state):
        """The pool with member_config: defined on each member, then created; or each member's
        keys and the shared part brought to the task."""
        def shared(state):
            wanted = dict(state, config=desired_map(state["config"], config, self.params["merge_config"], **STORAGE_POOL_CONFIG_RULES))
            if self.params["description"] is not None:
                wanted["description"] = self.params["description"]
            return wanted

        def check_member(member, current_keys, wanted_keys):
            try:
                check_create_only(name, driver, "Created", current_keys, wanted_keys)
            except LxdkitError as exc:
                raise LxdkitError("member_config.%s: %s" % (member, exc.msg))

        def check_shared(state, wanted):
            check_create_only(name, driver, state["status"], state["config"], wanted["config"])

        planned = MemberDefinitions(pools, name, per_member).reconcile(
            current, storage_pool_view, dict(name=name, driver=driver), shared, check_member, check_shared)
        pool = pools.final(name, dict(current or {}, locations=sorted(per_member), used_by=[], **planned))
        pool = dict(pool, used_by=list(pool.get("used_by") or []))
        return self.reconciler.result(storage_pool=pool, member_config=planned["member_config"], old_state=old_state)

    def _driver(self, name, current, environment):
        """The pool's driver: the existing pool's, or the one asked for a new pool."""
        driver = self.params["driver"]
        if current is not None:
            if driver and driver != current.get("driver"):
                raise LxdkitError("driver: storage pool %s uses the %s driver and LXD cannot change a pool's driver to %s; "
                                  "create a pool with the %s driver and move the volumes to it" % (name, current.get("driver"), driver, driver))
            return current.get("driver")
        if not driver:
            raise LxdkitError("driver: storage pool %s does not exist; give its driver (%s) to create it" % (name, ", ".join(DRIVERS)))
        check_driver_available(driver, environment, self.client.where)
        return driver


def main():
    run_module(
        StoragePoolManager,
        dict(
            name=dict(type="str", required=True),
            driver=dict(type="str", choices=list(DRIVERS)),
            description=dict(type="str"),
            config=dict(type="dict"),
            merge_config=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            target=dict(type="str"),
            member_config=dict(type="dict"),
        ),
        mutually_exclusive=[("target", "member_config")],
    )


if __name__ == "__main__":
    main()
