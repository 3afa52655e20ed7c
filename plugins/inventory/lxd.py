# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: lxd
short_description: LXD instances as inventory, through the LXD API
version_added: 0.1.0
description:
  - Lists LXD instances of one or more projects, over the local unix socket or HTTPS, and makes
    them hosts that the P(lxdkit.lxd.lxd#connection) connection reaches without further setup.
  - Host variables C(lxd_status), C(lxd_type), C(lxd_project), C(lxd_profiles), C(lxd_location),
    C(lxd_addresses) (IPv4 per NIC), C(lxd_addresses_ipv6), C(lxd_networks), C(lxd_os),
    C(lxd_release) and C(lxd_user) (the C(user.*) config keys, without the prefix).
  - Groups C(lxd_status_<status>), C(lxd_type_<type>), C(lxd_project_<project>),
    C(lxd_profile_<profile>), C(lxd_network_<network>), C(lxd_os_<os>), C(lxd_release_<release>),
    plus whatever O(groups) and O(keyed_groups) make.
  - Instances of the default project are named as they are; those of other projects as C(NAME.PROJECT).
  - Every host gets the C(ansible_lxd_*) variables of the P(lxdkit.lxd.lxd#connection) connection
    for its instance and project, and for each connection option set here to other than its default,
    except O(trust_token) and O(trust_password) (the inventory's first contact has made the client trusted).
  - The inventory file must end in C(lxd.yml) or C(lxd.yaml).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - constructed
  - lxdkit.lxd.connection
  - lxdkit.lxd.connection.plugins
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [lxdkit.lxd.lxd]
  projects:
    description: Projects to list; V([all]) lists every project. Without it, O(project) alone.
    type: list
    elements: str
  status:
    description: Only instances with one of these statuses (V(Running), V(Stopped), V(Frozen)); default all.
    type: list
    elements: str
    default: []
  type_filter:
    description: Only instances of this type.
    type: str
    choices: [container, virtual-machine, both]
    default: both
  name_pattern:
    description: Only instances whose name matches this regular expression.
    type: str
  connection:
    description: The C(ansible_connection) to set on every host; an empty string sets none.
    type: str
    default: lxdkit.lxd.lxd
"""

EXAMPLES = r"""
# lxd.yml: running containers of two projects, grouped by a user.role config key
plugin: lxdkit.lxd.lxd
projects: [default, web]
status: [Running]
type_filter: container
keyed_groups:
  - key: lxd_user.role | default('none')
    prefix: role
compose:
  ansible_python_interpreter: "'/usr/bin/python3'"
"""

import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT, LxdClient, connection_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._instance import addresses


# The connection options a host passes on to the connection plugin (ansible_lxd_<option>), so
# that it reaches the server the inventory listed. The project is each host's own; the trust
# secrets are needed once, and the inventory has used them (they would show in the host vars).
_OPTIONS = connection_argument_spec()
PASSED_ON = tuple(name for name in _OPTIONS if name not in ("project", "trust_token", "trust_password"))


def _group_part(value):
    return re.sub(r"[^A-Za-z0-9_]", "_", str(value)).lower()


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = "lxdkit.lxd.lxd"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("lxd.yml", "lxd.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            for project, instance in self._instances():
                self._add(project, instance)
        except LxdkitError as exc:
            raise AnsibleParserError("LXD inventory: %s" % exc.msg)

    def _client(self, project):
        """A client for one project, built as modules build theirs: every connection option."""
        return LxdClient.from_options(lambda name: project if name == "project" else self.get_option(name))

    def _listed(self, project, path, params):
        client = self._client(project)
        try:
            return client.get(path, params=params) or []
        finally:
            client.close()

    def _instances(self):
        projects = self.get_option("projects") or [self.get_option("project")]
        if "all" in projects:
            projects = [project["name"] for project in self._listed(DEFAULT_PROJECT, "projects", {"recursion": "1"})]
        pattern = re.compile(self.get_option("name_pattern")) if self.get_option("name_pattern") else None
        wanted_type = self.get_option("type_filter")
        statuses = self.get_option("status")
        for project in projects:
            for instance in self._listed(project, "instances", {"recursion": "2"}):
                if statuses and instance.get("status") not in statuses:
                    continue
                if wanted_type != "both" and instance.get("type") != wanted_type:
                    continue
                if pattern and not pattern.search(instance["name"]):
                    continue
                yield project, instance

    def _add(self, project, instance):
        name = instance["name"] if project == "default" else "%s.%s" % (instance["name"], project)
        config = instance.get("expanded_config") or instance.get("config") or {}
        devices = instance.get("expanded_devices") or instance.get("devices") or {}
        state = instance.get("state") or {}
        variables = dict(
            lxd_name=instance["name"],
            lxd_status=instance.get("status"),
            lxd_type=instance.get("type"),
            lxd_project=project,
            lxd_profiles=instance.get("profiles") or [],
            lxd_location=instance.get("location"),
            lxd_addresses=addresses(state),
            lxd_addresses_ipv6=addresses(state, "inet6"),
            lxd_networks=sorted(set(device["network"] for device in devices.values() if device.get("type") == "nic" and device.get("network"))),
            lxd_os=config.get("image.os"),
            lxd_release=config.get("image.release"),
            lxd_user=dict((key[len("user."):], value) for key, value in config.items() if key.startswith("user.")),
            ansible_lxd_instance=instance["name"],
            ansible_lxd_project=project,
        )
        if self.get_option("connection"):
            variables["ansible_connection"] = self.get_option("connection")
        for option in PASSED_ON:
            value = self.get_option(option)
            # Defaults stay unset: a host var set here would outrank the user's group_vars.
            if value is not None and value != _OPTIONS[option].get("default"):
                variables["ansible_lxd_" + option] = value
        self.inventory.add_host(name)
        for key, value in variables.items():
            self.inventory.set_variable(name, key, value)
        groups = ["lxd_status_%s" % variables["lxd_status"], "lxd_type_%s" % variables["lxd_type"], "lxd_project_%s" % project]
        groups += ["lxd_profile_%s" % profile for profile in variables["lxd_profiles"]]
        groups += ["lxd_network_%s" % network for network in variables["lxd_networks"]]
        groups += ["lxd_%s_%s" % (key, variables["lxd_" + key]) for key in ("os", "release") if variables["lxd_" + key]]
        for group in groups:
            group = self.inventory.add_group(_group_part(group))
            self.inventory.add_child(group, name)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)
