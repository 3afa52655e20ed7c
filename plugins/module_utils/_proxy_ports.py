# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which host addresses an instance's proxy devices want to listen on are already taken on
this machine. LXD 5.0 reports a proxy that cannot bind either as "address already in use" or,
in a race of its own, as "Failed to receive fd from listener process"; a task talking to the
local socket can find the real cause itself."""

from __future__ import annotations

import errno
import socket

# A listen range wider than this is not probed port by port.
MAX_PROBED_PORTS = 64


def taken_proxy_listeners(devices):
    """``"address:port (proxy device NAME)"`` for every host-side listen address of the proxy
    devices in ``devices`` (an instance's expanded devices) that something here already holds."""
    taken = []
    for name in sorted(devices):
        device = devices[name]
        if device.get("type") != "proxy" or device.get("bind", "host") != "host":
            continue
        for protocol, host, port in listen_endpoints(device.get("listen", "")):
            if _in_use(protocol, host, port):
                taken.append("%s:%d (proxy device %s)" % (host, port, name))
    return taken


def listen_endpoints(listen):
    """``(protocol, host, port)`` for a proxy ``listen`` value such as ``tcp:127.0.0.1:80``,
    ``udp:[::1]:53`` or ``tcp:0.0.0.0:8000-8002,8443``; nothing for unix sockets or text it
    does not understand."""
    protocol, _sep, rest = listen.partition(":")
    host, _sep, ports = rest.rpartition(":")
    if protocol not in ("tcp", "udp") or not host:
        return []
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    numbers = []
    for part in ports.split(","):
        first, _sep, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            return []
        first, last = int(first), int(last or first)
        numbers.extend(range(first, min(last, first + MAX_PROBED_PORTS - 1) + 1))
    return [(protocol, host, port) for port in numbers if 0 < port < 65536]


def _in_use(protocol, host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    try:
        probe = socket.socket(family, kind)
    except OSError:
        return False
    try:
        # As LXD's own listener does: a port left in TIME_WAIT is not "in use".
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE
    finally:
        probe.close()
    return False
