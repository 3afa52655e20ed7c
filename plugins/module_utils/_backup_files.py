# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A directory of backup files: its lock, its listing, what pruning takes and the deletion of a
backup with its sidecar."""

from __future__ import annotations

import datetime
import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import TEMP_SUFFIX
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import SIDECAR_SUFFIX
from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import file_lock

LOCK_NAME = ".lxdkit.lock"
# ``FILE.verified``: when FILE was last read back whole (its time, ISO 8601); see _reverification.
VERIFIED_SUFFIX = ".verified"


def directory_lock(directory):
    """Hold an exclusive lock on a backup directory. Runs that publish a backup with its
    sidecar, or prune, take it so that another run never sees a backup beside the previous
    file's sidecar, nor deletes what the other is about to keep."""
    return file_lock(os.path.join(directory, LOCK_NAME))


def is_backup(name):
    """False for the files that go with backups but are none: sidecars, verification records, temp files, the lock."""
    return name != LOCK_NAME and not name.endswith((SIDECAR_SUFFIX, VERIFIED_SUFFIX, TEMP_SUFFIX))


def file_entries(directory):
    """(name, mtime) for the regular files in ``directory``."""
    entries = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            mtime = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
            entries.append((name, mtime))
    return entries


def delete_backups(directory, names):
    """Delete backup files with their sidecars; one already gone (another run, a person) is fine."""
    for name in names:
        base = os.path.join(directory, name)
        for path in (base, base + SIDECAR_SUFFIX, base + VERIFIED_SUFFIX):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
