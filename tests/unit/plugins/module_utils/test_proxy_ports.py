# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Proxy listen addresses: parsing, and probing real sockets on loopback."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._proxy_ports import MAX_PROBED_PORTS, listen_endpoints, taken_proxy_listeners


@pytest.mark.parametrize("listen, endpoints", [
    ("tcp:127.0.0.1:80", [("tcp", "127.0.0.1", 80)]),
    ("udp:0.0.0.0:53", [("udp", "0.0.0.0", 53)]),
    ("tcp:[::1]:8443", [("tcp", "::1", 8443)]),
    ("tcp:127.0.0.1:8000-8002,8443", [("tcp", "127.0.0.1", port) for port in (8000, 8001, 8002, 8443)]),
    ("unix:/run/app.sock", []),
    ("tcp:127.0.0.1:http", []),
    ("tcp:80", []),
    ("", []),
    ("tcp:127.0.0.1:0", []),
])
def test_listen_values(listen, endpoints):
    assert listen_endpoints(listen) == endpoints


def test_a_wide_range_is_probed_only_at_its_start():
    assert len(listen_endpoints("tcp:127.0.0.1:1000-60000")) == MAX_PROBED_PORTS


@pytest.fixture
def held_tcp_port():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_held_port_is_reported_with_its_device(held_tcp_port):
    devices = {
        "web": dict(type="proxy", listen="tcp:127.0.0.1:%d" % held_tcp_port, connect="tcp:127.0.0.1:80"),
        "eth0": dict(type="nic", network="lxdbr0"),
        "root": dict(type="disk", path="/", pool="default"),
    }
    assert taken_proxy_listeners(devices) == ["127.0.0.1:%d (proxy device web)" % held_tcp_port]


def test_free_ports_and_instance_side_listeners_are_not_reported(held_tcp_port):
    devices = {
        "free": dict(type="proxy", listen="tcp:127.0.0.1:%d" % _free_port(), connect="tcp:127.0.0.1:80"),
        "inside": dict(type="proxy", bind="instance", listen="tcp:127.0.0.1:%d" % held_tcp_port, connect="tcp:127.0.0.1:80"),
        "sock": dict(type="proxy", listen="unix:/run/nothing.sock", connect="tcp:127.0.0.1:80"),
    }
    assert taken_proxy_listeners(devices) == []


def test_a_held_udp_port_is_reported():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        devices = {"dns": dict(type="proxy", listen="udp:127.0.0.1:%d" % port, connect="udp:127.0.0.1:53")}
        assert taken_proxy_listeners(devices) == ["127.0.0.1:%d (proxy device dns)" % port]


def test_a_port_in_time_wait_is_not_in_use():
    """Closing the connecting side first leaves the listening port's connection in TIME_WAIT."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _address = server.accept()
        accepted.close()  # the server side closes first: its end of the connection waits
        client.close()
    devices = {"web": dict(type="proxy", listen="tcp:127.0.0.1:%d" % port, connect="tcp:127.0.0.1:80")}
    assert taken_proxy_listeners(devices) == []
