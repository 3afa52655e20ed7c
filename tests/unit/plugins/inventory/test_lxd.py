# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lxdkit.lxd.lxd inventory, loaded by Ansible's plugin loader, against the fake LXD."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader, inventory_loader

from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import FakeLxd, error, sync


def instance(name, status="Running", kind="container", profiles=("default",), config=None, address=None):
    """An instance as GET instances?recursion=2 lists it."""
    network = {"eth0": {"addresses": [{"family": "inet", "address": address, "netmask": "24", "scope": "global"}]}} if address else {}
    return {
        "name": name, "status": status, "type": kind, "profiles": list(profiles), "location": "none",
        "config": {}, "expanded_config": dict({"image.os": "Debian", "image.release": "bookworm"}, **(config or {})),
        "expanded_devices": {"eth0": {"type": "nic", "network": "lxdbr0", "name": "eth0"}, "root": {"type": "disk", "path": "/"}},
        "state": {"network": network} if status == "Running" else None,
    }


# The host variables community.general.lxd sets (facts about the instance, not connection options).
COMMUNITY_GENERAL_VARS = ("ansible_lxd_os", "ansible_lxd_release", "ansible_lxd_profile", "ansible_lxd_state",
                          "ansible_lxd_type", "ansible_lxd_location", "ansible_lxd_vlan_ids")

WEB = instance("web01", config={"user.role": "web"}, address="10.99.0.10")
DB = instance("db01", status="Stopped", profiles=("default", "db"))
VM = instance("vm01", kind="virtual-machine", address="10.99.0.20")


@pytest.fixture
def fake():
    fake = FakeLxd(projects=["default", "staging"])
    fake.route("GET", "instances", sync([WEB, DB, VM]), project="default")
    fake.route("GET", "instances", sync([instance("web01", address="10.99.0.30")]), project="staging")
    fake.route("GET", "networks", sync([{"name": "lxdbr0", "type": "bridge", "config": {"ipv4.address": "10.99.0.1/24"}}]))
    with fake.serving():
        yield fake


def parsed(tmp_path, **config):
    """Parse an inventory file with ``config`` as Ansible does; return the plugin and the inventory."""
    path = tmp_path / "test.lxd.yml"
    path.write_text(json.dumps(dict(plugin="lxdkit.lxd.lxd", **config)))  # JSON is YAML
    plugin = inventory_loader.get("lxdkit.lxd.lxd")
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return plugin, inventory


def parse(tmp_path, **config):
    return parsed(tmp_path, **config)[1]


def hostvars(inventory, name):
    return inventory.get_host(name).get_vars()


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


def test_every_instance_of_the_default_project_is_a_host_named_as_the_instance(fake, tmp_path):
    inventory = parse(tmp_path)
    assert sorted(inventory.hosts) == ["db01", "vm01", "web01"]
    assert all(request.project == "default" for request in fake.requests)


def test_host_vars_describe_the_instance_and_set_up_the_connection(fake, tmp_path):
    web = hostvars(parse(tmp_path), "web01")
    assert (web["lxd_status"], web["lxd_type"], web["lxd_project"], web["lxd_profiles"]) == ("Running", "container", "default", ["default"])
    assert web["lxd_addresses"] == {"eth0": ["10.99.0.10"]}
    assert (web["lxd_networks"], web["lxd_os"], web["lxd_release"], web["lxd_user"]) == (["lxdbr0"], "Debian", "bookworm", {"role": "web"})
    assert (web["ansible_connection"], web["ansible_lxd_instance"], web["ansible_lxd_project"]) == ("lxdkit.lxd.lxd", "web01", "default")
    # Nothing configured, nothing passed on: the connection's own defaults apply.
    assert sorted(name for name in web if name.startswith("ansible_lxd_") and name not in COMMUNITY_GENERAL_VARS) == [
        "ansible_lxd_instance", "ansible_lxd_project"]


def test_groups_by_status_type_project_profile_network_os_and_release(fake, tmp_path):
    inventory = parse(tmp_path)
    assert members(inventory, "lxd_status_running") == ["vm01", "web01"]
    assert members(inventory, "lxd_status_stopped") == ["db01"]
    assert members(inventory, "lxd_type_virtual_machine") == ["vm01"]
    assert members(inventory, "lxd_project_default") == ["db01", "vm01", "web01"]
    assert members(inventory, "lxd_profile_db") == ["db01"]
    assert members(inventory, "lxd_network_lxdbr0") == ["db01", "vm01", "web01"]
    assert members(inventory, "lxd_os_debian") == members(inventory, "lxd_release_bookworm") == ["db01", "vm01", "web01"]


def test_constructed_groups_keyed_groups_and_compose(fake, tmp_path):
    inventory = parse(tmp_path, groups={"stopped_ones": "lxd_status == 'Stopped'"},
                      keyed_groups=[{"key": "lxd_user.role | default('none')", "prefix": "role"}],
                      compose={"first_address": "(lxd_addresses.eth0 | default([]) | first) | default('')"})
    assert members(inventory, "stopped_ones") == ["db01"]
    assert members(inventory, "role_web") == ["web01"]
    assert members(inventory, "role_none") == ["db01", "vm01"]
    assert hostvars(inventory, "web01")["first_address"] == "10.99.0.10"


@pytest.mark.parametrize("config, hosts", [
    (dict(status=["Running"]), ["vm01", "web01"]),
    (dict(status=["Stopped", "Frozen"]), ["db01"]),
    (dict(type_filter="container"), ["db01", "web01"]),
    (dict(type_filter="virtual-machine"), ["vm01"]),
    (dict(name_pattern="^(web|db)"), ["db01", "web01"]),
    (dict(status=["Running"], type_filter="container", name_pattern="01$"), ["web01"]),
])
def test_filters(fake, tmp_path, config, hosts):
    assert sorted(parse(tmp_path, **config).hosts) == hosts


def test_projects_all_lists_every_project_and_names_hosts_of_others_with_the_project(fake, tmp_path):
    fake.route("GET", "projects", sync([{"name": "default"}, {"name": "staging"}]))
    inventory = parse(tmp_path, projects=["all"])
    assert sorted(inventory.hosts) == ["db01", "vm01", "web01", "web01.staging"]
    staging = hostvars(inventory, "web01.staging")
    assert (staging["ansible_lxd_instance"], staging["ansible_lxd_project"], staging["lxd_project"]) == ("web01", "staging", "staging")
    assert members(inventory, "lxd_project_staging") == ["web01.staging"]
    assert fake.requested("GET", "projects")[0].params == {"recursion": "1"}
    assert [request.project for request in fake.requested("GET", "instances")] == ["default", "staging"]


def test_the_project_option_alone_lists_that_project(fake, tmp_path):
    assert sorted(parse(tmp_path, project="staging").hosts) == ["web01.staging"]


def test_a_missing_project_fails_the_parse_with_lxd_s_reason(fake, tmp_path):
    with pytest.raises(AnsibleParserError, match="LXD inventory: project 'gone' does not exist"):
        parse(tmp_path, projects=["default", "gone"])


def test_an_lxd_refusal_fails_the_parse(fake, tmp_path):
    fake.route("GET", "instances", error(403, "not authorized"), project="default")
    with pytest.raises(AnsibleParserError, match="LXD inventory: .*client not trusted"):
        parse(tmp_path)


def test_each_project_s_client_is_closed(fake, tmp_path):
    fake.route("GET", "projects", sync([{"name": "default"}, {"name": "staging"}]))
    parse(tmp_path, projects=["all"])
    assert fake.closed == len(fake.opened) == 3


def test_the_client_gets_every_connection_option(fake, tmp_path):
    plugin = parsed(tmp_path, url="https://lxd.example.com:8443", trust_token="token-1", timeout=7, validate_certs=False,
                    snap_url="/snap.socket")[0]
    client = plugin._client("staging")
    assert (client.url, client.snap_url, client.trust_secret, client.validate_certs) == (
        "https://lxd.example.com:8443", "/snap.socket", "token-1", False)
    assert (client.project, client.timeout) == ("staging", 7.0)
    assert isinstance(client.timeout, float)
    assert fake.opened[0][1] == 7.0


def test_options_set_here_are_passed_on_to_the_connection_but_not_the_secrets(fake, tmp_path):
    options = dict(url="https://lxd.example.com:8443", server_cert=str(tmp_path / "server.crt"), validate_certs=False,
                   timeout=7, trust_token="token-1")
    web = hostvars(parse(tmp_path, **options), "web01")
    passed = dict((name, value) for name, value in web.items() if name.startswith("ansible_lxd_") and name not in COMMUNITY_GENERAL_VARS)
    assert passed == {"ansible_lxd_instance": "web01", "ansible_lxd_project": "default", "ansible_lxd_url": "https://lxd.example.com:8443",
                      "ansible_lxd_server_cert": str(tmp_path / "server.crt"), "ansible_lxd_validate_certs": False,
                      "ansible_lxd_timeout": 7.0}

    # The connection plugin reads them as its options: it reaches the server the inventory listed.
    plugin = connection_loader.get("lxdkit.lxd.lxd", PlayContext())
    plugin.set_options(var_options=web)
    assert dict((name, plugin.get_option(name)) for name in ("instance", "project", "url", "server_cert", "validate_certs", "timeout")) == {
        "instance": "web01", "project": "default", "url": "https://lxd.example.com:8443",
        "server_cert": str(tmp_path / "server.crt"), "validate_certs": False, "timeout": 7.0}


# -- community.general.lxd's options and host variables --------------------------------------

@pytest.mark.parametrize("config, hosts", [
    (dict(state="RUNNING"), ["vm01", "web01"]),
    (dict(state="STOPPED"), ["db01"]),
    (dict(state="STARTING"), []),
    (dict(state="none"), ["db01", "vm01", "web01"]),
    # Both filters apply: a running instance named by status but stopped by state is left out.
    (dict(state="RUNNING", status=["Stopped"]), []),
    (dict(state="RUNNING", type_filter="container"), ["web01"]),
])
def test_community_general_s_state_filter_is_applied(fake, tmp_path, config, hosts):
    assert sorted(parse(tmp_path, **config).hosts) == hosts


def test_community_general_host_variables(fake, tmp_path):
    inventory = parse(tmp_path)
    web, db = hostvars(inventory, "web01"), hostvars(inventory, "db01")
    assert dict((name, web[name]) for name in COMMUNITY_GENERAL_VARS if name in web) == {
        "ansible_lxd_os": "debian", "ansible_lxd_release": "bookworm", "ansible_lxd_profile": ["default"],
        "ansible_lxd_state": "running", "ansible_lxd_type": "container"}
    assert (db["ansible_lxd_state"], db["ansible_lxd_profile"]) == ("stopped", ["default", "db"])
    # Not clustered (location "none") and no VLAN: those variables are absent, as community.general leaves them.
    assert "ansible_lxd_location" not in web and "ansible_lxd_vlan_ids" not in web
    assert web["lxd_vlan_ids"] == {}


def clustered(fake):
    """A cluster's listing: each instance once, with the member that runs it."""
    listing = [dict(instance("web01", address="10.99.0.10"), location="member1"),
               dict(instance("web02", address="10.99.0.11"), location="member2"),
               dict(instance("db01", status="Stopped"), location="member2")]
    fake.route("GET", "instances", sync(listing), project="default")


def test_a_cluster_s_instances_are_listed_once_with_their_member_and_grouped_by_member(fake, tmp_path):
    clustered(fake)
    inventory = parse(tmp_path, groupby={"on_member1": {"type": "location", "attribute": "MEMBER1"},
                                         "clustered": {"type": "location"}})
    assert sorted(inventory.hosts) == ["db01", "web01", "web02"]
    assert len(fake.requested("GET", "instances")) == 1
    assert (hostvars(inventory, "web02")["lxd_location"], hostvars(inventory, "web02")["ansible_lxd_location"]) == ("member2", "member2")
    assert members(inventory, "lxd_location_member1") == ["web01"]
    assert members(inventory, "lxd_location_member2") == ["db01", "web02"]
    assert members(inventory, "on_member1") == ["web01"]
    assert members(inventory, "clustered") == ["db01", "web01", "web02"]


def test_a_standalone_server_makes_no_member_groups(fake, tmp_path):
    inventory = parse(tmp_path, groupby={"clustered": {"type": "location"}})
    assert not [group for group in inventory.groups if group.startswith("lxd_location_")]
    assert members(inventory, "clustered") == []


def test_a_project_named_twice_lists_its_instances_once(fake, tmp_path):
    assert sorted(parse(tmp_path, projects=["default", "default"]).hosts) == ["db01", "vm01", "web01"]
    assert len(fake.requested("GET", "instances")) == 1


def test_vlan_ids_of_macvlan_networks_and_of_nics_with_their_own_vlan(fake, tmp_path):
    tagged = instance("tagged01", address="10.99.0.40")
    tagged["expanded_devices"] = {
        "eth0": {"type": "nic", "network": "lxdbr0", "name": "eth0"},
        "eth1": {"type": "nic", "network": "vlan666", "name": "eth1"},
        "eth2": {"type": "nic", "nictype": "macvlan", "parent": "eno1", "vlan": "42", "name": "eth2"}}
    fake.route("GET", "instances", sync([tagged, WEB]), project="default")
    fake.route("GET", "networks", sync([{"name": "lxdbr0", "type": "bridge", "config": {}},
                                        {"name": "vlan666", "type": "macvlan", "config": {"parent": "eno1", "vlan": "666"}}]))
    inventory = parse(tmp_path, groupby={"vlan666": {"type": "vlanid", "attribute": 666},
                                         "vlan42": {"type": "vlanid", "attribute": "42"}})
    tagged_vars = hostvars(inventory, "tagged01")
    assert tagged_vars["lxd_vlan_ids"] == tagged_vars["ansible_lxd_vlan_ids"] == {"vlan666": 666, "eth2": 42}
    assert members(inventory, "vlan666") == members(inventory, "vlan42") == ["tagged01"]
    assert fake.requested("GET", "networks")[0].params == {"recursion": "1"}


def test_no_network_listing_when_no_nic_names_a_network(fake, tmp_path):
    bare = instance("bare01")
    bare["expanded_devices"] = {"root": {"type": "disk", "path": "/"}}
    fake.route("GET", "instances", sync([bare]), project="default")
    assert hostvars(parse(tmp_path), "bare01")["lxd_vlan_ids"] == {}
    assert fake.requested("GET", "networks") == []


def test_groupby_of_every_type(fake, tmp_path):
    groupby = {
        "pattern_web": {"type": "pattern", "attribute": "^web"},
        "lab_v4": {"type": "network_range", "attribute": "10.99.0.16/28"},
        "debian": {"type": "os", "attribute": "Debian"},
        "bookworm": {"type": "release", "attribute": "bookworm"},
        "db_profile": {"type": "profile", "attribute": "DB"},
        "vms": {"type": "type", "attribute": "virtual-machine"},
        "in_default": {"type": "project", "attribute": "default"},
    }
    inventory = parse(tmp_path, groupby=groupby)
    assert members(inventory, "pattern_web") == ["web01"]
    assert members(inventory, "lab_v4") == ["vm01"]  # 10.99.0.20, not web01's 10.99.0.10
    assert members(inventory, "debian") == members(inventory, "bookworm") == members(inventory, "in_default") == ["db01", "vm01", "web01"]
    assert members(inventory, "db_profile") == ["db01"]
    assert members(inventory, "vms") == ["vm01"]


def test_groupby_network_range_of_ipv6(fake, tmp_path):
    six = instance("six01")
    six["state"] = {"network": {"eth0": {"addresses": [{"family": "inet6", "address": "fd42::10", "netmask": "64", "scope": "global"}]}}}
    fake.route("GET", "instances", sync([six, WEB]), project="default")
    inventory = parse(tmp_path, groupby={"lab_v6": {"type": "network_range", "attribute": "fd42::/64"}})
    assert members(inventory, "lab_v6") == ["six01"]


@pytest.mark.parametrize("groupby, message", [
    ({"g": {"type": "colour", "attribute": "red"}}, "groupby.g.type is 'colour'; allowed: location, pattern, network_range, os"),
    ({"g": {"attribute": "red"}}, "groupby.g.type is None; allowed:"),
    ({"g": {"type": "os"}}, "groupby.g.attribute is required for type os"),
    ({"g": {"type": "network_range", "attribute": "10.99.0.300/24"}}, "groupby.g.attribute must be an IPv4 or IPv6 network"),
    ({"g": {"type": "vlanid", "attribute": "ten"}}, "groupby.g.attribute must be a VLAN id \\(an integer\\), not 'ten'"),
    ({"g": {"type": "pattern", "attribute": "(web"}}, "groupby.g.attribute is not a regular expression"),
    ({"g": "os"}, "groupby.g must be a mapping with type and attribute"),
])
def test_bad_groupby_fails_naming_the_group_before_lxd_is_asked(fake, tmp_path, groupby, message):
    with pytest.raises(AnsibleParserError, match="LXD inventory: " + message):
        parse(tmp_path, groupby=groupby)
    assert fake.requests == []


@pytest.mark.parametrize("config, address", [
    (dict(), "10.99.0.50"),  # eth0 before net0, IPv4 by default
    (dict(prefered_instance_network_interface="net"), "10.99.1.50"),
    (dict(prefered_container_network_interface="net"), "10.99.1.50"),  # community.general's older name
    (dict(prefered_instance_network_family="inet6"), "fd42::50"),
    # No net* interface with IPv6: the first interface that has an IPv6 address.
    (dict(prefered_instance_network_interface="net", prefered_instance_network_family="inet6"), "fd42::50"),
])
def test_the_preferred_address_follows_interface_and_family(fake, tmp_path, config, address):
    two = instance("two01")
    two["state"] = {"network": {
        "net0": {"addresses": [{"family": "inet", "address": "10.99.1.50", "netmask": "24", "scope": "global"}]},
        "eth0": {"addresses": [{"family": "inet", "address": "10.99.0.50", "netmask": "24", "scope": "global"},
                               {"family": "inet6", "address": "fd42::50", "netmask": "64", "scope": "global"},
                               {"family": "inet6", "address": "fe80::1", "netmask": "64", "scope": "link"}]}}}
    fake.route("GET", "instances", sync([two]), project="default")
    variables = hostvars(parse(tmp_path, **config), "two01")
    assert variables["lxd_preferred_address"] == address
    # The LXD connection reaches the instance by name: ansible_host is not an address then.
    assert "ansible_host" not in variables


def test_ansible_host_is_the_preferred_address_for_other_connections(fake, tmp_path):
    inventory = parse(tmp_path, connection="ssh")
    web, db = hostvars(inventory, "web01"), hostvars(inventory, "db01")
    assert (web["ansible_connection"], web["ansible_host"]) == ("ssh", "10.99.0.10")
    assert "ansible_host" not in db  # stopped: no address to give


def test_server_check_hostname_false_warns_what_to_use(fake, tmp_path, monkeypatch):
    warnings = []
    plugin = inventory_loader.get("lxdkit.lxd.lxd")
    monkeypatch.setattr(plugin.display, "warning", warnings.append)
    path = tmp_path / "test.lxd.yml"
    path.write_text(json.dumps(dict(plugin="lxdkit.lxd.lxd", server_check_hostname=False)))
    plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
    assert len(warnings) == 1 and "server_check_hostname=false does not apply" in warnings[0] and "server_cert" in warnings[0]
    warnings.clear()
    path.write_text(json.dumps(dict(plugin="lxdkit.lxd.lxd", server_check_hostname=True)))
    plugin.parse(InventoryData(), DataLoader(), str(path), cache=False)
    assert warnings == []


def test_community_general_s_trust_password_is_used_as_the_trust_secret(fake, tmp_path):
    plugin = parsed(tmp_path, trust_password="secret-1")[0]
    assert plugin._client("default").trust_secret == "secret-1"
