#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance
short_description: Manage LXD instances (containers and virtual machines)
version_added: 0.1.0
description:
  - Creates instances from a local image (alias or fingerprint), a remote image server, or as a
    copy of another instance or snapshot; keeps their profiles, config, devices and description
    as declared; starts, stops, restarts, freezes, renames and deletes them.
  - Config keys LXD writes itself (C(volatile.*), C(image.*)) are never a change and are kept.
  - Changing config or devices of a running instance applies them at once; changes that only
    take effect at the next start (C(security.*), C(raw.*), C(limits.kernel.*), a different
    profile list, device changes of a virtual machine...) are reported with RV(needs_restart)
    and RV(restart_reasons). The instance is restarted for them only when O(restart_on_change=true).
  - Also known as C(lxdkit.lxd.lxd_container), the name community.general users know; it takes
    community.general.lxd_container's options (O(source) as a dict, O(architecture),
    O(ignore_volatile_options), O(wait_for_ipv4_addresses), O(wait_for_container)). Where their
    meaning differs (O(timeout), O(ignore_volatile_options=true) with C(volatile.*) keys,
    O(wait_for_container=false)) the task warns and says what to write instead.
  - Two timeouts, not one. O(timeout) (a connection option) is the seconds to wait for each
    answer from LXD. O(wait_timeout) is the wait for a state change (a clean stop) and for
    O(wait_for_ipv4). community.general's C(timeout) is that second one; when only O(timeout)
    is given (a value other than its default), it sets both, with a warning.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  name:
    description: Name of the instance (1 to 63 letters, digits and dashes, starting with a letter).
    type: str
    required: true
  type:
    description: Instance type, used when creating it.
    type: str
    choices: [container, virtual-machine]
    default: container
  source:
    description:
      - What to create the instance from, when it does not exist (only then).
      - As text, an image; a local alias or fingerprint, or an alias on O(source_server).
      - As a dict, community.general's form (LXD's instance source). C(type=image) with
        C(alias) or C(fingerprint), from the local image store, or from C(server) (an image
        server, LXD downloads from it; C(protocol) V(lxd) (LXD's default) or V(simplestreams);
        C(mode) only V(pull); C(certificate), C(secret) for a private server).
        C(type=copy) with C(source) (V(web01) or V(web01/snap0)) and C(instance_only), as
        O(source_instance). C(type=none) makes an empty instance (no root file system; a
        container to fill yourself, which cannot start until then, so it needs O(state=stopped)
        or O(state=present); a virtual machine to install from an ISO).
        Without C(type), C(alias) or C(fingerprint) mean V(image) and C(source) means V(copy).
        Other types and keys are refused, naming them; C(type=migration) is done by
        M(lxdkit.lxd.lxd_instance_migration).
      - When LXD cannot get the image from C(server) (or O(source_server)), the task fails
        naming that option and LXD's reason; nothing is created.
    type: raw
  source_server:
    description:
      - Image server to take O(source) (as text) from (V(https://images.example.com)); default
        the local image store. With O(source) as a dict, use C(source.server).
    type: str
  source_protocol:
    description: Protocol of O(source_server) (with O(source) as a dict, C(source.protocol)).
    type: str
    choices: [simplestreams, lxd]
    default: simplestreams
  source_instance:
    description:
      - Create the instance as a copy of this instance (V(web01)) or snapshot (V(web01/snap0)),
        as C(lxc copy) does. Mutually exclusive with O(source).
    type: str
  instance_only:
    description: With O(source_instance) naming an instance, copy it without its snapshots.
    type: bool
    default: false
  profiles:
    description:
      - Profiles in the order LXD applies them (later ones win); a different order is a change.
        Not managed when not given (LXD gives a new instance the V(default) profile).
    type: list
    elements: str
  config:
    description:
      - Instance config keys (C(limits.cpu), C(boot.autostart), C(snapshots.schedule), ...).
        Numbers and booleans are converted to the strings LXD wants. Not managed when not given.
    type: dict
  devices:
    description: Instance devices by name; each needs C(type). Not managed when not given.
    type: dict
  merge_config:
    description:
      - V(false) makes O(config) and O(devices) the whole truth (apart from the keys LXD
        manages); V(true) keeps keys and devices that are not listed.
      - When not given, V(false) as C(lxdkit.lxd.lxd_instance); as C(lxdkit.lxd.lxd_container)
        the task does what community.general.lxd_container does, so playbooks written for it keep
        their meaning after the collection name changes - O(config) keys not listed are kept,
        O(devices) is the whole truth.
    type: bool
  description:
    description: Description of the instance. Not managed when not given.
    type: str
  ephemeral:
    description: Whether LXD deletes the instance when it stops. Not managed when not given.
    type: bool
  state:
    description:
      - V(started), V(stopped), V(frozen) or V(absent); V(present) makes the instance exist as
        declared and leaves its power state alone (a new one stays stopped).
      - V(restarted) is an action; it restarts a running instance (starts a stopped one) at every run.
      - Stopping an ephemeral instance makes LXD delete it; RV(instance) is then null.
    type: str
    choices: [started, stopped, restarted, frozen, present, absent]
    default: started
  force_stop:
    description: Kill the instance instead of a clean shutdown when stopping, restarting or deleting it.
    type: bool
    default: false
  restart_on_change:
    description:
      - Restart a running instance when a change only takes effect at the next start (see RV(needs_restart)).
        Keys LXD applies live (C(user.*), C(limits.cpu), C(limits.memory), C(snapshots.*), ...) never restart it.
    type: bool
    default: false
  wait_for_ipv4:
    description:
      - After starting, wait until the instance's network interfaces have a global IPv4 address.
      - C(wait_for_ipv4_addresses) is community.general's name for it.
    type: bool
    default: false
    aliases: [wait_for_ipv4_addresses]
  wait_for_ipv4_interfaces:
    description: With O(wait_for_ipv4), wait only for these interfaces (default all but C(lo)).
    type: list
    elements: str
  wait_timeout:
    description:
      - Seconds to wait for O(wait_for_ipv4) and for a clean stop (LXD's state-change timeout);
        community.general.lxd_container calls this C(timeout).
      - Default V(60); when not given but O(timeout) is (other than V(30)), O(timeout)'s value
        with a warning (see the description above).
      - Not O(timeout), which is the wait for each answer from LXD.
    type: int
  wait_for_container:
    description:
      - community.general's option to wait until LXD's operations have finished. This module
        always waits for them, so V(true) is what happens anyway; V(false) cannot apply and warns.
    type: bool
  ignore_volatile_options:
    description:
      - community.general's option; here LXD's own C(volatile.*) keys are never a change and
        are kept, whatever its value (community.general's V(true)).
      - C(volatile.*) keys given in O(config) are set when LXD has another value (community.general's
        V(false)); with V(true), community.general sets them again at every run, this module
        does not, and warns.
    type: bool
  architecture:
    description:
      - Architecture of a new instance (V(x86_64), V(aarch64); LXD also takes V(amd64),
        V(arm64)...). Default the image's.
      - LXD does not change the architecture of an existing instance; a different one fails,
        naming both, and changes nothing.
    type: str
  new_name:
    description:
      - Rename the instance.
      - When O(name) is gone and O(new_name) exists, the rename counts as done, so a rerun changes
        nothing; when both exist, or neither, the task fails and changes nothing (give O(name) to
        create an instance).
      - LXD renames only stopped instances; a running or frozen one is stopped first when
        O(state=stopped) or O(restart_for_rename=true), otherwise the task fails without
        changing anything.
    type: str
  restart_for_rename:
    description:
      - Allow O(new_name) to stop a running or frozen instance, rename it and bring it back to
        O(state) (with O(state=present), to the state it was in). An ephemeral instance is
        still refused (LXD deletes it when it stops).
    type: bool
    default: false
  target:
    description:
      - Cluster member to create the instance on.
      - An existing instance on another member is moved there (LXD moves only stopped instances;
        a running or frozen one is stopped, moved and started again only when O(restart_on_change=true),
        otherwise the task fails without changing anything).
      - A standalone LXD refuses O(target).
    type: str
seealso:
  - module: lxdkit.lxd.lxd_profile
  - module: lxdkit.lxd.lxd_snapshot
"""

EXAMPLES = r"""
- name: A web server from a local image, started, with the web-server profile
  lxdkit.lxd.lxd_instance:
    name: web01
    source: debian-bookworm
    profiles: [default, web-server]
    config:
      boot.autostart: true
      snapshots.schedule: "@daily"
      snapshots.expiry: 2w
    devices:
      http:
        type: proxy
        listen: tcp:127.0.0.1:8080
        connect: tcp:127.0.0.1:80
    wait_for_ipv4: true
  register: web01

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ web01.addresses.eth0 }}"

- name: Clone it with its snapshots (lxc copy web01 web02)
  lxdkit.lxd.lxd_instance:
    name: web02
    source_instance: web01
    state: stopped

- name: A copy of one snapshot, started
  lxdkit.lxd.lxd_instance:
    name: web-restore-test
    source_instance: web01/before-upgrade

- name: Raise the memory limit and restart so it surely applies
  lxdkit.lxd.lxd_instance:
    name: web01
    merge_config: true
    config:
      limits.memory: 4GB
    restart_on_change: true

- name: Freeze it
  lxdkit.lxd.lxd_instance:
    name: web01
    state: frozen

- name: Rename it while it runs, allowing the restart that takes
  lxdkit.lxd.lxd_instance:
    name: web01
    new_name: web-frontend
    restart_for_rename: true

- name: A community.general.lxd_container task, only the module name changed
  lxdkit.lxd.lxd_container:
    name: mycontainer
    ignore_volatile_options: true
    state: started
    source:
      type: image
      alias: debian-bookworm
    profiles: ["default"]
    wait_for_ipv4_addresses: true
    wait_timeout: 600

- name: An empty container (no image), to fill with a root file system before its first start
  lxdkit.lxd.lxd_instance:
    name: scratch
    source:
      type: none
    state: stopped

- name: Delete it, even if it runs
  lxdkit.lxd.lxd_instance:
    name: web02
    state: absent
    force_stop: true
"""

RETURN = r"""
instance:
  description: The instance as LXD has it after the task (its planned form in check mode); null when absent.
  returned: always
  type: dict
  sample: {name: web01, status: Running, type: container, profiles: [default, web-server], config: {limits.cpu: "2"}}
addresses:
  description: Global IPv4 addresses per network interface (C(lo) left out), when the instance runs.
  returned: always
  type: dict
  sample: {eth0: [10.99.0.23]}
addresses_ipv6:
  description: Global IPv6 addresses per network interface, when the instance runs.
  returned: always
  type: dict
  sample: {eth0: []}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create, start]
needs_restart:
  description:
    - True when the instance was running, changed in a way that only takes effect at the next
      start, and was not restarted (O(restart_on_change=false)).
  returned: always
  type: bool
restart_reasons:
  description: The changes behind RV(needs_restart) (V(profiles), V(config.KEY), V(devices)); empty when none.
  returned: always
  type: list
  elements: str
  sample: [config.security.nesting]
old_state:
  description:
    - The instance's status before the task (V(Running), V(Stopped), V(Frozen)), or V(absent).
    - As C(lxdkit.lxd.lxd_container), community.general.lxd_container's words - V(started),
      V(stopped), V(frozen) or V(absent) - so that playbooks testing it keep working.
  returned: always
  type: str
"""

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
        self.config = string_map("config", self.params["config"])
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
        """True when the task names the module lxd_container (the redirect to this module that
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
                "new_name: instance %r is %s and LXD renames only stopped instances; rename it with "
                "state=stopped (then start it in a later task) or allow the restart with restart_for_rename=true%s"
                % (current["name"], current["status"], "; an ephemeral instance is deleted when it stops" if current.get("ephemeral") else ""))
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


def main():
    run_module(
        InstanceManager,
        dict(
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
        ),
        mutually_exclusive=[("source", "source_instance")],
    )


if __name__ == "__main__":
    main()
