# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run that left something behind has ended: names that carry this machine and the
process (its PID and start time), and the check that the process is gone."""

from __future__ import annotations

import errno
import hashlib
import os
import socket

# States of /proc/PID/stat of a process that has ended but is not reaped yet (zombie, dead).
_ENDED_STATES = ("Z", "X", "x")


def host_tag():
    """Eight hex digits naming this machine (a hash: the host name itself is not published)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _proc_stat(pid):
    """``(state, start time in clock ticks since boot)`` of ``pid`` from /proc, ``None`` when
    there is no such process, ``False`` when /proc cannot tell (not Linux, not mounted)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat:
            data = stat.read().decode("ascii", "replace")
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else False
    except OSError:
        return False
    # The command name (field 2) is in parentheses and may itself hold spaces and ")".
    fields = data[data.rfind(")") + 2:].split()
    if len(fields) < 20:
        return False
    return fields[0], int(fields[19])  # fields 3 and 22 of proc(5)


def process_start(pid):
    """The start time of ``pid`` (clock ticks since boot, field 22 of /proc/PID/stat), or 0
    where /proc cannot tell; with the PID it names one process even after the PID is reused."""
    stat = _proc_stat(pid)
    return stat[1] if stat else 0


def process_alive(pid, started=None):
    """True while ``pid`` runs. A zombie (ended, not reaped: common where PID 1 does not reap,
    as in containers and execution environments) counts as gone, and so does a process that
    has the PID now but started at another time than ``started`` (a reused PID)."""
    stat = _proc_stat(pid)
    if stat is None:
        return False
    if stat is not False:
        state, start = stat
        if state in _ENDED_STATES:
            return False
        return not started or start == started
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
