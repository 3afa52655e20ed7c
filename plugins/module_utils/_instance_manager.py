# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instance module's logic, run under two names: lxd_instance, and lxd_container, the name
community.general users know (it keeps that module's meaning where the two differ)."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._instance import (
    AFTER_ACTION,
    INSTANCE_SERVER_MANAGED,
    addresses,
    architecture_name,
    creation_source,
    power_actions,
    restart_needed_for,
    source_spec,
    wait_for_ipv4,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._key_spellings import spelled_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._proxy_ports import taken_proxy_listeners
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import check_target
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import device_map, string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import instance_view


# The connection's per-request timeout and the state-change wait, when not given (see _wait_seconds).
DEFAULT_REQUEST_TIMEOUT = 30
DEFAULT_WAIT_TIMEOUT = 60
# The state that keeps an instance as LXD reports it.
POWER_STATE_OF = {"Running": "started", "Frozen": "frozen", "Stopped": "stopped"}


# old_state in community.general.lxd_container's words.
COMMUNITY_GENERAL_STATES = {"Running": "started", "Stopped": "stopped", "Frozen": "frozen"}


class InstanceManager(LxdManager):

    def run(self):
        name, new_name = self.params["name"], self.params["new_name"]
        check_instance_name("name", name)
        check_instance_name("new_name", new_name)
        for profile in self.params["profiles"] or []:
            check_object_name("profiles[]", profile)
        # LXD and Incus name the guest API keys differently: either name works against both.
        self.config = spelled_for(self.client.server_kind, string_map("config", self.params["config"]))
        self.devices = device_map("devices", self.params["devices"])
        state = self.params["state"]
        self.source = source_spec(self.params)
        self.wait_seconds = self._wait_seconds()
        self._community_general_options()
        self.needs_restart = False
        self.restart_reasons = []
        self.state_after_rename = None
        self.instances = self.resources("instance", "instances", instance_view)
        with self.instance_turn(name):
            return self._converge(name, new_name, state)

    def _converge(self, name, new_name, state):
        current = self.client.find(self._path(name))
        self.old_state = current["status"] if current else "absent"
        if state == "absent":
            self._delete(current)
            return self._result(None)
        if new_name and new_name != name:
            current, name = self.instances.rename(current, name, new_name, prepare=lambda current: self._stopped_for_rename(current, state))
            state = self.state_after_rename or state
        created = current is None
        if created:
            current = self._create(name)
            status = "Stopped"
        else:
            current = self._moved_to_target(current)
            status = current["status"]
            self._check_architecture(current)
            self._update(current)
        try:
            status = self._power(name, status, state)
        except LxdkitError as exc:
            if self.reconciler.check_mode:
                raise
            exc.msg += self._proxy_cause(name, exc.msg)
            if not created:
                raise
            # A new instance that cannot start (a proxy port taken, a bad device) is not left
            # behind half-configured: LXD is put back as it was.
            self.client.send("DELETE", self._path(name))
            raise LxdkitError("%s; the instance this task created was deleted again" % exc.msg, **exc.details)
        if status == "Running" and self.params["wait_for_ipv4"] and not self.reconciler.check_mode:
            wait_for_ipv4(self.client, name, self.params["wait_for_ipv4_interfaces"], self.wait_seconds)
        return self._result(name, planned=dict(current, status=status))

    # -- community.general's options ---------------------------------------------------------

    def _wait_seconds(self):
        """wait_timeout, or community.general's meaning of timeout (the state-change wait) when
        only timeout is given: here timeout is also the wait for each answer from LXD."""
        if self.params["wait_timeout"] is not None:
            return self.params["wait_timeout"]
        timeout = self.params["timeout"]
        if timeout == DEFAULT_REQUEST_TIMEOUT:
            return DEFAULT_WAIT_TIMEOUT
        self.module.warn(
            "timeout=%g is the seconds to wait for each answer from LXD in lxdkit.lxd; without wait_timeout it is also the wait "
            "for state changes and IPv4 addresses (community.general.lxd_container's meaning of timeout). Give wait_timeout "
            "to set that wait alone" % timeout)
        return max(1, int(timeout))

    def _called_as_community_general(self):
        """True when the task names the module lxd_container (this module under the name
        community.general users switch to): then options left out mean what they meant there."""
        return (self.module._name or "").rsplit(".", 1)[-1] == "lxd_container"

    def _merge_rules(self):
        """(merge config keys, merge devices) from merge_config, or from the module's name."""
        merge = self.params["merge_config"]
        if merge is None:
            # community.general.lxd_container adds and changes the config keys it is given and
            # keeps the others, but replaces the devices.
            return (True, False) if self._called_as_community_general() else (False, False)
        return merge, merge

    def _community_general_options(self):
        """Options of community.general.lxd_container that mean nothing more here: said, not ignored."""
        if self.params["wait_for_container"] is False:
            self.module.warn("wait_for_container=false cannot apply: lxdkit.lxd waits for every LXD operation to finish "
                             "(as wait_for_container=true does); leave the option out")
        volatile = sorted(key for key in self.config or {} if key.startswith("volatile."))
        if self.params["ignore_volatile_options"] and volatile:
            self.module.warn("ignore_volatile_options=true: the volatile.* keys given in config (%s) are set only when LXD has "
                             "another value, not at every run as community.general does; LXD's own volatile.* keys are never "
                             "a change here, whatever ignore_volatile_options says" % ", ".join(volatile))

    def _check_architecture(self, current):
        wanted = self.params["architecture"]
        if wanted and current.get("architecture") and architecture_name(wanted) != architecture_name(current["architecture"]):
            raise LxdkitError("architecture: instance %s is %s, not %s, and LXD does not change the architecture of an instance; "
                              "delete it and create it again to change it" % (current["name"], current["architecture"], wanted))

    def _proxy_cause(self, name, message):
        """Which proxy listen addresses are taken, when a start failed on a proxy device of an
        instance on this machine's LXD (its message does not always say)."""
        if "proxy device" not in message or not self.client.on_this_host:
            return ""
        try:
            devices = self.client.get(self._path(name)).get("expanded_devices") or {}
        except LxdkitError:
            return ""
        taken = taken_proxy_listeners(devices)
        return "; address already in use on this host: %s" % ", ".join(taken) if taken else ""

    @staticmethod
    def _path(name, *rest):
        return "/".join(("instances", name) + rest)

    # -- create / update / rename / delete ---------------------------------------------------

    def _desired(self, base):
        merge_keys, merge_devices = self._merge_rules()
        wanted = dict(
            name=base["name"],
            description=base["description"] if self.params["description"] is None else self.params["description"],
            profiles=base["profiles"] if self.params["profiles"] is None else list(self.params["profiles"]),
            config=desired_map(base["config"], self.config, merge_keys, server_managed=INSTANCE_SERVER_MANAGED),
            devices=desired_map(base["devices"], self.devices, merge_devices),
            ephemeral=base["ephemeral"] if self.params["ephemeral"] is None else self.params["ephemeral"],
        )
        return wanted

    def _create(self, name):
        state = self.params["state"]
        if self.source["kind"] == "none" and self.params["type"] == "container" and state in ("started", "restarted", "frozen"):
            raise LxdkitError("source.type=none makes an empty container, which has nothing to start: give state=stopped or "
                              "state=present (then put a root file system in it), not state=%s" % state)
        source, origin = creation_source(self.client, self.params, self.source)
        if origin is None:
            base = dict(name=name, description="", profiles=["default"], config={}, devices={}, ephemeral=False)
        else:
            # A copy starts as the original (lxc copy); its volatile keys are LXD's to make anew.
            base = dict(instance_view(origin), name=name)
            base["config"] = dict((key, value) for key, value in base["config"].items() if not key.startswith("volatile."))
        wanted = self._desired(base)
        body = dict(wanted, type=self.params["type"], source=source)
        if self.params["architecture"]:
            body["architecture"] = self.params["architecture"]
        if self.params["profiles"] is None and origin is None:
            body.pop("profiles")  # LXD's own default
        try:
            self.instances.create(wanted, body, target=self.params["target"])
        except LxdkitError as exc:
            if source.get("server"):
                # LXD says what failed in its own words; the user needs to know which option to fix.
                what = (self.source["server_field"], source["server"], self.source["image"], source.get("protocol") or "lxd", exc.msg)
                raise LxdkitError("%s %s: LXD could not get image %r from this image server (is it reachable from the LXD "
                                  "server, and does it speak %s?): %s" % what, **exc.details)
            raise
        if self.reconciler.check_mode:
            return dict(wanted, status="Stopped", type=self.params["type"])
        return self.client.get(self._path(name))

    def _update(self, current):
        before = instance_view(current)
        wanted = self._desired(before)
        body = dict((key, value) for key, value in wanted.items() if key != "name")
        if self.params["target"]:
            # The diff shows the member with a target (a move's diff starts from where it was).
            before["location"] = wanted["location"] = current.get("location")
        self.instances.update(before, wanted, body, write=lambda: self._put(before["name"], body))
        if current["status"] != "Stopped":
            self.restart_reasons = restart_needed_for(before, wanted, current.get("type") or "container")
            self.needs_restart = bool(self.restart_reasons)

    def _put(self, name, body):
        # Two runs updating one instance at once: LXD refuses the second update operation
        # while the first runs; done when that run left nothing to change.
        self.client.send_when_free("PUT", self._path(name), body, done=lambda: self._settled(name))

    def _settled(self, name):
        now_view = instance_view(self.client.get(self._path(name)))
        return self._desired(now_view) == now_view

    def _moved_to_target(self, current):
        """An instance on another cluster member than ``target`` is moved there (LXD moves only
        stopped instances: a running one is stopped, moved and started again only when
        restart_on_change allows it; no live migration)."""
        target = self.params["target"]
        location = current.get("location")
        if not target:
            return current
        check_target(self.client, target)
        if location in (None, "", "none", target):
            return current
        name = current["name"]
        if current["status"] != "Stopped":
            allowed = self.params["restart_on_change"] or self.params["state"] == "stopped"
            if not allowed or current.get("ephemeral"):
                raise LxdkitError(
                    "target: instance %r is %s on cluster member %s and LXD moves only stopped instances; set "
                    "restart_on_change=true to stop it, move it to %s and start it again, or state=stopped%s"
                    % (name, current["status"], location, target,
                       "; an ephemeral instance is deleted when it stops" if current.get("ephemeral") else ""))
            if current["status"] == "Frozen":
                self._act(name, "unfreeze")
            self._act(name, "stop")
            current = dict(current, status="Stopped")
        before = dict(instance_view(current), location=location)
        self.reconciler.step("move", before, dict(before, location=target),
                             lambda: self.client.send("POST", self._path(name), dict(name=name, migration=True), target=target))
        return dict(current, location=target)

    def _stopped_for_rename(self, current, state):
        """LXD renames only stopped instances; stopping one is the user's call, said by state
        or by restart_for_rename (stopped, renamed, then brought back to state)."""
        if current["status"] == "Stopped":
            return current
        allowed = state == "stopped" or self.params["restart_for_rename"]
        if not allowed or current.get("ephemeral"):
            raise LxdkitError(
                "new_name: instance %r is %s and %s renames only stopped instances; rename it with "
                "state=stopped (then start it in a later task) or allow the restart with restart_for_rename=true%s"
                % (current["name"], current["status"], self.client.server_name,
                   "; an ephemeral instance is deleted when it stops" if current.get("ephemeral") else ""))
        if state == "present":
            # present leaves the power state alone: the instance comes back as it was.
            self.state_after_rename = POWER_STATE_OF[current["status"]]
        return dict(current, status=self._power(current["name"], current["status"], "stopped"))

    def _delete(self, current):
        if current is None:
            return
        name = current["name"]
        if current["status"] != "Stopped":
            if current["status"] == "Frozen":
                self._act(name, "unfreeze")
            self._act(name, "stop")
        self.instances.delete(current, write=lambda: self._delete_write(name))

    def _delete_write(self, name):
        try:
            self.client.send("DELETE", self._path(name))
        except LxdkitNotFound:
            pass  # an ephemeral instance deletes itself when it stops

    # -- power -------------------------------------------------------------------------------

    def _power(self, name, status, state):
        actions = power_actions(state, status)
        if self.needs_restart and self.params["restart_on_change"] and status == "Running" and not actions:
            actions = ["restart"]
        for action in actions:
            self._act(name, action)
            status = AFTER_ACTION[action]
        if "restart" in actions or "start" in actions or status == "Stopped":
            # The next start applies everything.
            self.needs_restart = False
            self.restart_reasons = []
        return status

    def _act(self, name, action):
        body = dict(action=action, timeout=self.wait_seconds)
        if action in ("stop", "restart"):
            body["force"] = self.params["force_stop"]
        self.reconciler.action(action, lambda: self.client.send("PUT", self._path(name, "state"), body))

    # -- result ------------------------------------------------------------------------------

    def _result(self, name, planned=None):
        old_state = self.old_state
        if self._called_as_community_general():
            old_state = COMMUNITY_GENERAL_STATES.get(old_state, old_state)
        values = dict(old_state=old_state, needs_restart=bool(self.needs_restart), restart_reasons=list(self.restart_reasons),
                      addresses={}, addresses_ipv6={})
        if name is None:
            return self.reconciler.result(instance=None, **values)
        if self.reconciler.check_mode:
            return self.reconciler.result(instance=planned, **values)
        instance = self.client.find(self._path(name))
        if instance is None:
            # An ephemeral instance deletes itself when it stops.
            return self.reconciler.result(instance=None, **values)
        if instance["status"] == "Running":
            state = self.client.get(self._path(name, "state"))
            values.update(addresses=addresses(state), addresses_ipv6=addresses(state, "inet6"))
        return self.reconciler.result(instance=instance, **values)


# The arguments of lxd_instance and lxd_container (documented in the doc fragment lxdkit.lxd.instance).
INSTANCE_ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", choices=["container", "virtual-machine"], default="container"),
    source=dict(type="raw"),
    source_server=dict(type="str"),
    source_protocol=dict(type="str", choices=["simplestreams", "lxd"], default="simplestreams"),
    source_instance=dict(type="str"),
    instance_only=dict(type="bool", default=False),
    profiles=dict(type="list", elements="str"),
    config=dict(type="dict"),
    devices=dict(type="dict"),
    merge_config=dict(type="bool"),
    description=dict(type="str"),
    ephemeral=dict(type="bool"),
    state=dict(type="str", choices=["started", "stopped", "restarted", "frozen", "present", "absent"], default="started"),
    force_stop=dict(type="bool", default=False),
    restart_on_change=dict(type="bool", default=False),
    wait_for_ipv4=dict(type="bool", default=False, aliases=["wait_for_ipv4_addresses"]),
    wait_for_ipv4_interfaces=dict(type="list", elements="str"),
    wait_timeout=dict(type="int"),
    wait_for_container=dict(type="bool"),
    ignore_volatile_options=dict(type="bool"),
    architecture=dict(type="str"),
    new_name=dict(type="str"),
    restart_for_rename=dict(type="bool", default=False),
    target=dict(type="str"),
)


def run_instance_module():
    run_module(InstanceManager, INSTANCE_ARGUMENT_SPEC, mutually_exclusive=[("source", "source_instance")])
