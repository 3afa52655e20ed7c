#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_snapshot
short_description: Create, rename, expire, restore, delete and prune snapshots of LXD instances and custom volumes
version_added: 0.1.0
description:
  - Manages the snapshots of one LXD instance.
  - O(state=present) makes a snapshot exist (and keeps its expiry as asked), O(state=absent)
    deletes it, O(state=restored) restores the instance to it, O(state=pruned) deletes old
    snapshots by a grandfather-father-son retention policy.
  - Scheduled snapshots are instance or profile config (C(snapshots.schedule),
    C(snapshots.schedule.stopped), C(snapshots.pattern), C(snapshots.expiry)); set them with
    M(lxdkit.lxd.lxd_profile) or M(lxdkit.lxd.lxd_instance), see the examples.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
  - lxdkit.lxd.retention
options:
  instance:
    description: Name of the instance the snapshots belong to. Give O(instance), or O(pool) and O(volume).
    type: str
  pool:
    description: With O(volume), the storage pool of the custom volume the snapshots belong to.
    type: str
  volume:
    description:
      - A custom storage volume the snapshots belong to, in O(pool) (C(lxc storage volume snapshot)).
        Every state works as for an instance; O(stateful) does not apply.
    type: str
  name:
    description:
      - Name of the snapshot. Required unless O(state=pruned).
      - A name with the time in it gives a new snapshot per run; see the examples.
    type: str
  state:
    description:
      - V(present), V(absent), V(restored) or V(pruned).
      - V(restored) is an action, not a state; each real run restores and reports a change;
        check mode only says it would. Restoring a running container makes LXD stop it, roll
        it back and start it again; the result says so in RV(restore).
    type: str
    choices: [present, absent, restored, pruned]
    default: present
  stateful:
    description:
      - Also save (or, with V(restored), restore) the running state of the processes. Needs
        CRIU on the LXD host; LXD refuses otherwise and the task fails with its message.
      - Only used when the snapshot is created or restored; not for a O(volume).
    type: bool
    default: false
  expires_at:
    description:
      - When LXD deletes the snapshot, as an ISO 8601 time (V(2026-12-31T00:00:00Z)).
        Mutually exclusive with O(expiry).
    type: str
  expiry:
    description:
      - How long after its creation the snapshot expires, as V(7d), V(12h), V(30m) or V(1w 2d)
        (units s, m, h, d, w). Counted from the snapshot's C(created_at), so reruns do not move it.
    type: str
  match:
    description:
      - With O(state=pruned), the glob of snapshot names that pruning may delete; others are
        never touched.
      - Default, the names LXD makes from the instance's C(snapshots.pattern) (for the default
        pattern C(snap%d), V(snap*)).
    type: str
  name_time_format:
    description:
      - With O(state=pruned), take each snapshot's time from its name with this strftime format
        (V(backup-%Y%m%d-%H%M)) instead of LXD's C(created_at); for snapshots copied or
        imported from elsewhere. Names that do not follow it are left alone. Times without a
        zone are UTC.
      - Needed to prune the snapshots of a O(volume) on LXD 5.0, which records no creation time
        for them (the task says so rather than keep them all).
    type: str
  max_parallel:
    description:
      - With O(state=pruned), how many deletions LXD runs at once. LXD deletes asynchronously;
        starting several and waiting for them together is much faster than one at a time.
    type: int
    default: 8
  target:
    description:
      - Cluster member that holds the instance. LXD finds the member by itself; with O(target)
        the task also checks it and fails, changing nothing, when the instance is elsewhere.
      - Only for a clustered LXD; a standalone server refuses it.
    type: str
notes:
  - Pruning never deletes a snapshot whose name does not match, and always keeps the newest
    matching one. The union of the O(keep_last) and O(keep_hourly) ... O(keep_yearly) rules is kept.
  - Runs on one machine that work on the same instance (this module, M(lxdkit.lxd.lxd_instance),
    M(lxdkit.lxd.lxd_backup)) take turns through a lock file in C(/tmp/lxdkit-locks-UID); LXD 5.0
    mishandles snapshots of one instance taken, deleted and exported at the same moment.
seealso:
  - module: lxdkit.lxd.lxd_snapshot_info
  - module: lxdkit.lxd.lxd_profile
"""

EXAMPLES = r"""
- name: Snapshot before an upgrade, kept for a week
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    name: before-upgrade
    expiry: 7d

- name: A new snapshot at every run, named after the time
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    name: "manual-{{ now(utc=true, fmt='%Y%m%d-%H%M%S') }}"

- name: Roll web01 back (LXD restarts it if it runs)
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    name: before-upgrade
    state: restored
  register: rollback

- name: Keep 7 daily, 4 weekly and 6 monthly automatic snapshots; the newest 3 always
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    state: pruned
    match: "auto-*"
    keep_last: 3
    keep_daily: 7
    keep_weekly: 4
    keep_monthly: 6

- name: Let LXD take and expire snapshots itself, for every instance with this profile
  lxdkit.lxd.lxd_profile:
    name: snapshotted
    merge_profile: true
    config:
      snapshots.schedule: "0 2 * * *"
      snapshots.schedule.stopped: false
      snapshots.pattern: auto-%d
      snapshots.expiry: 2w

- name: The same for one instance, with automatic names that carry the date
  lxdkit.lxd.lxd_instance:
    name: web01
    merge_config: true
    config:
      snapshots.schedule: "@hourly"
      snapshots.pattern: "auto-{{ '{{' }} creation_date|date:'2006-01-02_15-04' {{ '}}' }}"

- name: Tiered retention for those, timed by the date in the name (as for copies from elsewhere)
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    state: pruned
    match: "auto-*"
    name_time_format: auto-%Y-%m-%d_%H-%M
    keep_hourly: 24
    keep_daily: 14
    keep_yearly: 3

- name: What pruning would delete, without deleting
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    state: pruned
    keep_daily: 7
  check_mode: true
  register: prune_plan

- name: Rename a snapshot
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    name: before-upgrade
    new_name: release-1.2

- name: Delete it
  lxdkit.lxd.lxd_snapshot:
    instance: web01
    name: release-1.2
    state: absent

- name: A snapshot of a custom volume (lxc storage volume snapshot default shared-data)
  lxdkit.lxd.lxd_snapshot:
    pool: default
    volume: shared-data
    name: "manual-{{ now(utc=true, fmt='%Y%m%d') }}"

- name: Daily retention for the volume's snapshots, as for an instance
  lxdkit.lxd.lxd_snapshot:
    pool: default
    volume: shared-data
    state: pruned
    match: "manual-*"
    name_time_format: manual-%Y%m%d
    keep_daily: 7
    keep_weekly: 4
"""

RETURN = r"""
snapshot:
  description: The snapshot after the task (as it would be, in check mode); null when absent or pruned.
  returned: always
  type: dict
  sample: {name: before-upgrade, created_at: "2026-11-25T05:11:43.402010112Z", expires_at: "2026-12-02T05:11:43Z",
           last_used_at: null, stateful: false, size: null}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
restore:
  description: With O(state=restored), the instance's status before and after the restore (null for a O(volume)).
  returned: when state is restored
  type: dict
  sample: {snapshot: before-upgrade, status_before: Running, status_after: Running, restarted: true}
deleted:
  description:
    - With O(state=pruned), the snapshots deleted (to be deleted, in check mode), newest first,
      with the time pruning went by; the same shape as M(lxdkit.lxd.lxd_backup)'s RV(lxdkit.lxd.lxd_backup#module:deleted).
  returned: when state is pruned
  type: list
  elements: dict
  contains:
    name:
      description: Name of the snapshot.
      type: str
    time:
      description: Its time (C(created_at), or from the name with O(name_time_format)), ISO 8601.
      type: str
  sample: [{name: auto-3, time: "2026-11-20T02:00:00+00:00"}]
kept:
  description: With O(state=pruned), the matching snapshots kept, with the rules that keep each.
  returned: when state is pruned
  type: list
  elements: dict
  sample: [{name: auto-9, time: "2026-11-25T02:00:00+00:00", reasons: [last, daily, newest]}]
untouched:
  description: With O(state=pruned), the snapshots pruning left alone (name does not match, or no time in the name).
  returned: when state is pruned
  type: list
  elements: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import require_instance, require_volume
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import KEEP_OPTIONS, check_match, check_policy, parse_lxd_time, retention_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._snapshots import Snapshots, glob_for_pattern
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, parse_duration, parse_timestamp, to_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import snapshot_view


class SnapshotManager(LxdManager):

    def run(self):
        instance, volume, name, state = self.params["instance"], self.params["volume"], self.params["name"], self.params["state"]
        check_instance_name("instance", instance)
        for field in ("pool", "volume", "name", "new_name"):
            check_object_name(field, self.params[field])
        if state != "pruned" and not name:
            raise LxdkitError("name is required when state is %s" % state)
        if volume and self.params["stateful"]:
            raise LxdkitError("stateful: a volume snapshot holds no running state; leave stateful out with volume")
        if volume and self.params["target"]:
            raise LxdkitError("target: snapshots of volumes on one cluster member are not supported yet; leave target out with volume")
        if volume:
            self.snapshots = Snapshots.for_volume(self.client, self.reconciler, self.params["pool"], volume)
            self.owner = lambda: require_volume(self.client, self.params["pool"], volume)
        else:
            self.snapshots = Snapshots.for_instance(self.client, self.reconciler, instance)
            self.owner = lambda: require_instance(self.client, instance, self.params["target"])
        with self.instance_turn(instance or "volume %s/%s" % (self.params["pool"], volume)):
            if state == "pruned":
                return self._pruned()
            self.expiry = self._wanted_expiry_rule()
            self.status = self.owner().get("status")
            return getattr(self, "_" + state)(name)

    def _wanted_expiry_rule(self):
        if self.params["expires_at"]:
            return ("at", parse_timestamp("expires_at", self.params["expires_at"]))
        if self.params["expiry"]:
            return ("after", parse_duration("expiry", self.params["expiry"]))
        return None

    def _expiry_for(self, created_at):
        """The expires_at the snapshot should have, as LXD writes it; None: leave as it is."""
        if self.expiry is None:
            return None
        kind, value = self.expiry
        return to_lxd_time(value if kind == "at" else created_at + value)

    def _present(self, name):
        current = self.snapshots.find(name)
        new_name = self.params["new_name"]
        if new_name and new_name != name:
            current, name = self.snapshots.resources.rename(current, name, new_name)
        if current is None:
            stateful = None if self.params["volume"] else self.params["stateful"]
            planned = self.snapshots.create(name, stateful, self._expiry_for(now()))
            return self.reconciler.result(snapshot=snapshot_view(self.snapshots.resources.final(name, planned)))
        before = snapshot_view(current)
        expires_at = self._expiry_for(parse_lxd_time(current["created_at"]))
        after = dict(before)
        if expires_at is not None and not _same_time(before["expires_at"], expires_at):
            after["expires_at"] = expires_at
        self.snapshots.resources.update(before, after, {"expires_at": expires_at})
        return self.reconciler.result(snapshot=snapshot_view(self.snapshots.resources.final(name, after)))

    def _absent(self, name):
        self.snapshots.resources.delete(self.snapshots.find(name))
        return self.reconciler.result(snapshot=None)

    def _restored(self, name):
        current = self.snapshots.find(name)
        if current is None:
            raise LxdkitError("cannot restore %s to snapshot %r: it does not exist" % (self.snapshots.label, name))
        status_before = self.status  # None for a volume
        self.snapshots.restore(name, None if self.params["volume"] else self.params["stateful"])
        status_after = status_before if self.reconciler.check_mode else self.owner().get("status")
        restore = dict(snapshot=name, status_before=status_before, status_after=status_after,
                       restarted=status_before == "Running" and not self.reconciler.check_mode)
        return self.reconciler.result(snapshot=snapshot_view(current), restore=restore)

    def _pruned(self):
        policy = dict((option, self.params[option]) for option in KEEP_OPTIONS)
        check_policy(policy)
        if self.params["max_parallel"] < 1:
            raise LxdkitError("max_parallel must be 1 or more, got %d" % self.params["max_parallel"])
        owner = self.owner()
        # An instance's pattern may come from a profile; a volume has only its own config.
        config = owner.get("expanded_config") or owner.get("config") or {}
        match = self.params["match"] or glob_for_pattern(config.get("snapshots.pattern"))
        check_match(match)
        deleted, kept, untouched = self.snapshots.prune(policy, match, self.params["name_time_format"], self.params["max_parallel"])
        return self.reconciler.result(snapshot=None, deleted=deleted, kept=kept, untouched=untouched, match=match)


def _same_time(lxd_time, other):
    first, second = parse_lxd_time(lxd_time), parse_lxd_time(other)
    if first is None or second is None:
        return first is None and second is None
    return abs((first - second).total_seconds()) < 1


def main():
    spec = dict(
        instance=dict(type="str"),
        pool=dict(type="str"),
        volume=dict(type="str"),
        name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent", "restored", "pruned"], default="present"),
        stateful=dict(type="bool", default=False),
        expires_at=dict(type="str"),
        expiry=dict(type="str"),
        new_name=dict(type="str"),
        match=dict(type="str"),
        name_time_format=dict(type="str"),
        max_parallel=dict(type="int", default=8),
        target=dict(type="str"),
    )
    spec.update(retention_argument_spec())
    run_module(SnapshotManager, spec, mutually_exclusive=[("expires_at", "expiry"), ("instance", "volume")],
               required_one_of=[("instance", "volume")], required_together=[("pool", "volume")])


if __name__ == "__main__":
    main()
