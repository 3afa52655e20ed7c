#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance_migration
short_description: Copy or move LXD instances from one LXD server to another
version_added: 0.3.0
description:
  - Copies (O(state=copied)) or moves (O(state=moved)) an instance from a source LXD server to
    the server of the module's own connection options, the destination, as C(lxc copy) and
    C(lxc move) between remotes do, through LXD's migration API. The source server is given by
    the C(source_*) options; the destination project by O(project).
  - Snapshots travel with the instance unless O(instance_only=true). A move deletes the source
    (with its snapshots) only after the copy is complete at the destination.
  - An existing destination is left alone (no change) unless O(refresh=true), which makes it an
    incremental copy of the source (LXD's C(container_incremental_copy)). A move whose source is
    gone and whose destination exists is done (no change).
  - A running instance needs O(stateless=true). Moving it stops it, moves it and starts it at
    the destination; copying it copies its disk while it runs (LXD freezes it for the transfer
    where the storage driver needs that, as for C(dir)), and the copy stays stopped.
    A live (stateful) migration with CRIU is never asked for; see the notes.
  - Everything that can be known before the transfer is checked before anything changes (both
    servers reachable, not the same server, the source instance, the destination's profiles and
    storage pool, and whether the mode can work, that is whether a daemon that must be reached
    listens on the network).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.connection.source
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  name:
    description: Name of the instance at the destination; also its name at the source unless O(source_name) is given.
    type: str
    required: true
  source_name:
    description: Name of the instance on the source server (default O(name)).
    type: str
  state:
    description:
      - V(copied) makes the instance exist at the destination as a copy of the source instance; the source stays as it is.
      - V(moved) makes it exist at the destination only; the source instance is deleted once the copy is complete.
    type: str
    choices: [copied, moved]
    default: copied
  mode:
    description:
      - How the data travels. V(pull) (C(lxc)'s default) has the destination daemon connect to
        the source daemon, which must listen on the network (C(core.https_address)).
      - V(push) has the source daemon connect to the destination daemon, which must listen on the network.
      - V(relay) has this client connect to both and carry the data between them; neither daemon
        needs to reach the other, but every byte passes through the host that runs the module.
      - A mode that cannot work (the daemon to be reached has no network address) is refused
        before anything changes, naming the mode that would.
    type: str
    choices: [pull, push, relay]
    default: pull
  instance_only:
    description: Copy or move the instance without its snapshots (a move deletes them with the source).
    type: bool
    default: false
  refresh:
    description:
      - When the destination exists, refresh it from the source (an incremental copy, where changed
        files and new snapshots arrive; destination snapshots the source no longer has are
        deleted). It runs, and reports a change, at every run, as C(lxc copy --refresh) does.
      - The destination's config, devices and profiles are not changed by a refresh; manage
        them with M(lxdkit.lxd.lxd_instance). A running destination is not refreshed (stop it first).
      - With O(state=moved), an existing destination is refreshed and the source then deleted.
    type: bool
    default: false
  stateless:
    description:
      - Allow a running (or frozen) source instance. A move stops it first and starts it at the
        destination afterwards (a failed move starts the source again); a copy copies its disk
        while it runs. Without it, a running source is refused.
      - An ephemeral instance that runs cannot be moved this way (LXD deletes it when it stops).
    type: bool
    default: false
  storage_pool:
    description:
      - Storage pool for the instance's root disk at the destination (C(lxc copy --storage)).
        Default the pool of the source instance's own root disk device, or the one its
        profiles give at the destination.
    type: str
  profiles:
    description:
      - Profiles of the instance at the destination, in order (default the source instance's).
        Each must exist at the destination.
    type: list
    elements: str
  force_stop:
    description: With O(stateless=true) and O(state=moved), kill the source instance instead of a clean shutdown.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for a clean stop of the source instance.
    type: int
    default: 60
  source_url:
    description:
      - The source LXD server, as O(url) names the destination (V(unix:/var/lib/lxd/unix.socket)
        or V(https://lxd01.example.com:8443)).
    type: str
    required: true
  source_project:
    description: The project of the instance on the source server (default O(project)).
    type: str
notes:
  - A live (stateful) migration of a running container needs CRIU on both servers, and LXD 5.0
    does not say whether it has CRIU before a transfer starts; where CRIU fails, LXD 5.0 leaves
    an operation behind that cannot be cancelled and holds up the daemon's shutdown. So this
    module never asks for one; a running instance needs O(stateless=true).
  - Until a copy is complete, the destination instance carries the config key
    C(user.lxdkit.migration). LXD deletes a half-made destination when a transfer fails, but not
    when the destination daemon dies during the transfer; then a rerun finds the key, deletes the
    half-made instance and copies again. The source is never changed by a failed copy.
  - The servers' certificates are taken from C(GET /1.0) (the client must be trusted by both)
    and handed to the daemon that connects to the other, which pins it.
  - Copying within one server is M(lxdkit.lxd.lxd_instance)'s O(lxdkit.lxd.lxd_instance#module:source_instance);
    this module refuses a source that is the destination server.
seealso:
  - module: lxdkit.lxd.lxd_instance
  - module: lxdkit.lxd.lxd_image
  - name: How to move existing LXD instances between servers
    description: LXD's documentation of copy and move between servers and the transfer modes.
    link: https://documentation.ubuntu.com/lxd/en/latest/howto/instances_migrate/
"""

EXAMPLES = r"""
- name: Copy web01 with its snapshots from the local LXD to lxd02 (the local daemon pushes)
  lxdkit.lxd.lxd_instance_migration:
    url: https://lxd02.example.com:8443
    server_cert: files/lxd02.crt
    source_url: unix:/var/lib/lxd/unix.socket
    name: web01
    mode: push

- name: Move a running web01 from lxd02 to the local LXD (it stops, moves, starts here)
  lxdkit.lxd.lxd_instance_migration:
    source_url: https://lxd02.example.com:8443
    source_server_cert: files/lxd02.crt
    name: web01
    state: moved
    mode: pull
    stateless: true

- name: Keep a standby copy on lxd03 up to date every night (incremental)
  lxdkit.lxd.lxd_instance_migration:
    url: https://lxd03.example.com:8443
    source_url: https://lxd02.example.com:8443
    name: web01-standby
    source_name: web01
    refresh: true
    stateless: true
    storage_pool: slow
    profiles: [default]
"""

RETURN = r"""
instance:
  description: The instance at the destination after the task (its planned form in check mode).
  returned: always
  type: dict
  sample: {name: web01, status: Stopped, type: container, profiles: [default], config: {}}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [stop source, copy, delete source, start]
mode:
  description: The transfer mode (O(mode)).
  returned: always
  type: str
  sample: push
old_state:
  description: The destination instance's status before the task (V(Running), V(Stopped), ...), or V(absent).
  returned: always
  type: str
source_old_state:
  description: The source instance's status before the task, or V(absent).
  returned: always
  type: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""


from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._migration import MARKER, InstanceTransfer, destination_body, is_half_made, root_disk
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import require_pool
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import same_server, source_argument_spec, source_client
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import instance_view


class InstanceMigrationManager(LxdManager):

    def run(self):
        name = self.params["name"]
        source_name = self.params["source_name"] or name
        check_instance_name("name", name)
        check_instance_name("source_name", source_name)
        for profile in self.params["profiles"] or []:
            check_object_name("profiles[]", profile)
        check_object_name("storage_pool", self.params["storage_pool"])
        self.source = source_client(self.params)
        try:
            if same_server(self.source, self.client):
                raise LxdkitError(
                    "source_url reaches the same LXD server as url (%s): copy within one server with lxd_instance "
                    "(source_instance); this module copies and moves between servers" % self.client.where)
            with self.instance_turn(name, (self.source, source_name)):
                return self._converge(name, source_name)
        finally:
            self.source.close()

    @staticmethod
    def _path(name, *rest):
        return "/".join(("instances", name) + rest)

    # -- what to do -----------------------------------------------------------------------------

    def _converge(self, name, source_name):
        move = self.params["state"] == "moved"
        self.source_name = source_name
        self.transfer = InstanceTransfer(self.source, self.client, self.params["mode"], self.params["instance_only"])
        source = self.source.find(self._path(source_name))
        current = self.client.find(self._path(name))
        self.old_state = current["status"] if current else "absent"
        self.source_old_state = source["status"] if source else "absent"
        self.start_at_destination = False
        if is_half_made(current):
            if source is None:
                raise LxdkitError(
                    "instance %s at the destination (%s) is a half-made copy (it has %s) and the source instance %s is gone "
                    "from %s: there is nothing to copy it from again, so it is left as it is; check it by hand"
                    % (name, self.client.where, MARKER, source_name, self.source.where))
            return self._copy(source, name, move, half_made=current)
        if current is None:
            if source is None:
                raise LxdkitError("instance %r does not exist on the source %s (project %s)%s"
                                  % (source_name, self.source.label, self.source.project,
                                     " nor at the destination: nothing to move" if move else ""))
            return self._copy(source, name, move)
        if source is None:
            if self.params["refresh"] and not move:
                raise LxdkitError("refresh: instance %r does not exist on the source %s (project %s)"
                                  % (source_name, self.source.label, self.source.project))
            return self._result(name, current)  # copied before, or moved before
        if move and not (self.params["refresh"] or self._same_instance(source, current)):
            raise LxdkitError(
                "instance %s exists both on the source %s and at the destination %s, and the destination is not a "
                "copy of it (another volatile.uuid): delete one, give another name, or set refresh=true to refresh the "
                "destination from the source before the source is deleted" % (name, self.source.label, self.client.where))
        if move or self.params["refresh"]:
            # A move whose copy is done but whose source is still there (a rerun after a failed
            # delete) is finished the same way: refreshed, so nothing written since is lost.
            return self._refresh(source, current, name, move)
        return self._result(name, current)

    @staticmethod
    def _same_instance(source, current):
        uuid = (source.get("config") or {}).get("volatile.uuid")
        return bool(uuid) and uuid == (current.get("config") or {}).get("volatile.uuid")

    # -- checks before anything changes ---------------------------------------------------------

    def _source_running(self, source, move):
        """Whether the source runs (then stateless is needed), refused when it cannot go on."""
        status = source.get("status")
        if status == "Stopped":
            return False
        if status not in ("Running", "Frozen"):
            raise LxdkitError("instance %s is %s on the source %s; only a Stopped, Running or Frozen instance is copied"
                              % (source["name"], status, self.source.label))
        if not self.params["stateless"]:
            raise LxdkitError(
                "instance %s is %s on the source %s. A running container travels with its running state only by a "
                "live migration (CRIU), which this module does not ask for (see the module notes): set stateless=true "
                "(a move stops it, moves it and starts it at the destination; a copy copies its disk while it runs) "
                "or stop it first" % (source["name"], status, self.source.label))
        if move and source.get("ephemeral"):
            raise LxdkitError(
                "instance %s is ephemeral and %s: LXD deletes an ephemeral instance when it stops, so a stateless move would "
                "lose it; copy it (state=copied) instead, or make it non-ephemeral first" % (source["name"], status))
        return True

    def _check_destination(self, body):
        missing = [profile for profile in body["profiles"] if self.client.find("profiles/%s" % profile) is None]
        if missing:
            raise LxdkitError("profiles: %s not at the destination %s (project %s); create %s first (lxd_profile) or "
                              "give profiles" % (", ".join(missing), self.client.label, self.client.project,
                                                 "it" if len(missing) == 1 else "them"))
        _key, device = root_disk(body["devices"])
        if device is not None and device.get("pool"):
            require_pool(self.client, device["pool"], "storage_pool" if self.params["storage_pool"] else "the root disk's pool (storage_pool changes it)")

    # -- the steps ------------------------------------------------------------------------------

    def _copy(self, source, name, move, half_made=None):
        running = self._source_running(source, move)
        body = destination_body(source, name, move, self.params["profiles"], self.params["storage_pool"])
        self._check_destination(body)
        self.transfer.check()
        if half_made is not None:
            self.reconciler.action("delete half-made copy", lambda: self._delete_half_made(name))
        stopped = move and running and self._stop_source(source)
        planned = self._planned(body)
        self.reconciler.step("copy", None, instance_view(planned), lambda: self._transfer(name, body, stopped))
        return self._finish(name, move, running, planned)

    def _refresh(self, source, current, name, move):
        running = self._source_running(source, move)
        if current["status"] != "Stopped":
            raise LxdkitError("refresh: instance %s is %s at the destination %s; LXD refreshes only a stopped instance: stop it first"
                              % (name, current["status"], self.client.where))
        self.transfer.refresh = True
        self.transfer.check()
        # LXD keeps the existing instance as it is and takes only the data: the request names
        # it as the destination has it (its profiles and pools exist there).
        body = dict(name=name, architecture=current.get("architecture") or source.get("architecture"),
                    type=current.get("type") or "container", description=current.get("description") or "",
                    config=dict(current.get("config") or {}), devices=dict(current.get("devices") or {}),
                    ephemeral=bool(current.get("ephemeral")), profiles=list(current.get("profiles") or []), stateful=False)
        stopped = move and running and self._stop_source(source)
        self.reconciler.action("refresh", lambda: self._transfer(name, body, stopped))
        return self._finish(name, move, running, dict(current))

    def _finish(self, name, move, running, planned):
        if move:
            self.reconciler.action("delete source", self._delete_source)
            if running:
                self._start_at_destination(name)
                planned = dict(planned, status="Running")
        return self._result(name, planned)

    def _planned(self, body):
        planned = dict((key, value) for key, value in body.items() if key != "stateful")
        planned["config"] = dict((key, value) for key, value in body["config"].items() if key != MARKER)
        return dict(planned, status="Stopped")

    def _stop_source(self, source):
        name = source["name"]
        if source["status"] == "Frozen":
            self.reconciler.action("unfreeze source", lambda: self._source_state(name, "unfreeze"))
        self.reconciler.action("stop source", lambda: self._source_state(name, "stop", force=self.params["force_stop"]))
        return True

    def _source_state(self, name, action, **extra):
        body = dict(action=action, timeout=self.params["wait_timeout"], **extra)
        self.source.send("PUT", self._path(name, "state"), body)

    def _transfer(self, name, body, stopped):
        try:
            self.transfer.run(self.source_name, body)
        except LxdkitError as exc:
            notes = "; the source instance is unchanged"
            if not self.transfer.refresh:
                notes += self._leftover(name)
            if stopped:
                notes += self._restart_source()
            raise LxdkitError(exc.msg + notes, **exc.details)
        if not self.transfer.refresh:
            self._complete(name)

    def _complete(self, name):
        """Drop the marker: the copy is whole."""
        current = self.client.get(self._path(name))
        config = dict((key, value) for key, value in (current.get("config") or {}).items() if key != MARKER)
        body = dict(architecture=current.get("architecture"), config=config, devices=current.get("devices") or {},
                    ephemeral=bool(current.get("ephemeral")), profiles=current.get("profiles") or [],
                    description=current.get("description") or "", stateful=bool(current.get("stateful")))
        self.client.send_when_free("PUT", self._path(name), body)

    def _leftover(self, name):
        """Delete what a failed transfer left at the destination (LXD usually has already)."""
        try:
            leftover = self.client.find(self._path(name))
        except LxdkitError as exc:
            return ("; the destination could not be checked for a half-made copy (%s): a rerun deletes it (it carries %s)"
                    % (exc.msg, MARKER))
        if not is_half_made(leftover):
            return ""
        try:
            self._delete_half_made(name)
        except LxdkitError as exc:
            return "; the half-made copy at the destination could not be deleted (%s): a rerun deletes it" % exc.msg
        return "; the half-made copy at the destination was deleted"

    def _delete_half_made(self, name):
        try:
            self.client.send_when_free("DELETE", self._path(name))
        except LxdkitNotFound:
            pass

    def _restart_source(self):
        try:
            self._source_state(self.source_name, "start")
        except LxdkitError as exc:
            return "; starting the source instance again failed: %s" % exc.msg
        return "; the source instance was started again"

    def _delete_source(self):
        try:
            self.source.send_when_free("DELETE", self._path(self.source_name))
        except LxdkitError as exc:
            raise LxdkitError("instance %s is copied to %s, but deleting it on the source %s failed: %s; a rerun "
                              "finishes the move" % (self.source_name, self.client.where, self.source.label, exc.msg), **exc.details)

    def _start_at_destination(self, name):
        def start():
            try:
                self.client.send("PUT", self._path(name, "state"), dict(action="start", timeout=self.params["wait_timeout"]))
            except LxdkitError as exc:
                raise LxdkitError("instance %s is moved to %s, but starting it there failed: %s" % (name, self.client.where, exc.msg),
                                  **exc.details)

        self.reconciler.action("start", start)

    def _result(self, name, planned):
        instance = planned
        if self.reconciler.changed and not self.reconciler.check_mode:
            instance = self.client.get(self._path(name))
        return self.reconciler.result(instance=instance, mode=self.params["mode"], old_state=self.old_state,
                                      source_old_state=self.source_old_state)


def main():
    spec = dict(
        name=dict(type="str", required=True),
        source_name=dict(type="str"),
        state=dict(type="str", choices=["copied", "moved"], default="copied"),
        mode=dict(type="str", choices=["pull", "push", "relay"], default="pull"),
        instance_only=dict(type="bool", default=False),
        refresh=dict(type="bool", default=False),
        stateless=dict(type="bool", default=False),
        storage_pool=dict(type="str"),
        profiles=dict(type="list", elements="str"),
        force_stop=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=60),
    )
    spec.update(source_argument_spec(url_required=True))
    run_module(InstanceMigrationManager, spec)


if __name__ == "__main__":
    main()
