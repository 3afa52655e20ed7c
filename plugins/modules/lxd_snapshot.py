#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_snapshot
short_description: Create, rename, expire, restore, delete and prune LXD instance snapshots
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
  - lxdkit.lxd.retention
options:
  instance:
    description: Name of the instance the snapshots belong to.
    type: str
    required: true
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
      - Only used when the snapshot is created or restored.
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
  new_name:
    description:
      - Rename the snapshot O(name) to this. When O(name) is gone and O(new_name) exists the
        rename counts as done.
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
  description: With O(state=restored), the instance's status before and after the restore.
  returned: when state is restored
  type: dict
  sample: {snapshot: before-upgrade, status_before: Running, status_after: Running, restarted: true}
deleted:
  description: With O(state=pruned), the snapshots deleted (to be deleted, in check mode), newest first, with their time.
  returned: when state is pruned
  type: list
  elements: dict
  sample: [{name: auto-3, time: "2026-11-20T02:00:00+00:00", reasons: []}]
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
"""

import collections
import time

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import KEEP_OPTIONS, check_policy, parse_lxd_time, retention_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._snapshots import check_match, glob_for_pattern, plan_prune, snapshot_view
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, parse_duration, parse_timestamp, to_lxd_time

# Rounds of one-at-a-time deletion after the concurrent pass (LXD's backup.yaml race).
SETTLE_ATTEMPTS = 5


class SnapshotManager(LxdManager):

    def run(self):
        self.instance_name = self.params["instance"]
        check_object_name("instance", self.instance_name)
        check_object_name("name", self.params["name"])
        check_object_name("new_name", self.params["new_name"])
        state = self.params["state"]
        if state != "pruned" and not self.params["name"]:
            raise LxdkitError("name is required when state is %s" % state)
        with self.instance_turn(self.instance_name):
            if state == "pruned":
                return self._prune()
            self.expiry = self._wanted_expiry_rule()
            self.instance = self._instance()
            return getattr(self, "_" + state)()

    # -- helpers ----------------------------------------------------------------------------

    def _instance(self):
        target = self.params["target"]
        if target and not self.client.server.get("environment", {}).get("server_clustered"):
            raise LxdkitError("target %r is for clustered LXD; the server at %s is standalone: leave target out" % (target, self.client.where))
        instance = self.client.find("instances/%s" % self.instance_name)
        if instance is None:
            raise LxdkitError("instance %r does not exist in project %s" % (self.instance_name, self.client.project))
        if target and instance.get("location") != target:
            raise LxdkitError("target %r: instance %s is on cluster member %r" % (target, self.instance_name, instance.get("location")))
        return instance

    def _path(self, name=None):
        return "instances/%s/snapshots%s" % (self.instance_name, "/" + name if name else "")

    def _wanted_expiry_rule(self):
        if self.params["expires_at"] and self.params["expiry"]:
            raise LxdkitError("give expires_at or expiry, not both")
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

    # -- states -----------------------------------------------------------------------------

    def _present(self):
        name = self.params["name"]
        current = self.client.find(self._path(name))
        new_name = self.params["new_name"]
        if new_name and new_name != name:
            current, name = self._rename(current, name, new_name)
        if current is None:
            return self._create(name)
        before = snapshot_view(current)
        expires_at = self._expiry_for(parse_lxd_time(current["created_at"]))
        after = dict(before)
        if expires_at is not None and not _same_time(before["expires_at"], expires_at):
            after["expires_at"] = expires_at
        self.reconciler.step("update", before, after,
                             lambda: self.client.send("PUT", self._path(name), {"expires_at": expires_at}))
        return self.reconciler.result(snapshot=self._final(name, after))

    def _create(self, name):
        expires_at = self._expiry_for(now())
        body = dict(name=name, stateful=self.params["stateful"])
        if expires_at is not None:
            body["expires_at"] = expires_at
        after = dict(name=name, created_at=None, expires_at=expires_at, last_used_at=None,
                     stateful=self.params["stateful"], size=None)
        self.reconciler.step("create", None, after, lambda: self._post_snapshot(name, body))
        return self.reconciler.result(snapshot=self._final(name, after))

    def _post_snapshot(self, name, body):
        # Two runs taking the same snapshot at once: the other one made it, which is the goal.
        self.client.send_when_free("POST", self._path(), body, done=lambda: self.client.find(self._path(name)) is not None)

    def _rename(self, current, name, new_name):
        renamed = self.client.find(self._path(new_name))
        if current is not None and renamed is not None:
            raise LxdkitError("cannot rename snapshot %r to %r: %s/%s exists already" % (name, new_name, self.instance_name, new_name))
        if current is None:
            if renamed is None:
                raise LxdkitError("cannot rename snapshot %r of %s: it does not exist" % (name, self.instance_name))
            return renamed, new_name
        before = snapshot_view(current)
        self.reconciler.step("rename", before, dict(before, name=new_name),
                             lambda: self.client.send("POST", self._path(name), {"name": new_name}))
        return dict(current, name=new_name), new_name

    def _absent(self):
        current = self.client.find(self._path(self.params["name"]))
        if current is not None:
            self.reconciler.step("delete", snapshot_view(current), None,
                                 lambda: self.client.send("DELETE", self._path(current["name"])))
        return self.reconciler.result(snapshot=None)

    def _restored(self):
        name = self.params["name"]
        current = self.client.find(self._path(name))
        if current is None:
            raise LxdkitError("cannot restore %s to snapshot %r: it does not exist" % (self.instance_name, name))
        status_before = self.instance.get("status")
        body = {"restore": name, "stateful": self.params["stateful"]}
        self.reconciler.action("restore", lambda: self.client.send("PUT", "instances/%s" % self.instance_name, body))
        status_after = status_before if self.reconciler.check_mode else self._instance().get("status")
        restore = dict(snapshot=name, status_before=status_before, status_after=status_after,
                       restarted=status_before == "Running" and not self.reconciler.check_mode)
        return self.reconciler.result(snapshot=snapshot_view(current), restore=restore)

    def _prune(self):
        policy = dict((option, self.params[option]) for option in KEEP_OPTIONS)
        check_policy(policy)
        if self.params["max_parallel"] < 1:
            raise LxdkitError("max_parallel must be 1 or more, got %d" % self.params["max_parallel"])
        instance = self._instance()
        match = self.params["match"] or glob_for_pattern(instance.get("expanded_config", {}).get("snapshots.pattern"))
        check_match(match)
        snapshots = self.client.get(self._path(), params={"recursion": "1"}) or []
        delete, kept, untouched = plan_prune(snapshots, policy, match, self.params["name_time_format"])
        before = dict(snapshots=sorted(snapshot["name"] for snapshot in snapshots))
        doomed = set(entry["name"] for entry in delete)
        after = dict(snapshots=[name for name in before["snapshots"] if name not in doomed])
        self.reconciler.step("prune", before, after, lambda: self._delete_all([entry["name"] for entry in delete]))
        return self.reconciler.result(snapshot=None, deleted=delete, kept=kept, untouched=untouched, match=match)

    def _delete_all(self, names):
        """Delete snapshots with up to max_parallel LXD operations running at once.

        LXD before 5.14 races when it rewrites the instance's backup.yaml during concurrent
        deletions of one instance's snapshots (canonical/lxd#11538): some operations fail with
        "snapshot record count doesn't match" although the snapshot is gone. Whatever is still
        listed afterwards is deleted one at a time, the last name always alone and last, so
        that LXD writes backup.yaml from the final, consistent state. Another run pruning the
        same instance at the same time makes the same races, and deletes some names first:
        those are simply gone.
        """
        if not names:
            return
        running = collections.deque()
        try:
            for name in names[:-1]:
                if len(running) >= self.params["max_parallel"]:
                    self._finish(running.popleft())
                try:
                    running.append((name, self.client.start("DELETE", self._path(name))))
                except LxdkitNotFound:
                    pass  # another run deleted it first
        finally:
            while running:
                self._finish(running.popleft())
        self._settle(names)

    def _settle(self, names):
        """Delete, one at a time, those of ``names`` LXD still lists; retry the backup.yaml race."""
        error = None
        for attempt in range(SETTLE_ATTEMPTS):
            existing = set(self._snapshot_names())
            left = [name for name in names if name in existing]
            if not left:
                return
            if attempt:
                time.sleep(0.2 * attempt)
            error = None
            for name in left:
                try:
                    self.client.send("DELETE", self._path(name))
                except LxdkitNotFound:
                    pass
                except LxdkitError as exc:
                    error = exc
        if error is not None or set(self._snapshot_names()) & set(names):
            raise error or LxdkitError("snapshots of %s are still listed after %d attempts to delete them" % (self.instance_name, SETTLE_ATTEMPTS))

    def _finish(self, started):
        """Wait for one started deletion; a failure is left for the settling pass."""
        name, operation = started
        try:
            self.client.wait(operation, "deleting snapshot %s/%s" % (self.instance_name, name))
        except LxdkitError:
            pass

    def _snapshot_names(self):
        return [url.rsplit("/", 1)[-1] for url in self.client.get(self._path()) or []]

    def _final(self, name, planned):
        if self.reconciler.changed and not self.reconciler.check_mode:
            return snapshot_view(self.client.get(self._path(name)))
        return planned


def _same_time(lxd_time, other):
    first, second = parse_lxd_time(lxd_time), parse_lxd_time(other)
    if first is None or second is None:
        return first is None and second is None
    return abs((first - second).total_seconds()) < 1


def main():
    spec = dict(
        instance=dict(type="str", required=True),
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
    run_module(SnapshotManager, spec, mutually_exclusive=[("expires_at", "expiry")])


if __name__ == "__main__":
    main()
