# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups of instances and custom volumes on the LXD side: a server-side backup made under a
name that says which run made it, downloaded into a file that is never seen half-written, then
deleted; what interrupted runs left behind, cleaned; and the raw import of a backup file."""

from __future__ import annotations

import datetime
import os
import re
import uuid

from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import verify_backup_archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import own_leftovers, publish, write_temp
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import directory_lock
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_mapping import any_mapping, check_mapping, mapped_archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import read_sidecar
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import ChunkedBody
from ansible_collections.lxdkit.lxd.plugins.module_utils._liveness import host_tag, process_alive, process_start
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._reverification import forget_verified, record_verified
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, to_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

SERVER_BACKUP_PREFIX = "lxdkit-"
_SERVER_BACKUP_NAME = re.compile(
    "^" + re.escape(SERVER_BACKUP_PREFIX) + r"\d{14}-h(?P<host>[0-9a-f]{8})-p(?P<pid>\d+)(?:s(?P<started>\d+))?-[0-9a-f]+$")
# A server-side backup of an earlier run older than this is removed whoever made it.
STALE_SECONDS = 3600
# LXD deletes a server-side backup by itself after this, should both this run and the next fail.
SERVER_BACKUP_LIFETIME = datetime.timedelta(days=1)


def server_backup_name(stamp):
    """A name for the server-side backup that says which machine and process made it (PID and
    start time, so a reused PID is not taken for it), so a later run on the same machine can
    delete it as soon as that process is gone."""
    pid = os.getpid()
    return "%s%s-h%s-p%ds%d-%s" % (
        SERVER_BACKUP_PREFIX, stamp.strftime("%Y%m%d%H%M%S"), host_tag(), pid, process_start(pid), uuid.uuid4().hex[:8])


def abandoned_server_backup(name, alive=process_alive):
    """True for a server-side backup this module made on this machine in a process that has
    ended (killed mid-download, or LXD went away before it could be deleted)."""
    match = _SERVER_BACKUP_NAME.match(name)
    if not match or match.group("host") != host_tag():
        return False
    return not alive(int(match.group("pid")), int(match.group("started") or 0))


class Backups:
    """The backups of one instance or custom volume (``for_instance``, ``for_volume``) on one LXD
    server; LXD gives both the same backup API under their owner's path. ``warn(text)`` reports
    what the run survives (a server-side backup it could not delete)."""

    def __init__(self, client, owner, label, warn, only_key, prepare=None):
        self.client = client
        self.owner = owner  # API path: instances/web01, storage-pools/default/volumes/custom/data
        self.label = label  # for messages and the list of what was cleaned
        self.warn = warn
        self.only_key = only_key  # "instance_only" or "volume_only": leave the snapshots out
        self.prepare = prepare

    @classmethod
    def for_instance(cls, client, instance, warn):
        def rewrite_backup_yaml():
            # LXD puts the instance's backup.yaml into the backup as it is on disk, and concurrent
            # operations (a config update beside a snapshot) can leave it missing snapshots, which
            # makes the backup fail to start after an import. An empty PATCH has LXD write it anew.
            client.send_when_free("PATCH", "instances/%s" % instance, {})
        return cls(client, "instances/%s" % instance, instance, warn, "instance_only", rewrite_backup_yaml)

    @classmethod
    def for_volume(cls, client, pool, volume, warn):
        return cls(client, "storage-pools/%s/volumes/custom/%s" % (pool, volume), "volume %s/%s" % (pool, volume), warn, "volume_only")

    def path(self, name=None):
        return "%s/backups%s" % (self.owner, "/" + name if name else "")

    # -- server side --------------------------------------------------------------------------

    def create(self, compression, without_snapshots=False, optimized_storage=False, target=None):
        """Have LXD build a backup; returns its API path. While another run takes or deletes
        snapshots of the owner LXD may refuse for a moment: tried again under a new name."""
        if self.prepare is not None:
            self.prepare()

        def attempt(_number):
            name = server_backup_name(now())
            body = {"name": name, self.only_key: without_snapshots, "optimized_storage": optimized_storage,
                    "compression_algorithm": compression, "expires_at": to_lxd_time(now() + SERVER_BACKUP_LIFETIME)}
            try:
                self.client.send("POST", self.path(), body, target=target)
            except LxdkitError:
                self.drop(self.path(name))
                raise
            return self.path(name)

        return self.client.retry(attempt)

    def drop(self, backup_path):
        """Delete a server-side backup; returns a note when that failed (see ``finish_drop``)."""
        return self.finish_drop(backup_path, self.start_drop(backup_path))

    def start_drop(self, backup_path):
        """Start deleting a server-side backup; returns ``(operation, error)`` for ``finish_drop``."""
        try:
            return self.client.start("DELETE", backup_path), None
        except LxdkitNotFound:
            return None, None
        except LxdkitError as exc:
            return None, exc

    def finish_drop(self, backup_path, started):
        """Wait for the deletion. A failure returns a note instead of raising: after a failure
        it must not hide the cause, after a success it must not fail a task whose file is
        whole; the next run on this machine, or LXD at expires_at, removes the backup."""
        operation, error = started
        if error is None and operation is not None:
            try:
                self.client.wait(operation, "deleting the server-side backup")
            except LxdkitError as exc:
                error = exc
        if error is None:
            return ""
        return "; the server-side backup %s is left for the next run to delete (%s)" % (backup_path.rsplit("/", 1)[-1], error.msg)

    def stale(self):
        """Names of this module's server-side backups that no run will delete: old ones, and
        those of ended runs on this machine."""
        names = []
        for backup in self.client.get(self.path(), params={"recursion": "1"}) or []:
            created = parse_lxd_time(backup.get("created_at"))
            old = created is not None and (now() - created).total_seconds() > STALE_SECONDS
            if backup["name"].startswith(SERVER_BACKUP_PREFIX) and (old or abandoned_server_backup(backup["name"])):
                names.append(backup["name"])
        return names

    def clean_leftovers(self, directory, check_mode):
        """Remove what interrupted runs left: temp files in ``directory``, stale server-side
        backups. Returns what was removed (nothing in check mode)."""
        leftovers, stale = own_leftovers(directory), self.stale()
        if check_mode:
            return []
        cleaned = []
        for path in leftovers:
            os.unlink(path)
            cleaned.append(path)
        for name in stale:
            note = self.drop(self.path(name))
            if note:
                self.warn("cleaning up" + note)
            else:
                cleaned.append("%s/%s (server backup)" % (self.label, name))
        return cleaned

    # -- export -------------------------------------------------------------------------------

    def export(self, backup_path, dest, verify=False, force=False):
        """Download the server-side backup to ``dest`` (temp file, fsync, verify when asked,
        rename with its sidecar) and delete it on the server, also when anything fails.
        Returns ``{size, sha256, verified, backup_name}`` (``written_by_other_run`` when
        another run wrote ``dest`` meanwhile and ``force`` is false: its file stays)."""
        dropping = None
        try:
            temp, size, checksum = self._download(backup_path, dest)
            # The download is whole: LXD deletes its copy while this side verifies and renames.
            dropping = self.start_drop(backup_path)
            outcome = _place(temp, dest, size, checksum, verify, force)
        except BaseException as exc:
            note = self.finish_drop(backup_path, dropping or self.start_drop(backup_path))
            if isinstance(exc, LxdkitError):
                exc.msg += note
            raise
        # The file is whole and in place: a server-side backup LXD would not delete now (the
        # daemon stopping, say) is only worth a warning; the next run or expires_at removes it.
        note = self.finish_drop(backup_path, dropping)
        if note:
            self.warn("backup written to %s%s" % (dest, note))
        return dict(outcome, backup_name=backup_path.rsplit("/", 1)[-1])

    def _download(self, backup_path, dest):
        try:
            return write_temp(dest, self.client.download(backup_path + "/export", CHUNK))
        except OSError as exc:
            raise LxdkitError("writing the backup to %s failed: %s; nothing was left at dest" % (dest, exc.strerror or exc))
        except LxdkitError as exc:
            exc.msg += "; nothing was left at dest %s" % dest
            raise


def _place(temp, dest, size, checksum, verify, force):
    """Verify the downloaded temp file when asked, then publish it at dest with its sidecar."""
    verified = None
    if verify:
        try:
            verified = verify_backup_archive(temp)
        except BaseException as exc:
            os.unlink(temp)
            if isinstance(exc, LxdkitError):
                exc.msg += "; it was not put at dest %s" % dest
            raise
    with directory_lock(os.path.dirname(os.path.abspath(dest))):
        if os.path.exists(dest) and not force:
            # Another run wrote this dest while we downloaded: keep its backup, drop ours.
            os.unlink(temp)
            return dict(size=os.path.getsize(dest), sha256=read_sidecar(dest), verified=None, written_by_other_run=True)
        publish(temp, dest, checksum)
        # The read at export time counts as the first verification (state=verified starts from it);
        # a file replaced unread must not keep the record of the one before.
        if verified is not None:
            record_verified(dest, now())
        else:
            forget_verified(dest)
    return dict(size=size, sha256=checksum, verified=verified)


# What an instance's PUT takes back of what GET gives.
_INSTANCE_WRITABLE = ("architecture", "config", "devices", "ephemeral", "profiles", "description")


def renew_mac_addresses(client, name):
    """Let the server give the imported instance ``name`` new MAC addresses (drop its
    ``volatile.NIC.hwaddr`` keys), as a copy made with ``lxc copy`` gets: a backup restored
    beside its original carries the original's addresses, which Incus refuses to start (MAC
    address already defined on another NIC) and LXD would put twice on one bridge. Returns
    the NICs renewed, sorted."""
    path = "instances/%s" % name
    instance = client.get(path)
    config = instance.get("config") or {}
    stale = sorted(key for key in config if re.match(r"^volatile\.[^.]+\.hwaddr$", key))
    if stale:
        body = dict((key, instance[key]) for key in _INSTANCE_WRITABLE if key in instance)
        body["config"] = dict((key, value) for key, value in config.items() if key not in stale)
        client.send("PUT", path, body)
    return [key.split(".")[1] for key in stale]


def import_backup(client, collection, src, name=None, pool=None, mapping=None, respell=False):
    """Create an instance (``collection`` ``instances``) or a custom volume
    (``storage-pools/POOL/volumes/custom``) from the backup file ``src``, streamed; returns its
    name (``name``, default the one in the backup). ``pool``: an instance's storage pool.
    ``mapping`` (``_backup_mapping.check_mapping``): an instance backup's names to rename, in
    the archive as it streams (see ``_backup_mapping``); ``respell``: its config keys put in the
    spelling of the client's server on the way too (an LXD backup imported into Incus)."""
    # Incus reads X-Incus-name (and ignores X-LXD-name: the backup would come back under its
    # old name); the client names the header for the server it talks to.
    headers = client.headers(name=name or None, pool=pool or None)
    headers["Content-Type"] = "application/octet-stream"
    if (mapping and any_mapping(mapping)) or respell:
        body = ChunkedBody(mapped_archive(src, mapping or check_mapping(None), pool, client.server_kind if respell else None))
        try:
            done = client.send("POST", collection, data=body, headers=headers) or {}
        finally:
            body.close()
    else:
        with open(src, "rb") as stream:
            done = client.send("POST", collection, data=stream, headers=headers) or {}
    kind = "instances" if collection == "instances" else "storage_volumes"
    created = [path.split("?", 1)[0].rsplit("/", 1)[-1] for path in (done.get("resources") or {}).get(kind) or []]  # ?project=...
    return name or (created[0] if created else None)
