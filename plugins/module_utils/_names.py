# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks on object names, done before anything is sent to LXD."""

from __future__ import annotations

import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

_UNSAFE = re.compile(r"[\s/\\?#%\x00-\x1f\x7f]")
# Instances become hostnames: LXD allows letters, digits and dashes, starting with a letter.
_HOSTNAME = re.compile(r"^[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def check_object_name(field, name):
    """Profiles, networks, ACLs, snapshots: a URL-safe name without slashes or spaces."""
    if name is None:
        return
    if not isinstance(name, str) or not name:
        raise LxdkitError("%s must be a non-empty string" % field)
    if name in (".", "..") or _UNSAFE.search(name):
        raise LxdkitError(
            "%s %r is not a valid LXD name: use letters, digits, '-', '_', '.' or ':' "
            "(no '/', spaces, '?', '#', '%%' or control characters, and not '.' or '..')" % (field, name)
        )


def check_instance_name(field, name):
    """Instance names are hostnames: 1-63 letters, digits and '-', starting with a letter."""
    if name is None:
        return
    if not isinstance(name, str) or not _HOSTNAME.match(name):
        raise LxdkitError(
            "%s %r is not a valid instance name: 1 to 63 letters, digits and '-', "
            "starting with a letter and not ending with '-'" % (field, name)
        )
