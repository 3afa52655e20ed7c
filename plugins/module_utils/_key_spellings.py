# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config keys that LXD and Incus spell differently, and a config written in the spelling of
the server it goes to.

Incus renamed the guest API keys of instances and profiles (verified on Incus 6.0.4: it
refuses ``security.devlxd`` with "Unknown configuration key", and so refuses a backup made by
LXD that has it); LXD 5.0 knows only its own names. A key in the other server's spelling is
written in the target's, so one task (or one backup) serves both.
"""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import INCUS, LXD
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import to_lxd_string

# LXD's spelling: Incus's spelling.
INSTANCE_KEYS = {
    "security.devlxd": "security.guestapi",
    "security.devlxd.images": "security.guestapi.images",
}
_TO = {
    INCUS: INSTANCE_KEYS,
    LXD: dict((incus, lxd) for lxd, incus in INSTANCE_KEYS.items()),
}


def foreign_keys(server, config):
    """The keys of ``config`` spelled for the other server than ``server``, sorted."""
    renames = _TO.get(server, {})
    return sorted(key for key in (config or {}) if key in renames)


def spelled_for(server, config, where="config"):
    """A copy of ``config`` with every key in ``server``'s spelling; ``config`` when nothing
    needs renaming. A key given in both spellings with different values is an error naming
    both (``where``: the field, for the message)."""
    renames = _TO.get(server, {})
    if not config or not any(key in renames for key in config):
        return config
    spelled = dict((key, value) for key, value in config.items() if key not in renames)
    for key in foreign_keys(server, config):
        native = renames[key]
        if native in config and to_lxd_string(where, native, config[native]) != to_lxd_string(where, key, config[key]):
            raise LxdkitError("%s sets both %s (%s's name) and %s (%s's) to different values (%r, %r); give one of them"
                              % (where, key, "LXD" if server == INCUS else "Incus", native,
                                 "Incus" if server == INCUS else "LXD", config[key], config[native]))
        spelled[native] = config[native] if native in config else config[key]
    return spelled
