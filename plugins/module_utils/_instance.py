# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance logic without LXD calls: the power actions between states, creation sources and
the view of an instance that the modules compare and return."""

from __future__ import annotations

import re

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


def copy_source(source_instance, instance_only):
    """The creation source for ``lxc copy SRC DST`` (SRC may be ``instance/snapshot``)."""
    parts = source_instance.split("/")
    if len(parts) > 2 or not all(parts):
        raise LxdkitError("source_instance %r must be INSTANCE or INSTANCE/SNAPSHOT" % source_instance)
    source = dict(type="copy", source=source_instance)
    if len(parts) == 1:
        source["instance_only"] = bool(instance_only)
    return source


def instance_view(instance):
    """What the module manages and compares."""
    if instance is None:
        return None
    return dict(
        name=instance["name"],
        description=instance.get("description") or "",
        profiles=list(instance.get("profiles") or []),
        config=dict(instance.get("config") or {}),
        devices=dict(instance.get("devices") or {}),
        ephemeral=bool(instance.get("ephemeral")),
    )


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
