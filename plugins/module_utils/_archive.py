# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading an LXD backup archive end to end, to prove it can be unpacked before it is kept."""

from __future__ import annotations

import bz2
import contextlib
import functools
import gzip
import lzma
import posixpath
import shutil
import subprocess
import tarfile
import zlib

from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# The file every LXD backup carries; LXD refuses an import without it.
INDEX = "backup/index.yaml"

# Leading bytes of each compression LXD offers, and how to decompress it: a stdlib opener,
# or a command that writes the decompressed stream to stdout.
_FORMATS = (
    ("gzip", b"\x1f\x8b", gzip.open, None),
    ("bzip2", b"BZh", bz2.open, None),
    ("xz", b"\xfd7zXZ\x00", lzma.open, None),
    ("zstd", b"\x28\xb5\x2f\xfd", None, ("zstd", "-dcq")),
    ("lz4", b"\x04\x22\x4d\x18", None, ("lz4", "-dcq")),
    ("lzma", b"\x5d\x00\x00", functools.partial(lzma.open, format=lzma.FORMAT_ALONE), None),
)


def _open_binary(path):
    return open(path, "rb")


_PLAIN = ("none", b"", _open_binary, None)


def _format_of(path):
    """The entry of ``_FORMATS`` that the file's leading bytes match, else the plain tar's."""
    with open(path, "rb") as stream:
        head = stream.read(8)
    for entry in _FORMATS:
        if head.startswith(entry[1]):
            return entry
    return _PLAIN


def compression_of(path):
    """The compression of the file at ``path`` by its leading bytes: one of LXD's names."""
    return _format_of(path)[0]


def verify_backup_archive(path):
    """Decompress and read every byte of the backup at ``path`` as a tar archive, and check that
    it holds ``backup/index.yaml``. Returns ``dict(compression, members)``; raises LxdkitError
    saying what is wrong (a damaged compressed stream, a cut-off tar, no index)."""
    compression, _magic, opener, command = _format_of(path)
    try:
        with _decompressed(path, compression, opener, command) as stream:
            members, has_index = _walk_tar(stream)
    except (OSError, EOFError, tarfile.TarError, lzma.LZMAError, zlib.error, ValueError) as exc:
        raise LxdkitError("the backup archive %s (%s) is damaged: %s" % (path, compression, exc))
    if not has_index:
        raise LxdkitError("the backup archive %s (%s) holds no %s: LXD cannot import it" % (path, compression, INDEX))
    return dict(compression=compression, members=members)


@contextlib.contextmanager
def decompressed(path, whole=True):
    """``(compression, stream)``: the backup file at ``path`` decompressed as it is read;
    ``whole`` false when the reader may stop before the end."""
    compression, _magic, opener, command = _format_of(path)
    try:
        with _decompressed(path, compression, opener, command, whole) as stream:
            yield compression, stream
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise LxdkitError("the backup archive %s (%s) is damaged: %s" % (path, compression, exc))


def _walk_tar(stream):
    members, has_index = 0, False
    with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as archive:
        for member in archive:  # stream mode reads each member's data to reach the next header
            members += 1
            has_index = has_index or posixpath.normpath(member.name) == INDEX
    while stream.read(CHUNK):  # the rest, so that the decompressor checks its trailer and checksum
        pass
    return members, has_index


@contextlib.contextmanager
def _decompressed(path, compression, opener, command, whole=True):
    """The decompressed stream: from ``opener``, or from the stdout of ``command``. ``whole``
    false: the reader may stop before the end (the command's exit status is not checked)."""
    if command is None:
        with opener(path) as stream:
            yield stream
        return
    if shutil.which(command[0]) is None:
        raise LxdkitError("reading a %s backup needs the %s command on the machine that runs the module; install it (or export without verify)"
                          % (compression, command[0]))
    with open(path, "rb") as source:
        process = subprocess.Popen(command, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield process.stdout
    except BaseException:
        process.kill()  # the tar error is the one to report, not the broken pipe it causes
        process.wait()
        process.stderr.close()
        raise
    finally:
        process.stdout.close()
    if not whole:  # the reader stopped where it wanted: the broken pipe is no damage
        process.kill()
        process.wait()
        process.stderr.close()
        return
    error = process.stderr.read().decode(errors="replace").strip()
    process.stderr.close()
    if process.wait() != 0:
        raise LxdkitError("the backup archive %s (%s) is damaged: %s says %s" % (path, compression, command[0], error or "exit %d" % process.returncode))
