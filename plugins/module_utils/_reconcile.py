# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired vs current: what changes, the before/after diff, and writes guarded by check mode.

Every CRUD module goes through ``Reconciler.step``; the helpers below build the desired
maps (config, devices) so that server-managed keys never show up as a change.
"""

from __future__ import annotations

import copy

# Keys LXD writes itself. They are carried over from the current object whatever the user
# asks, so "replace" semantics never try to remove them and a second run stays a no-op.
SERVER_MANAGED_PREFIXES = ("volatile.",)


def is_server_managed(key, prefixes=SERVER_MANAGED_PREFIXES):
    return any(key.startswith(prefix) for prefix in prefixes)


def desired_map(current, wanted, merge, server_managed=SERVER_MANAGED_PREFIXES, server_defaulted=(), resolved_by_server=None):
    """The whole map (config or devices) to send to LXD; the one merge rule of the collection.

    ``current``: the map on the server ({} when creating). ``wanted``: the user's normalised
    map, or None when the option was not given (the current map is kept as it is).
    ``merge``: keep keys the user did not mention; otherwise the user's map is the whole truth,
    apart from keys whose prefix is in ``server_managed`` (LXD's own) and the keys in
    ``server_defaulted`` (LXD fills them in when they are not given: a bridge's addresses).
    ``resolved_by_server(key, value)`` says that LXD replaces ``value`` by a concrete one
    (``ipv4.address: auto``): the concrete current value is kept.
    """
    current = current or {}
    if wanted is None:
        return copy.deepcopy(current)
    if merge:
        result = copy.deepcopy(current)
    else:
        result = dict((key, copy.deepcopy(value)) for key, value in current.items()
                      if is_server_managed(key, server_managed) or key in server_defaulted)
    for key, value in wanted.items():
        if resolved_by_server is not None and key in current and resolved_by_server(key, value):
            result[key] = copy.deepcopy(current[key])
        else:
            result[key] = copy.deepcopy(value)
    return result


class Reconciler:
    """Runs the steps of one module invocation and keeps what the result reports.

    A step is a named write (``create``, ``update``, ``rename``, ``delete``...) with the
    view of the whole object before and after it (None: the object does not exist), so that
    the diff (the first step's before, the last step's after) describes the object. An
    unchanged step writes nothing. In check mode no write runs, but the step still counts as
    a change.
    """

    def __init__(self, check_mode=False, diff_mode=False):
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.actions = []
        self._diff_before = None
        self._diff_after = None
        self._seen = False

    @property
    def changed(self):
        return bool(self.actions)

    def step(self, action, before, after, write):
        """Write when ``before`` differs from ``after``; return whether it did (or would)."""
        if not self._seen:
            self._diff_before = copy.deepcopy(before)
            self._seen = True
        self._diff_after = copy.deepcopy(after)
        if before == after:
            return False
        self.actions.append(action)
        if not self.check_mode:
            write()
        return True

    def action(self, action, write):
        """A step that is an act rather than a state (restore, export): it always runs."""
        self.actions.append(action)
        if not self.check_mode:
            return write()
        return None

    def result(self, **values):
        result = dict(changed=self.changed, actions=list(self.actions))
        if self.diff_mode and self._seen:
            result["diff"] = dict(before=_diff_side(self._diff_before), after=_diff_side(self._diff_after))
        result.update(values)
        return result


def _diff_side(view):
    # Ansible's diff callback shows dicts as YAML; an absent object is an empty one.
    return {} if view is None else view
