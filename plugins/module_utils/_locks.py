# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine-local exclusive locks (flock) for runs of this collection's modules that would
otherwise work on the same thing at the same time."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os

LOCK_DIR_ENV = "LXDKIT_LOCK_DIR"


@contextlib.contextmanager
def file_lock(path):
    """Hold an exclusive lock on ``path`` (created 0600 if missing) for the ``with`` block."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def instance_lock(where, project, instance):
    """One lock per LXD server, project and instance. LXD 5.0 can wedge an operation for good
    when snapshots of one instance are taken, deleted and exported at the same moment, so runs
    on this machine (two playbooks rotating one instance) take turns instead."""
    return instance_locks([(where, project, instance)])


@contextlib.contextmanager
def instance_locks(instances):
    """The locks of several (where, project, instance) at once, always taken in the same order
    (sorted by file), so two runs that need the same two instances (a move there and a move
    back) cannot each hold one and wait for the other."""
    # A fixed place: every run must find the same file, and Ansible gives each module process
    # its own temporary directory.
    directory = os.environ.get(LOCK_DIR_ENV) or "/tmp/lxdkit-locks-%d" % os.getuid()
    os.makedirs(directory, mode=0o700, exist_ok=True)
    paths = sorted({os.path.join(directory, "instance-%s.lock" % _lock_key(*entry)) for entry in instances})
    with contextlib.ExitStack() as held:
        for path in paths:
            held.enter_context(file_lock(path))
        yield


def _lock_key(where, project, instance):
    return hashlib.sha256(("%s|%s|%s" % (where, project, instance)).encode()).hexdigest()[:24]
