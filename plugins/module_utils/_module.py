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
from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import instance_locks
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import Reconciler
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import Resources


class LxdManager:
    """Base of each module's manager class: ``run()`` returns the module result."""

    def __init__(self, module, client, reconciler):
        self.module = module
        self.params = module.params
        self.client = client
        self.reconciler = reconciler

    def run(self):
        raise NotImplementedError

    def instance_turn(self, instance, *elsewhere):
        """Wait for this machine's other runs on ``instance`` (see ``instance_lock``) and on each
        (client, instance) of ``elsewhere`` (another server's instance), all taken in one fixed
        order; check mode, which changes nothing, does not wait."""
        if self.reconciler.check_mode:
            return contextlib.nullcontext()
        wanted = [(self.client, instance)] + list(elsewhere)
        for client, _name in wanted:
            client.server  # connect first: the lock is keyed by the resolved endpoint (where)
        return instance_locks([(client.where, client.project, name) for client, name in wanted])

    def warn_secret(self, secret, what):
        """A result that holds a secret (a token) is logged unless the task says no_log."""
        if secret and not self.module.no_log:
            self.module.warn("the result holds %s: set no_log: true on this task (the registered result keeps it)" % what)

    def resources(self, kind, collection, view, params=None):
        """The shared lifecycle steps (``_resources.Resources``) for objects of one kind."""
        return Resources(self.client, self.reconciler, kind, collection, view, params)


def run_module(manager_class, argument_spec, **module_kwargs):
    spec = connection_argument_spec()
    spec.update(argument_spec)
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
    reconciler = Reconciler(check_mode=module.check_mode, diff_mode=module._diff)
    clients = [LxdClient.from_options(module.params.get)]
    try:
        manager = manager_class(module, clients[0], reconciler)
        clients.append(manager.client)  # a manager may make its own (outside any project)
        result = manager.run()
    except LxdkitError as exc:
        _warn(module, clients)
        module.fail_json(msg=exc.msg, actions=reconciler.actions, **_with_server(exc.details, clients))
    except OSError as exc:
        _warn(module, clients)
        # Files on the machine running the module (backups, images, certificates).
        where = exc.filename or "a local file"
        module.fail_json(msg="%s: %s" % (where, exc.strerror or exc), actions=reconciler.actions, **_with_server({}, clients))
    _warn(module, clients)
    module.exit_json(**_with_server(result, clients))


def _with_server(result, clients):
    """``result`` with ``server``: which server the task talked to (LXD or Incus, its version
    and url), when it reached one."""
    summary = next((client.summary for client in reversed(clients) if client.summary), None)
    if summary is None or "server" in result:
        return result
    return dict(result, server=summary)


def _warn(module, clients):
    """The clients' warnings (an option that does not apply to the server), each said once."""
    said = set()
    for client in clients:
        for text in client.warnings:
            if text not in said:
                said.add(text)
                module.warn(text)
