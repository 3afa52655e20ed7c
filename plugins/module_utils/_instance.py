# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances: the power actions between states, the creation source, what needs a restart,
addresses and waiting for them."""

from __future__ import annotations

import re
import time

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# Keys LXD writes into an instance's own config: never a change, never removed.
INSTANCE_SERVER_MANAGED = ("volatile.", "image.")

# (wanted state, LXD status) -> the state API actions that get there, in order.
_POWER = {
    ("started", "Running"): [], ("started", "Stopped"): ["start"], ("started", "Frozen"): ["unfreeze"],
    ("stopped", "Running"): ["stop"], ("stopped", "Stopped"): [], ("stopped", "Frozen"): ["unfreeze", "stop"],
    ("frozen", "Running"): ["freeze"], ("frozen", "Stopped"): ["start", "freeze"], ("frozen", "Frozen"): [],
    ("restarted", "Running"): ["restart"], ("restarted", "Stopped"): ["start"], ("restarted", "Frozen"): ["unfreeze", "restart"],
    # present: the instance exists as declared; its power state is left as it is.
    ("present", "Running"): [], ("present", "Stopped"): [], ("present", "Frozen"): [],
}
# The status each action leaves behind.
AFTER_ACTION = {"start": "Running", "stop": "Stopped", "restart": "Running", "freeze": "Frozen", "unfreeze": "Running"}

# Config keys LXD applies to a running instance at once. Anything else (security.*, raw.*,
# limits.kernel.*, linux.*, ...) takes effect at the next start. Virtual machines take
# fewer keys live, so their list is shorter.
_LIVE_KEYS = {
    "container": ("user.", "boot.", "snapshots.", "environment.", "migration.", "security.protection.", "cloud-init.",
                  "limits.cpu", "limits.memory", "limits.processes", "limits.disk.", "limits.network.", "limits.hugepages."),
    "virtual-machine": ("user.", "boot.", "snapshots.", "migration.", "security.protection.", "cloud-init."),
}

_FINGERPRINT = re.compile(r"^[0-9a-f]{12,64}$")


def power_actions(wanted, status):
    """The actions from LXD ``status`` to the ``wanted`` state (started/stopped/frozen/restarted)."""
    try:
        return list(_POWER[(wanted, status)])
    except KeyError:
        raise LxdkitError(
            "cannot bring the instance from status %s to %s: LXD reports a status other than Running, "
            "Stopped or Frozen; fix the instance by hand (lxc info --show-log)" % (status, wanted))


def restart_needed_for(before, after, instance_type="container"):
    """The changes between two instance views that only take effect at the next start.

    Profiles may carry any key, so a different profile list counts; containers hotplug
    devices, virtual machines are taken to need a restart for device changes.
    """
    reasons = []
    if before["profiles"] != after["profiles"]:
        reasons.append("profiles")
    live = _LIVE_KEYS.get(instance_type, _LIVE_KEYS["virtual-machine"])
    for key in sorted(set(before["config"]) | set(after["config"])):
        if before["config"].get(key) == after["config"].get(key):
            continue
        if not key.startswith(INSTANCE_SERVER_MANAGED) and not key.startswith(live):
            reasons.append("config.%s" % key)
    if instance_type != "container" and before["devices"] != after["devices"]:
        reasons.append("devices")
    return reasons


def looks_like_fingerprint(text):
    return bool(_FINGERPRINT.match(text or ""))


def creation_source(client, params):
    """The source to create an instance from, from the module's ``source*`` options, and the
    object a copy starts from (None for images)."""
    if params["source_instance"]:
        source = copy_source(params["source_instance"], params["instance_only"])
        instance, _sep, snapshot = params["source_instance"].partition("/")
        origin = client.find("instances/%s/snapshots/%s" % (instance, snapshot) if snapshot else "instances/%s" % instance)
        if origin is None:
            raise LxdkitError("source_instance %r does not exist in project %s" % (params["source_instance"], client.project))
        return source, origin
    image = params["source"]
    if not image:
        raise LxdkitError("instance %r does not exist: give source (an image alias or fingerprint) "
                          "or source_instance to create it" % params["name"])
    if params["source_server"]:
        return dict(type="image", alias=image, server=params["source_server"], protocol=params["source_protocol"], mode="pull"), None
    if client.find("images/aliases/%s" % image) is not None:
        return dict(type="image", alias=image), None
    if looks_like_fingerprint(image):
        found = client.find("images/%s" % image)
        if found is not None:
            return dict(type="image", fingerprint=found["fingerprint"]), None
    raise LxdkitError("image %r is not in the local image store (no such alias or fingerprint); "
                      "import it first (lxd_image) or give source_server" % image)


def copy_source(source_instance, instance_only):
    """The creation source for ``lxc copy SRC DST`` (SRC may be ``instance/snapshot``)."""
    parts = source_instance.split("/")
    if len(parts) > 2 or not all(parts):
        raise LxdkitError("source_instance %r must be INSTANCE or INSTANCE/SNAPSHOT" % source_instance)
    source = dict(type="copy", source=source_instance)
    if len(parts) == 1:
        source["instance_only"] = bool(instance_only)
    return source


def addresses(state, family="inet"):
    """``{nic: [address, ...]}`` from GET instances/NAME/state, global scope, loopback left out."""
    result = {}
    for nic, details in sorted(((state or {}).get("network") or {}).items()):
        if nic == "lo":
            continue
        result[nic] = [entry["address"] for entry in details.get("addresses") or []
                       if entry.get("family") == family and entry.get("scope") == "global"]
    return result


def missing_ipv4(state, interfaces=None):
    """The interfaces (all but lo, or the given ones) that have no global IPv4 address yet."""
    found = addresses(state)
    wanted = interfaces or sorted(found) or ["eth0"]
    return [nic for nic in wanted if not found.get(nic)]


def wait_for_ipv4(client, name, interfaces, timeout):
    """Wait until the instance's interfaces (all but lo, or ``interfaces``) have a global IPv4."""
    deadline = time.monotonic() + timeout
    while True:
        missing = missing_ipv4(client.get("instances/%s/state" % name), interfaces)
        if not missing:
            return
        if time.monotonic() > deadline:
            raise LxdkitError("instance %s has no IPv4 address on %s after %d s (wait_timeout); does the image run a DHCP client, "
                              "and does the network hand out addresses?" % (name, ", ".join(missing), timeout))
        time.sleep(1)
