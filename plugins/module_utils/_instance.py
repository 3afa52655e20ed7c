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


# community.general's ``source`` dict: the keys each ``type`` may have (LXD's instance source).
SOURCE_KEYS = {
    "image": ("type", "alias", "fingerprint", "server", "protocol", "mode", "certificate", "secret"),
    "copy": ("type", "source", "instance_only"),
    "none": ("type",),
}
_SOURCE_PROTOCOLS = ("lxd", "simplestreams")

# LXD's architecture names and the distribution names LXD takes for them.
_ARCHITECTURE_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "i386": "i686", "arm64": "aarch64", "armhf": "armv7l",
                         "armel": "armv6l", "ppc64el": "ppc64le"}


def architecture_name(name):
    """LXD's name of an architecture (``amd64`` -> ``x86_64``), to compare with what LXD reports."""
    return _ARCHITECTURE_ALIASES.get(name, name) if name else name


def source_spec(params):
    """The creation source the options describe, in one form: ``kind`` (image, copy, none)
    and its details, with ``field`` naming the option to blame in messages.

    ``source`` is either text (an image alias or fingerprint; ``source_server``,
    ``source_protocol`` beside it) or community.general's dict (``{type: image, alias: ...,
    server: ..., protocol: ...}``, ``{type: copy, source: ...}``, ``{type: none}``).
    """
    source = params["source"]
    if params["source_instance"]:
        return dict(kind="copy", instance=params["source_instance"], instance_only=params["instance_only"], field="source_instance")
    if source is None or isinstance(source, str):
        return dict(kind="image", image=source, by=None, server=params["source_server"], protocol=params["source_protocol"],
                    extra={}, field="source", server_field="source_server")
    if not isinstance(source, dict):
        raise LxdkitError("source must be an image alias or fingerprint (text) or a dict like community.general's "
                          "({type: image, alias: NAME}), not a %s" % type(source).__name__)
    return _source_from_dict(source, params)


def _source_from_dict(source, params):
    kind = source.get("type")
    if kind is None:
        # What the keys name: an image (alias, fingerprint) or an instance to copy (source).
        kind = "image" if source.get("alias") or source.get("fingerprint") else "copy" if source.get("source") else None
        if kind is None:
            raise LxdkitError("source needs a type (one of %s), or source.alias / source.fingerprint for an image"
                              % ", ".join(sorted(SOURCE_KEYS)))
        source = dict(source, type=kind)
    if kind == "migration":
        raise LxdkitError("source.type=migration (an instance from another LXD server) is done by lxdkit.lxd.lxd_instance_migration; "
                          "this module takes source.type image, copy or none")
    if kind not in SOURCE_KEYS:
        raise LxdkitError("source.type must be one of %s, not %r" % (", ".join(sorted(SOURCE_KEYS)), kind))
    unknown = sorted(set(source) - set(SOURCE_KEYS[kind]))
    if unknown:
        raise LxdkitError("source.%s is not used with source.type=%s; it takes %s" % (unknown[0], kind, ", ".join(SOURCE_KEYS[kind])))
    for key, value in source.items():
        if key != "instance_only" and not isinstance(value, str):
            raise LxdkitError("source.%s must be text, not a %s" % (key, type(value).__name__))
    if params["source_server"]:
        raise LxdkitError("source_server goes with source as text; with source as a dict, give the server as source.server")
    if kind == "none":
        return dict(kind="none", field="source.type")
    if kind == "copy":
        if not source.get("source"):
            raise LxdkitError("source.source is required with source.type=copy: the instance (NAME) or snapshot (NAME/SNAPSHOT) to copy")
        instance_only = source.get("instance_only", False)
        if not isinstance(instance_only, bool):
            raise LxdkitError("source.instance_only must be true or false")
        return dict(kind="copy", instance=source["source"], instance_only=instance_only, field="source.source")
    if bool(source.get("alias")) == bool(source.get("fingerprint")):
        raise LxdkitError("source with type image needs one of source.alias or source.fingerprint (not both)")
    if source.get("mode", "pull") != "pull":
        raise LxdkitError("source.mode must be pull (LXD downloads the image), not %r" % source["mode"])
    if source.get("protocol") is not None and source["protocol"] not in _SOURCE_PROTOCOLS:
        raise LxdkitError("source.protocol must be one of %s, not %r" % (", ".join(_SOURCE_PROTOCOLS), source["protocol"]))
    if not source.get("server") and (source.get("protocol") or source.get("certificate") or source.get("secret")):
        raise LxdkitError("source.protocol, source.certificate and source.secret need source.server (the image server)")
    by = "alias" if source.get("alias") else "fingerprint"
    return dict(kind="image", image=source[by], by=by, server=source.get("server"), protocol=source.get("protocol"),
                extra=dict((key, source[key]) for key in ("certificate", "secret") if source.get(key)),
                field="source.%s" % by, server_field="source.server")


def creation_source(client, params, spec=None):
    """The source to create an instance from (LXD's ``source`` object), from the module's
    ``source*`` options, and the object a copy starts from (None for images and empty ones)."""
    spec = spec or source_spec(params)
    if spec["kind"] == "none":
        return dict(type="none"), None
    if spec["kind"] == "copy":
        source = copy_source(spec["instance"], spec["instance_only"])
        instance, _sep, snapshot = spec["instance"].partition("/")
        origin = client.find("instances/%s/snapshots/%s" % (instance, snapshot) if snapshot else "instances/%s" % instance)
        if origin is None:
            raise LxdkitError("%s %r does not exist in project %s" % (spec["field"], spec["instance"], client.project))
        return source, origin
    image = spec["image"]
    if not image:
        raise LxdkitError("instance %r does not exist: give source (an image alias or fingerprint) "
                          "or source_instance to create it" % params["name"])
    if spec["server"]:
        source = dict(type="image", server=spec["server"], mode="pull", **spec["extra"])
        source[spec["by"] or "alias"] = image
        if spec["protocol"]:
            source["protocol"] = spec["protocol"]
        return source, None
    if spec["by"] != "fingerprint" and client.find("images/aliases/%s" % image) is not None:
        return dict(type="image", alias=image), None
    if spec["by"] == "fingerprint" or looks_like_fingerprint(image):
        found = client.find("images/%s" % image)
        if found is not None:
            return dict(type="image", fingerprint=found["fingerprint"]), None
    what = {None: "alias or fingerprint", "alias": "alias", "fingerprint": "fingerprint"}[spec["by"]]
    raise LxdkitError("%s: image %r is not in the local image store (no such %s); "
                      "import it first (lxd_image) or give %s" % (spec["field"], image, what, spec["server_field"]))


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
