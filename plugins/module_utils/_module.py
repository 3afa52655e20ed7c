# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module's main() shares: the merged argument spec, the client, the reconciler,
and turning ``LxdkitError`` into ``fail_json`` (never a traceback)."""

from __future__ import annotations

import contextlib

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import LxdClient, connection_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import instance_lock
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import Reconciler


class LxdManager:
    """Base of each module's manager class: ``run()`` returns the module result."""

    def __init__(self, module, client, reconciler):
        self.module = module
        self.params = module.params
        self.client = client
        self.reconciler = reconciler

    def run(self):
        raise NotImplementedError

    def instance_turn(self, instance):
        """Wait for this machine's other runs on ``instance`` (see ``instance_lock``); check
        mode, which changes nothing, does not wait."""
        if self.reconciler.check_mode:
            return contextlib.nullcontext()
        self.client.server  # connect first: the lock is keyed by the resolved endpoint (where)
        return instance_lock(self.client.where, self.client.project, instance)

    def rename(self, kind, path, view, current, name, new_name, find=None):
        """Rename ``current`` (None: not found under ``name``) to ``new_name``.

        Idempotent: when ``name`` is gone and ``new_name`` exists, the rename counts as done.
        ``path(name)`` gives the object's API path, ``view(obj)`` what the diff shows.
        Returns the object (as it is or will be) and the name to go on with.
        """
        renamed = (find or self.client.find)(path(new_name))
        if current is not None and renamed is not None:
            raise LxdkitError("cannot rename %s %r to %r: a %s named %r exists already" % (kind, name, new_name, kind, new_name))
        if current is None:
            return renamed, new_name
        before = view(current)
        self.reconciler.step("rename", before, dict(before, name=new_name),
                             lambda: self.client.send("POST", path(name), {"name": new_name}))
        return dict(current, name=new_name), new_name

    def delete_unused(self, kind, path, view, current):
        """Delete ``current`` unless LXD lists users of it (refused with the list, nothing changed)."""
        if current is None:
            return
        users = current.get("used_by") or []
        if users:
            raise LxdkitError("%s %s is in use and cannot be deleted; first remove it from: %s" % (kind, current["name"], ", ".join(users)),
                              used_by=users)
        self.reconciler.step("delete", view(current), None, lambda: self.client.send("DELETE", path(current["name"])))


def run_module(manager_class, argument_spec, **module_kwargs):
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    reconciler = Reconciler(check_mode=module.check_mode, diff_mode=module._diff)
    try:
        manager = manager_class(module, LxdClient.from_params(module.params), reconciler)
        result = manager.run()
    except LxdkitError as exc:
        module.fail_json(msg=exc.msg, actions=reconciler.actions, **exc.details)
    except OSError as exc:
        # Files on the machine running the module (backups, images, certificates).
        where = exc.filename or "a local file"
        module.fail_json(msg="%s: %s" % (where, exc.strerror or exc), actions=reconciler.actions)
    module.exit_json(**result)
