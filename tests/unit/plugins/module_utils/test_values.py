# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import resolve_endpoint
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import device_map, string_map


def test_config_values_become_lxd_strings():
    assert string_map("config", {"limits.cpu": 2, "boot.autostart": True, "security.nesting": False,
                                 "limits.memory": "2GB", "limits.cpu.allowance": 0.5}) == {
        "limits.cpu": "2", "boot.autostart": "true", "security.nesting": "false",
        "limits.memory": "2GB", "limits.cpu.allowance": "0.5"}
    assert string_map("config", None) is None


@pytest.mark.parametrize("value, kind", [([1], "a list"), ({"a": 1}, "a mapping")])
def test_config_refuses_structures_and_names_the_key(value, kind):
    with pytest.raises(LxdkitError) as info:
        string_map("config", {"user.data": value})
    assert "config.user.data is %s" % kind in info.value.msg


def test_devices_need_a_type_and_get_string_values():
    assert device_map("devices", {"http": {"type": "proxy", "listen": "tcp:127.0.0.1:80", "bind": "host"}}) == {
        "http": {"type": "proxy", "listen": "tcp:127.0.0.1:80", "bind": "host"}}
    with pytest.raises(LxdkitError) as info:
        device_map("devices", {"eth0": {"network": "lxdbr0"}})
    assert "devices.eth0 has no 'type'" in info.value.msg
    with pytest.raises(LxdkitError):
        device_map("devices", {"eth0": "nic"})


@pytest.mark.parametrize("name", ["", "a/b", "has space", ".", "..", "q?", "x#y"])
def test_bad_object_names(name):
    with pytest.raises(LxdkitError) as info:
        check_object_name("name", name)
    assert "name" in info.value.msg


@pytest.mark.parametrize("name", ["web01", "a", "web-server-1"])
def test_good_instance_names(name):
    check_instance_name("name", name)


@pytest.mark.parametrize("name", ["1web", "web_01", "web-", "a" * 64, "w.b"])
def test_bad_instance_names(name):
    with pytest.raises(LxdkitError) as info:
        check_instance_name("name", name)
    assert "not a valid instance name" in info.value.msg


def test_endpoint_resolution():
    assert resolve_endpoint("https://lxd:8443/") == ("https://lxd:8443", "https://lxd:8443")
    exists = {"/var/snap/lxd/common/lxd/unix.socket"}.__contains__
    assert resolve_endpoint(None, exists=exists) == ("/var/snap/lxd/common/lxd/unix.socket", "unix:/var/snap/lxd/common/lxd/unix.socket")
    assert resolve_endpoint("unix:/x.sock", exists={"/x.sock"}.__contains__) == ("/x.sock", "unix:/x.sock")
    assert resolve_endpoint("unix:/a", "unix:/b", exists={"/b"}.__contains__) == ("/b", "unix:/b")
    with pytest.raises(LxdkitError) as info:
        resolve_endpoint("unix:/nope", exists=lambda path: False)
    assert "LXD is not reachable at unix:/nope" in info.value.msg
