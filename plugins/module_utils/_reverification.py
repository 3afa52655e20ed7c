# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups read back again later: a disk, a NAS or a copy job can damage a file that was whole
when it was written. Each backup's last whole read is recorded in ``FILE.verified`` (its time,
written atomically); a run reads again the files whose record is older than a given age, records
the good ones and reports the damaged ones, which it never deletes (they may be the only copy)."""

from __future__ import annotations

import fnmatch
import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import verify_backup_archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import write_atomically
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import VERIFIED_SUFFIX, is_backup
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import SIDECAR_SUFFIX, read_sidecar, sha256_file
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, parse_timestamp, to_lxd_time


def last_verified(path):
    """When ``path`` was last read back whole (aware datetime), or None: never, or an unreadable record."""
    try:
        with open(path + VERIFIED_SUFFIX) as stream:
            text = stream.read().strip()
    except FileNotFoundError:
        return None
    try:
        return parse_timestamp(path + VERIFIED_SUFFIX, text)
    except LxdkitError:
        return None  # a damaged record only means the file is read again


def record_verified(path, when):
    write_atomically(path + VERIFIED_SUFFIX, [(to_lxd_time(when) + "\n").encode()])


def forget_verified(path):
    """Drop the record of a file that was replaced without being read back."""
    try:
        os.unlink(path + VERIFIED_SUFFIX)
    except FileNotFoundError:
        pass


def check_backup(path):
    """Read ``path`` back: its sidecar checksum (when it has one), then the whole archive.
    Returns None when it is whole, else what is wrong."""
    try:
        recorded = read_sidecar(path)
        if recorded is not None:
            actual = sha256_file(path)
            if actual != recorded:
                return "does not match its checksum %s%s (recorded %s, file %s)" % (
                    os.path.basename(path), SIDECAR_SUFFIX, recorded, actual)
        verify_backup_archive(path)
    except LxdkitError as exc:
        return exc.msg
    except OSError as exc:
        return "cannot be read: %s" % (exc.strerror or exc)
    return None


def due_for_verification(directory, match, older_than, moment):
    """Names of the backups in ``directory`` matching ``match`` whose last verification is
    older than ``older_than`` (a timedelta) at ``moment``, or that were never verified; and the
    names that are not due."""
    due, fresh = [], []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not (is_backup(name) and fnmatch.fnmatchcase(name, match) and os.path.isfile(path)):
            continue
        when = last_verified(path)
        (due if when is None or moment - when >= older_than else fresh).append(name)
    return due, fresh


def reverify(directory, names, check_mode, moment=None):
    """Read the named backups back; record the time of each whole one (not in check mode).
    Returns ``(verified names, damaged [{name, error}])``. Damaged files stay as they are,
    and so does their old record, so they stay due."""
    verified, damaged = [], []
    for name in names:
        path = os.path.join(directory, name)
        problem = check_backup(path)
        if problem is not None:
            damaged.append(dict(name=name, error=problem))
            continue
        verified.append(name)
        if not check_mode:
            record_verified(path, moment or now())
    return verified, damaged
