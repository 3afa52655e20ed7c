# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle every named LXD object shares (profiles, networks, ACLs, instances, snapshots):
find, create, update, rename, delete, and the object a module returns. Written once here; the
modules say only what is particular to their kind."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError


class Resources:
    """The objects of one kind under one API collection (``profiles``, ``instances/web01/snapshots``).

    ``kind`` names them in messages, ``view(obj)`` is what diffs show (see ``_views``),
    ``params`` go with reads and updates of one object (a cluster ``target``: per-member config).
    """

    def __init__(self, client, reconciler, kind, collection, view, params=None):
        self.client = client
        self.reconciler = reconciler
        self.kind = kind
        self.collection = collection
        self.view = view
        self.params = params

    def path(self, name, *rest):
        return "/".join((self.collection, name) + rest)

    def find(self, name):
        return self.client.find(self.path(name), params=self.params)

    def create(self, wanted, body=None, target=None, write=None):
        """Create the object ``wanted`` (its view); ``body`` is what LXD gets (default the view)."""
        body = wanted if body is None else body
        self.reconciler.step("create", None, wanted, write or (lambda: self.client.send("POST", self.collection, body, target=target)))

    def update(self, before, wanted, body, method="PUT", write=None):
        """Write ``body`` when ``wanted`` differs from ``before`` (both views)."""
        self.reconciler.step("update", before, wanted,
                             write or (lambda: self.client.send(method, self.path(before["name"]), body, params=self.params)))

    def rename(self, current, name, new_name, prepare=None):
        """Rename ``current`` (None: nothing is called ``name``) to ``new_name``.

        The one rename rule of the collection: when ``name`` is gone and ``new_name`` exists,
        the rename counts as done (a rerun changes nothing); when both exist, or neither, the
        task fails and changes nothing. ``prepare(current)`` runs before the rename is written
        (an instance is stopped first) and returns the object as it then is.
        Returns the object (as it is or will be) and the name to go on with.
        """
        what = "new_name: cannot rename %s %r to %r" % (self.kind, name, new_name)
        return self.move(current, name, self, new_name, {"name": new_name}, what, "rename", prepare)

    def move(self, current, name, destination, new_name, body, what, action="move", prepare=None):
        """Move ``current`` (here under ``name``) to ``destination`` (``Resources`` of another
        collection, or this one) as ``new_name``, by POSTing ``body`` to it: the rename rule
        above, for a move (a volume to another pool: ``body`` names the pool, which the view
        shows). ``what`` starts the error messages."""
        moved = destination.find(new_name)
        if current is not None and moved is not None:
            raise LxdkitError("%s: a %s named %r exists already" % (what, self.kind, new_name))
        if current is None:
            if moved is None:
                raise LxdkitError("%s: neither exists%s" % (what, self._where()))
            return moved, new_name
        if prepare is not None:
            current = prepare(current)
        before = self.view(current)
        self.reconciler.step(action, before, dict(before, **body), lambda: self.client.send("POST", self.path(name), body))
        return dict(current, name=new_name), new_name

    def delete(self, current, write=None):
        """Delete ``current`` (None: nothing to do)."""
        if current is not None:
            self.reconciler.step("delete", self.view(current), None,
                                 write or (lambda: self.client.send("DELETE", self.path(current["name"]))))

    def delete_unused(self, current):
        """Delete ``current`` unless LXD lists users of it (refused with the list, nothing changed)."""
        users = (current or {}).get("used_by") or []
        if users:
            raise LxdkitError("%s %s is in use and cannot be deleted; first remove it from: %s" % (self.kind, current["name"], ", ".join(users)),
                              used_by=users)
        self.delete(current)

    def final(self, name, planned):
        """The object to return: read back after a real change, else as planned (check mode, no change)."""
        if self.reconciler.changed and not self.reconciler.check_mode:
            return self.client.get(self.path(name), params=self.params)
        return planned

    def _where(self):
        return " in project %s" % self.client.project


def check_target(client, target):
    """``target`` names a cluster member: refused, before any change, by a standalone server."""
    if target and not client.server.get("environment", {}).get("server_clustered"):
        raise LxdkitError("target %r is for a cluster; %s is standalone: leave target out" % (target, client.label))


def require_pool(client, pool, field="pool"):
    """The storage pool ``pool``, or an error naming ``field`` that says it is missing."""
    found = client.find("storage-pools/%s" % pool)
    if found is None:
        raise LxdkitError("%s: storage pool %r does not exist on %s; create it first (lxd_storage_pool)" % (field, pool, client.label))
    return found


def require_volume(client, pool, name):
    """The custom volume ``name`` of ``pool``, or an error that says which is missing."""
    require_pool(client, pool)
    volume = client.find("storage-pools/%s/volumes/custom/%s" % (pool, name))
    if volume is None:
        raise LxdkitError("volume %r does not exist in storage pool %s (project %s)" % (name, pool, client.project))
    return volume


def require_instance(client, name, target=None):
    """The instance ``name``, or an error that says it is missing. With ``target`` (a cluster
    member), also check that it lives there."""
    check_target(client, target)
    instance = client.find("instances/%s" % name)
    if instance is None:
        raise LxdkitError("instance %r does not exist in project %s on %s at %s" % (name, client.project, client.server_name, client.where))
    if target and instance.get("location") != target:
        raise LxdkitError("target %r: instance %s is on cluster member %r" % (target, name, instance.get("location")))
    return instance
