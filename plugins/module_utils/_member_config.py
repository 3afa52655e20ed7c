# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Objects a cluster defines member by member before it creates them (storage pools, networks),
in one task: ``member_config`` gives each member's own keys. The object is first defined,
pending, on every member that lacks a definition (POST with ``target``), then created once for
the cluster (POST without it); on later runs each member's keys are compared and changed
(PATCH with ``target``). What the diff shows: the object's view with a ``member_config`` map."""

from __future__ import annotations

import copy

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map


def cluster_member_names(client, field):
    """The names of the cluster's members; ``field`` is refused by a standalone server."""
    if not client.server.get("environment", {}).get("server_clustered"):
        raise LxdkitError("%s is for a cluster; %s is standalone: leave %s out" % (field, client.label, field))
    return sorted(url.rstrip("/").rsplit("/", 1)[-1] for url in client.get("cluster/members") or [])


def per_member_config(client, field, member_config, member_keys, kind):
    """``member_config`` checked against the cluster: every member it names exists, every key is
    one a member may have its own value for. Members it leaves out get an empty map (LXD wants
    a definition on every member before the object can be created)."""
    if not isinstance(member_config, dict):
        raise LxdkitError("%s must be a mapping of cluster member names to their config" % field)
    members = cluster_member_names(client, field)
    unknown = sorted(set(member_config) - set(members))
    if unknown:
        raise LxdkitError("%s: %s %s not a member of the cluster at %s (its members: %s)"
                          % (field, ", ".join(unknown), "is" if len(unknown) == 1 else "are", client.where, ", ".join(members)))
    result = {}
    for member in members:
        where = "%s.%s" % (field, member)
        config = string_map(where, member_config.get(member) or {})
        foreign = sorted(set(config) - set(member_keys))
        if foreign:
            raise LxdkitError("%s.%s is not a per-member key of a %s: %s takes only %s; set the others in config"
                              % (where, foreign[0], kind, field, ", ".join(member_keys)))
        result[member] = config
    return result


def shared_config_only(field, config, member_keys):
    """With ``member_config``, ``config`` holds the keys the members share."""
    for key in sorted(config or {}):
        if key in member_keys:
            raise LxdkitError("%s.%s is per cluster member: with member_config, give it there, one value per member" % (field, key))


class MemberDefinitions:
    """The per-member side of one pool or network (``resources``: its ``_resources.Resources``)."""

    def __init__(self, resources, name, per_member):
        self.resources = resources
        self.client = resources.client
        self.name = name
        self.per_member = per_member

    def current(self, found):
        """Each member's own keys as LXD has them (only the keys ``member_config`` manages; a
        member without a definition of a pending object is left out)."""
        if found is None:
            return {}
        defined = set(found.get("locations") or []) if found.get("status") == "Pending" else set(self.per_member)
        result = {}
        for member in sorted(defined & set(self.per_member)):
            on_member = self.client.get(self.resources.path(self.name), params={"target": member})
            config = on_member.get("config") or {}
            result[member] = dict((key, config[key]) for key in self.per_member[member] if key in config)
        return result

    def reconcile(self, found, view, define_body, shared, check_member=None, check_shared=None):
        """The whole object: its member definitions (``members``), then the object created for
        the cluster (a pending or missing one) or its shared part updated. ``view`` is the kind's
        view function, ``define_body`` the fields every definition and the creation send (name,
        driver or type), ``shared(state)`` the wanted view (description, shared config), and
        ``check_shared(state, wanted)`` may refuse a change of a created object. Returns the
        object as planned: its view with ``status`` and ``member_config``."""
        before = dict(view(found) or dict(define_body, description="", config={}),
                      status=found.get("status") if found else None, member_config=self.current(found))
        state = self.members(before, define_body, check_member, absent=found is None)
        wanted = dict(shared(state), status="Created")
        client, resources = self.client, self.resources
        if state["status"] in (None, "Pending"):
            body = dict(define_body, description=wanted["description"], config=wanted["config"])
            resources.reconciler.step("create", state, wanted, lambda: client.send("POST", resources.collection, body))
        else:
            if check_shared is not None:
                check_shared(state, wanted)
            body = dict(description=wanted["description"], config=wanted["config"])
            resources.reconciler.step("update", state, wanted, lambda: client.send("PUT", resources.path(self.name), body))
        return wanted

    def members(self, before, define_body, check_member=None, absent=False):
        """Write what the members lack; ``before`` is the object's view with ``status`` and
        ``member_config`` (see ``current``). A pending definition is POSTed with ``define_body``
        and the member's keys; a created object's member keys are PATCHed, after
        ``check_member(member, current, wanted)`` (which may refuse a change). ``absent``: the
        object does not exist yet (the diff starts from nothing). Returns the view after these steps."""
        state = copy.deepcopy(before)
        shown = None if absent else state
        pending = before.get("status") in (None, "Pending")
        for member in sorted(self.per_member):
            wanted_keys = self.per_member[member]
            after = copy.deepcopy(state)
            after["member_config"][member] = dict(wanted_keys)
            if member not in state["member_config"]:
                if not pending:
                    continue
                body = dict(define_body, config=dict(wanted_keys))
                self.resources.reconciler.step("define on %s" % member, shown, after, self._post(body, member))
            elif state["member_config"][member] != wanted_keys:
                if pending:
                    raise LxdkitError("member_config.%s: %s %s is defined on member %s with %s; LXD cannot change a pending "
                                      "definition: delete the %s and define it again"
                                      % (member, self.resources.kind, self.name, member, state["member_config"][member], self.resources.kind))
                if check_member is not None:
                    check_member(member, state["member_config"][member], wanted_keys)
                self.resources.reconciler.step("update on %s" % member, shown, after, self._patch(wanted_keys, member))
            state = shown = after
        return state

    def _post(self, body, member):
        return lambda: self.client.send("POST", self.resources.collection, body, target=member)

    def _patch(self, config, member):
        return lambda: self.client.send("PATCH", self.resources.path(self.name), {"config": config}, params={"target": member})
