# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Turning user input into the string maps LXD stores (config keys, device properties)."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError


def to_lxd_string(field, key, value):
    """Return ``value`` as the string LXD expects; ``field`` and ``key`` name it in errors."""
    if isinstance(value, bool):
        # LXD's own spelling; YAML true/yes both arrive here as True.
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    kind = "a list" if isinstance(value, (list, tuple)) else "a mapping" if isinstance(value, dict) else type(value).__name__
    raise LxdkitError(
        "%s.%s is %s; LXD takes only strings, numbers or booleans there "
        "(write a multi-line value such as cloud-init as a YAML block string)" % (field, key, kind)
    )


def string_map(field, mapping):
    """Normalise a flat ``{key: scalar}`` mapping (an instance's or profile's ``config``)."""
    if mapping is None:
        return None
    if not isinstance(mapping, dict):
        raise LxdkitError("%s must be a mapping of keys to values, got %s" % (field, type(mapping).__name__))
    return dict((str(key), to_lxd_string(field, key, value)) for key, value in mapping.items())


def device_map(field, devices):
    """Normalise ``{device_name: {property: scalar}}``; every device needs a ``type``."""
    if devices is None:
        return None
    if not isinstance(devices, dict):
        raise LxdkitError("%s must be a mapping of device names to device properties" % field)
    result = {}
    for name, properties in devices.items():
        where = "%s.%s" % (field, name)
        if not isinstance(properties, dict):
            raise LxdkitError("%s must be a mapping of device properties (with at least 'type')" % where)
        if not properties.get("type"):
            raise LxdkitError(
                "%s has no 'type'; every LXD device needs one, for example nic, disk, proxy, "
                "unix-char, unix-block, usb, gpu, infiniband, tpm or none" % where
            )
        result[str(name)] = string_map(where, properties)
    return result
