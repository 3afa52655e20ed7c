# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots of instances and custom volumes: create, restore, prune with concurrent deletions,
and the glob that matches the names LXD makes for automatic snapshots."""

from __future__ import annotations

import collections
import fnmatch
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import Resources
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time, plan_prune
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import snapshot_view


# LXD's automatic names: snapshots.pattern is a pongo2 template ("auto-{{ creation_date|date:'2006-01-02' }}")
# or uses %d for a counter ("snap%d", the default).
_TEMPLATE_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|%d")
DEFAULT_PATTERN = "snap%d"
# Rounds of one-at-a-time deletion after the concurrent pass (LXD's backup.yaml race).
SETTLE_ATTEMPTS = 5


def glob_for_pattern(pattern):
    """The glob that matches the names LXD makes from a ``snapshots.pattern``."""
    glob = _TEMPLATE_PART.sub("*", pattern or DEFAULT_PATTERN)
    return glob if glob != pattern else glob + "*"


class Snapshots:
    """The snapshots of one instance or custom volume (``for_instance``, ``for_volume``): the
    LXD calls of lxd_snapshot and lxd_storage_volume, as shared lifecycle steps (``Resources``).
    LXD gives both the same API under their owner's path."""

    def __init__(self, client, reconciler, owner, label):
        self.client = client
        self.reconciler = reconciler
        self.owner = owner  # API path: instances/web01, storage-pools/default/volumes/custom/data
        self.label = label  # for messages: web01, volume default/data
        self.resources = Resources(client, reconciler, "snapshot", owner + "/snapshots", snapshot_view)

    @classmethod
    def for_instance(cls, client, reconciler, instance):
        return cls(client, reconciler, "instances/%s" % instance, instance)

    @classmethod
    def for_volume(cls, client, reconciler, pool, volume):
        return cls(client, reconciler, "storage-pools/%s/volumes/custom/%s" % (pool, volume), "volume %s/%s" % (pool, volume))

    def path(self, name=None):
        return self.resources.path(name) if name else self.resources.collection

    def find(self, name):
        return self.resources.find(name)

    def listed(self):
        """Every snapshot, with its details; named as in their paths (LXD 5.0 lists a volume's
        snapshots as VOLUME/SNAPSHOT, an instance's as SNAPSHOT)."""
        return [dict(snapshot, name=snapshot["name"].rsplit("/", 1)[-1]) for snapshot in self.client.get(self.path(), params={"recursion": "1"}) or []]

    def names(self):
        # In a project LXD's URLs end in ?project=NAME.
        return [url.split("?", 1)[0].rsplit("/", 1)[-1] for url in self.client.get(self.path()) or []]

    def create(self, name, stateful=None, expires_at=None):
        """Take snapshot ``name``; returns its planned view. ``stateful`` only for instances.
        Two runs taking the same snapshot at once: the other one made it, which is the goal."""
        body = dict(name=name)
        if stateful is not None:
            body["stateful"] = stateful
        if expires_at is not None:
            body["expires_at"] = expires_at
        planned = dict(name=name, created_at=None, expires_at=expires_at, last_used_at=None, stateful=bool(stateful), size=None)
        self.resources.create(planned, write=lambda: self.client.send_when_free(
            "POST", self.path(), body, done=lambda: self.find(name) is not None))
        return planned

    def restore(self, name, stateful=None):
        """Roll the owner back to snapshot ``name`` (an act: it always runs, not in check mode).
        LXD takes ``restore`` in a PUT of the owner and then changes nothing else."""
        body = {"restore": name}
        if stateful is not None:
            body["stateful"] = stateful
        self.reconciler.action("restore", lambda: self.client.send("PUT", self.owner, body))

    def prune(self, policy, match, name_time_format=None, max_parallel=8):
        """Delete the matching snapshots the retention ``policy`` does not keep (one step,
        ``prune``, whose diff lists the snapshots before and after). Returns
        ``_retention.plan_prune``'s ``(deleted, kept, untouched)``."""
        snapshots = self.listed()
        items = [(snapshot["name"], parse_lxd_time(snapshot.get("created_at"))) for snapshot in snapshots]
        untimed = sorted(name for name, when in items if when is None and fnmatch.fnmatchcase(name, match))
        if untimed and not name_time_format:
            # LXD 5.0 records no creation time for volume snapshots: pruning by it would keep
            # them all without a word.
            raise LxdkitError("LXD reports no creation time for the snapshots %s of %s, so they cannot be pruned by it: "
                              "give name_time_format (the time in their names, e.g. snapshots.pattern with a date)"
                              % (", ".join(untimed), self.label))
        deleted, kept, untouched = plan_prune(items, policy, match, name_time_format)
        before = dict(snapshots=sorted(name for name, _when in items))
        doomed = set(entry["name"] for entry in deleted)
        after = dict(snapshots=[name for name in before["snapshots"] if name not in doomed])
        self.reconciler.step("prune", before, after, lambda: self.delete_all([entry["name"] for entry in deleted], max_parallel))
        return deleted, kept, untouched

    def delete_all(self, names, max_parallel=8):
        """Delete snapshots with up to ``max_parallel`` LXD operations running at once.

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
                if len(running) >= max_parallel:
                    self._finish(running.popleft())
                try:
                    running.append((name, self.client.start("DELETE", self.path(name))))
                except LxdkitNotFound:
                    pass  # another run deleted it first
        finally:
            while running:
                self._finish(running.popleft())
        self._settle(names)

    def _finish(self, started):
        """Wait for one started deletion; a failure is left for the settling pass."""
        name, operation = started
        try:
            self.client.wait(operation, "deleting snapshot %s/%s" % (self.label, name))
        except LxdkitError:
            pass

    def _settle(self, names):
        """Delete, one at a time, those of ``names`` LXD still lists, in rounds (the client's
        retry rule) until none is left; any failure is worth another round (the backup.yaml race)."""
        def delete_what_is_left(_attempt):
            existing = set(self.names())
            for name in [name for name in names if name in existing]:
                try:
                    self.client.send("DELETE", self.path(name))
                except LxdkitNotFound:
                    pass
            if set(self.names()) & set(names):
                raise LxdkitError("snapshots of %s are still listed after the attempts to delete them" % self.label)

        self.client.retry(delete_what_is_left, attempts=SETTLE_ATTEMPTS, retry_on=lambda _error: True)
