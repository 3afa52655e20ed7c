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
  - In a cluster, LXD lists each instance once whatever member runs it; C(lxd_location) names that
    member and the group C(lxd_location_<member>) holds the instances of each member.
  - The host variables of the community.general.lxd inventory are set too, where LXD has the data
    (C(ansible_lxd_os) and C(ansible_lxd_release) in lower case, C(ansible_lxd_profile),
    C(ansible_lxd_state) (the status in lower case), C(ansible_lxd_type), C(ansible_lxd_project),
    C(ansible_lxd_location) (clusters only) and C(ansible_lxd_vlan_ids)), as is C(lxd_vlan_ids),
    the VLAN id of each NIC on a network with a C(vlan) key (macvlan, sriov, physical) or with its
    own C(vlan) key, keyed by the network or, for a NIC without one, by the device.
  - C(lxd_preferred_address) is the address that O(prefered_instance_network_interface) and
    O(prefered_instance_network_family) choose; when O(connection) is not an LXD connection
    (for example V(ssh)), it is the host's C(ansible_host), as community.general.lxd sets it.
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
  state:
    description:
      - community.general.lxd's status filter, with its meaning; V(none) lists every status.
      - Applies together with O(status) when both are given.
    type: str
    default: none
    choices: [STOPPED, STARTING, RUNNING, FROZEN, none]
    version_added: 0.2.0
  groupby:
    description:
      - community.general.lxd's groups, with its syntax, a mapping of group names to a C(type) and an C(attribute) (see the examples).
      - V(location) (the cluster member named by C(attribute); without C(attribute), every instance
        that has a member, as community.general.lxd does), V(pattern) (a regular expression searched
        in the host name), V(network_range) (an IPv4 or IPv6 network holding one of the addresses),
        V(os), V(release), V(profile), V(type), V(project) (compared without case), V(vlanid)
        (one of C(lxd_vlan_ids)).
      - An unknown type, a missing attribute or one that is not a valid value for its type fails
        the inventory with the group's name, before LXD is asked anything.
    type: dict
    default: {}
    version_added: 0.2.0
  prefered_instance_network_interface:
    description:
      - The interface whose address is C(lxd_preferred_address), the first by name that starts
        with this text; when none has an address of O(prefered_instance_network_family), the first
        interface that has one.
    type: str
    default: eth
    aliases: [prefered_container_network_interface]
    version_added: 0.2.0
  prefered_instance_network_family:
    description: The address family of C(lxd_preferred_address), V(inet) (IPv4) or V(inet6) (IPv6).
    type: str
    default: inet
    choices: [inet, inet6]
    version_added: 0.2.0
  server_check_hostname:
    description:
      - Accepted for community.general.lxd users. This plugin does not turn off the check of the
        server's name alone; V(false) gives a warning that says what to use (O(server_cert) or
        O(validate_certs)).
    type: bool
    default: true
    version_added: 0.2.0
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

# Another file (one YAML document each; shown commented here):
# community.general.lxd's options, read with their meaning: running instances only, groups by
# member, by image and by network range, and the IPv4 address of eth* as ansible_host for SSH
# plugin: lxdkit.lxd.lxd
# state: RUNNING
# connection: ssh
# prefered_instance_network_interface: eth
# groupby:
#   on_member1:
#     type: location
#     attribute: member1
#   debian:
#     type: os
#     attribute: debian
#   lab:
#     type: network_range
#     attribute: 10.99.0.0/24
#   vlan666:
#     type: vlanid
#     attribute: 666
"""

import ipaddress
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

# Connections that reach the instance by its name: ansible_host stays the instance's.
LXD_CONNECTIONS = ("lxdkit.lxd.lxd", "community.general.lxd")

GROUPBY_TYPES = ("location", "pattern", "network_range", "os", "release", "profile", "type", "project", "vlanid")

# LXD writes "none" as the location of an instance on a server that is not clustered.
NOT_CLUSTERED = (None, "", "none")


def _group_part(value):
    return re.sub(r"[^A-Za-z0-9_]", "_", str(value)).lower()


def _groupby_rules(groupby):
    """community.general's groupby, checked whole before LXD is asked: ``[(group, test)]``, where
    ``test(variables, host)`` says whether a host belongs to the group."""
    if not isinstance(groupby, dict):
        raise AnsibleParserError("LXD inventory: groupby must be a mapping of group names to {type, attribute}")
    rules = []
    for group, rule in groupby.items():
        where = "groupby.%s" % group
        if not isinstance(rule, dict):
            raise AnsibleParserError("LXD inventory: %s must be a mapping with type and attribute" % where)
        kind, attribute = rule.get("type"), rule.get("attribute")
        if kind not in GROUPBY_TYPES:
            raise AnsibleParserError("LXD inventory: %s.type is %r; allowed: %s" % (where, kind, ", ".join(GROUPBY_TYPES)))
        if attribute is None and kind != "location":
            raise AnsibleParserError("LXD inventory: %s.attribute is required for type %s" % (where, kind))
        rules.append((group, _groupby_test(where, kind, attribute)))
    return rules


def _groupby_test(where, kind, attribute):
    if kind == "location":
        if attribute is None:
            return lambda variables, host: variables["lxd_location"] not in NOT_CLUSTERED
        return lambda variables, host: str(variables["lxd_location"]).lower() == str(attribute).lower()
    if kind == "pattern":
        try:
            pattern = re.compile(str(attribute))
        except re.error as exc:
            raise AnsibleParserError("LXD inventory: %s.attribute is not a regular expression: %s" % (where, exc))
        return lambda variables, host: bool(pattern.search(host))
    if kind == "network_range":
        try:
            network = ipaddress.ip_network(str(attribute), strict=False)
        except ValueError as exc:
            raise AnsibleParserError("LXD inventory: %s.attribute must be an IPv4 or IPv6 network: %s" % (where, exc))
        return lambda variables, host: any(
            ipaddress.ip_address(address) in network
            for key in ("lxd_addresses", "lxd_addresses_ipv6") for found in variables[key].values() for address in found)
    if kind == "vlanid":
        try:
            vlan = int(attribute)
        except (TypeError, ValueError):
            raise AnsibleParserError("LXD inventory: %s.attribute must be a VLAN id (an integer), not %r" % (where, attribute))
        return lambda variables, host: vlan in variables["lxd_vlan_ids"].values()
    if kind == "profile":
        return lambda variables, host: str(attribute).lower() in [profile.lower() for profile in variables["lxd_profiles"]]
    key = {"os": "lxd_os", "release": "lxd_release", "type": "lxd_type", "project": "lxd_project"}[kind]
    return lambda variables, host: str(variables[key] or "").lower() == str(attribute).lower()


def _vlan_ids(devices, networks):
    """``{network or device: VLAN id}`` for the NICs that are on a VLAN (macvlan, sriov, physical)."""
    found = {}
    for device_name, device in sorted(devices.items()):
        if device.get("type") != "nic":
            continue
        network = networks.get(device.get("network")) or {}
        vlan = device.get("vlan") or (network.get("config") or {}).get("vlan")
        if vlan not in (None, ""):
            found[device.get("network") or device_name] = int(vlan)
    return found


def _preferred_address(state, interface_prefix, family):
    """community.general's choice: the first interface (by name) starting with the prefix that has
    an address of the family, else the first interface that has one."""
    found = addresses(state, family)
    preferred = [nic for nic in sorted(found) if nic.startswith(interface_prefix) and found[nic]]
    for nic in preferred + sorted(nic for nic in found if found[nic]):
        return found[nic][0]
    return None


class InventoryModule(BaseInventoryPlugin, Constructable):

    NAME = "lxdkit.lxd.lxd"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("lxd.yml", "lxd.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        self._groupby = _groupby_rules(self.get_option("groupby") or {})
        self._warned = set()
        if self.get_option("server_check_hostname") is False:
            self.display.warning(
                "LXD inventory: server_check_hostname=false does not apply to lxdkit.lxd.lxd, which does not turn off "
                "the check of the server's name alone: pin the server's certificate with server_cert, or set "
                "validate_certs=false for a server you trust")
        try:
            for project, instance, networks in self._instances():
                self._add(project, instance, networks)
        except LxdkitError as exc:
            raise AnsibleParserError("LXD inventory: %s" % exc.msg)

    def _client(self, project):
        """A client for one project, built as modules build theirs: every connection option.
        Its warnings are said once per inventory source (each project has a client)."""
        client = LxdClient.from_options(lambda name: project if name == "project" else self.get_option(name))
        client.server  # connect: the warnings come with the connection
        for text in client.warnings:
            if text not in self._warned:
                self._warned.add(text)
                self.display.warning(text)
        return client

    def _listed(self, project, path, params):
        client = self._client(project)
        try:
            return client.get(path, params=params) or []
        finally:
            client.close()

    def _project_listing(self, project):
        """The instances of a project and, when a NIC of one names a network, its networks (for VLAN ids)."""
        client = self._client(project)
        try:
            instances = client.get("instances", params={"recursion": "2"}) or []
            networks = {}
            if any(device.get("type") == "nic" and device.get("network")
                   for instance in instances for device in (instance.get("expanded_devices") or {}).values()):
                networks = dict((network["name"], network) for network in client.get("networks", params={"recursion": "1"}) or [])
            return instances, networks
        finally:
            client.close()

    def _projects(self):
        projects = self.get_option("projects") or [self.get_option("project")]
        if "all" in projects:
            projects = [project["name"] for project in self._listed(DEFAULT_PROJECT, "projects", {"recursion": "1"})]
        # Each project once, so that each instance is listed once.
        return list(dict.fromkeys(projects))

    def _instances(self):
        pattern = re.compile(self.get_option("name_pattern")) if self.get_option("name_pattern") else None
        wanted_type = self.get_option("type_filter")
        statuses = self.get_option("status")
        state = self.get_option("state")
        for project in self._projects():
            instances, networks = self._project_listing(project)
            for instance in instances:
                status = instance.get("status") or ""
                if statuses and status not in statuses:
                    continue
                if state != "none" and status.lower() != state.lower():
                    continue
                if wanted_type != "both" and instance.get("type") != wanted_type:
                    continue
                if pattern and not pattern.search(instance["name"]):
                    continue
                yield project, instance, networks

    def _add(self, project, instance, networks):
        name = instance["name"] if project == "default" else "%s.%s" % (instance["name"], project)
        config = instance.get("expanded_config") or instance.get("config") or {}
        devices = instance.get("expanded_devices") or instance.get("devices") or {}
        state = instance.get("state") or {}
        location = instance.get("location")
        variables = dict(
            lxd_name=instance["name"],
            lxd_status=instance.get("status"),
            lxd_type=instance.get("type"),
            lxd_project=project,
            lxd_profiles=instance.get("profiles") or [],
            lxd_location=location,
            lxd_addresses=addresses(state),
            lxd_addresses_ipv6=addresses(state, "inet6"),
            lxd_networks=sorted(set(device["network"] for device in devices.values() if device.get("type") == "nic" and device.get("network"))),
            lxd_os=config.get("image.os"),
            lxd_release=config.get("image.release"),
            lxd_user=dict((key[len("user."):], value) for key, value in config.items() if key.startswith("user.")),
            lxd_vlan_ids=_vlan_ids(devices, networks),
            lxd_preferred_address=_preferred_address(
                state, self.get_option("prefered_instance_network_interface"), self.get_option("prefered_instance_network_family")),
            ansible_lxd_instance=instance["name"],
            ansible_lxd_project=project,
        )
        variables.update(self._community_general_vars(variables))
        connection = self.get_option("connection")
        if connection:
            variables["ansible_connection"] = connection
        if connection not in LXD_CONNECTIONS and variables["lxd_preferred_address"]:
            variables["ansible_host"] = variables["lxd_preferred_address"]
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
        if location not in NOT_CLUSTERED:
            groups.append("lxd_location_%s" % location)
        for group in groups:
            group = self.inventory.add_group(_group_part(group))
            self.inventory.add_child(group, name)
        for group, belongs in self._groupby:
            group = self.inventory.add_group(group)
            if belongs(variables, name):
                self.inventory.add_child(group, name)
        strict = self.get_option("strict")
        self._set_composite_vars(self.get_option("compose"), variables, name, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, name, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, name, strict=strict)

    @staticmethod
    def _community_general_vars(variables):
        """The host variables community.general.lxd sets, from the same data, where LXD has it."""
        found = dict(ansible_lxd_profile=variables["lxd_profiles"], ansible_lxd_state=(variables["lxd_status"] or "").lower(),
                     ansible_lxd_type=variables["lxd_type"])
        for key in ("os", "release"):
            if variables["lxd_" + key]:
                found["ansible_lxd_" + key] = variables["lxd_" + key].lower()
        if variables["lxd_location"] not in NOT_CLUSTERED:
            found["ansible_lxd_location"] = variables["lxd_location"]
        if variables["lxd_vlan_ids"]:
            found["ansible_lxd_vlan_ids"] = variables["lxd_vlan_ids"]
        return found
