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


WEB = instance("web01", config={"user.role": "web"}, address="10.99.0.10")
DB = instance("db01", status="Stopped", profiles=("default", "db"))
VM = instance("vm01", kind="virtual-machine", address="10.99.0.20")


@pytest.fixture
def fake():
    fake = FakeLxd(projects=["default", "staging"])
    fake.route("GET", "instances", sync([WEB, DB, VM]), project="default")
    fake.route("GET", "instances", sync([instance("web01", address="10.99.0.30")]), project="staging")
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
    assert sorted(name for name in web if name.startswith("ansible_lxd_")) == ["ansible_lxd_instance", "ansible_lxd_project"]


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
    passed = dict((name, value) for name, value in web.items() if name.startswith("ansible_lxd_"))
    assert passed == {"ansible_lxd_instance": "web01", "ansible_lxd_project": "default", "ansible_lxd_url": "https://lxd.example.com:8443",
                      "ansible_lxd_server_cert": str(tmp_path / "server.crt"), "ansible_lxd_validate_certs": False,
                      "ansible_lxd_timeout": 7.0}

    # The connection plugin reads them as its options: it reaches the server the inventory listed.
    plugin = connection_loader.get("lxdkit.lxd.lxd", PlayContext())
    plugin.set_options(var_options=web)
    assert dict((name, plugin.get_option(name)) for name in ("instance", "project", "url", "server_cert", "validate_certs", "timeout")) == {
        "instance": "web01", "project": "default", "url": "https://lxd.example.com:8443",
        "server_cert": str(tmp_path / "server.crt"), "validate_certs": False, "timeout": 7.0}
