# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run that left something behind has ended: names that carry this machine and the
process, and the check that the process is gone."""

from __future__ import annotations

import errno
import hashlib
import os
import socket


def host_tag():
    """Eight hex digits naming this machine (a hash: the host name itself is not published)."""
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True
