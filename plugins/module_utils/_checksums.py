# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA-256 of files and the ``FILE.sha256`` sidecars (sha256sum format) beside them."""

from __future__ import annotations

import hashlib
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

SIDECAR_SUFFIX = ".sha256"


def sha256_file(*paths):
    """SHA-256 of the files' contents, one after the other, read in chunks."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                digest.update(chunk)
    return digest.hexdigest()


def sidecar_line(checksum, path):
    return ("%s  %s\n" % (checksum, path.rsplit("/", 1)[-1])).encode()


def read_sidecar(path):
    """The checksum recorded in ``path.sha256``, or None without a sidecar."""
    sidecar = path + SIDECAR_SUFFIX
    try:
        with open(sidecar) as stream:
            fields = stream.read().split()
    except FileNotFoundError:
        return None
    if not fields or not re.match(r"^[0-9a-f]{64}$", fields[0]):
        raise LxdkitError("%s is not a sha256 sidecar (expected '<64 hex digits>  <file name>')" % sidecar)
    return fields[0]


def is_damaged(path):
    """True when ``path`` has a sidecar and no longer matches it."""
    recorded = read_sidecar(path)
    return recorded is not None and recorded != sha256_file(path)
