#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_backup
short_description: Export, import and rotate LXD instance backups
version_added: 0.1.0
description:
  - O(state=exported) makes LXD build a backup of an instance, downloads it in chunks (memory
    stays flat whatever the size) into a temporary file beside O(dest), fsyncs it, renames it
    into place with mode 0600 and writes a C(<dest>.sha256) sidecar. The backup on the server
    is deleted afterwards, also when the download fails. A file is never written half.
  - Where the filesystem of O(dest) takes direct I/O (on Linux; ext4 and tmpfs tested) the
    file is written with C(O_DIRECT), past the page cache, so the host's cache is not pushed out by
    a large backup and the fsync before the rename has almost nothing left to write. Elsewhere
    it goes through the page cache, written back window by window.
  - O(state=imported) creates an instance from a backup file, after checking the sidecar
    checksum when there is one.
  - O(state=pruned) deletes old backup files in a directory by grandfather-father-son
    retention (the rules of M(lxdkit.lxd.lxd_snapshot)), with their sidecars.
  - Each run first removes what an interrupted earlier run of this module left behind, its
    temporary files next to O(dest) and its backups on the server, at once when the run that
    made them was on this machine and has ended, else when they are older than an hour.
  - Runs on one machine that export to, or prune, the same directory at the same time take
    turns through a lock file (C(.lxdkit.lock)) in it, so two rotations of one instance at
    once lose no backup and never leave a backup beside another backup's sidecar.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.retention
options:
  instance:
    description:
      - With O(state=exported), the instance to back up.
      - With O(state=imported), the name of the instance to create (default, the name in the backup).
    type: str
  state:
    description: V(exported), V(imported) or V(pruned).
    type: str
    choices: [exported, imported, pruned]
    default: exported
  dest:
    description:
      - With O(state=exported), the backup file to write. An existing file is kept unless
        O(force); put the date in the name for a new file per run.
    type: path
  src:
    description: With O(state=imported), the backup file to import.
    type: path
  path:
    description: With O(state=pruned), the directory of backup files.
    type: path
  compression:
    description:
      - Compression LXD applies to the backup. The default V(zstd) is about three times faster
        than LXD's own default (gzip) at a similar size; V(none) is fastest and largest.
    type: str
    choices: [zstd, gzip, none, xz, bzip2, lz4, lzma]
    default: zstd
  instance_only:
    description: Leave the instance's snapshots out of the backup.
    type: bool
    default: false
  optimized_storage:
    description: Use the storage driver's own format (faster, but only importable on the same driver, e.g. zfs or btrfs).
    type: bool
    default: false
  force:
    description: With O(state=exported), replace an existing O(dest).
    type: bool
    default: false
  verify:
    description:
      - With O(state=exported), decompress and read the whole downloaded backup as a tar
        archive, and check that it holds C(backup/index.yaml), before it is renamed to
        O(dest). A backup LXD built damaged then fails the task and never replaces a good
        file, nor counts as the newest when pruning. It costs a read of the file (about 2 s
        per GiB here). C(zstd) and C(lz4) backups need those commands on the machine that
        runs the module.
    type: bool
    default: false
  create_dir:
    description: With O(state=exported), create the directory of O(dest) (mode 0700) when it is missing.
    type: bool
    default: false
  replace:
    description: With O(state=imported), delete an existing instance of that name first (stopping it).
    type: bool
    default: false
  storage_pool:
    description: With O(state=imported), the storage pool for the instance (default, the one in the backup).
    type: str
  match:
    description: With O(state=pruned), the glob of file names that pruning may delete; sidecars and temp files never match.
    type: str
    default: "*.tar*"
  name_time_format:
    description: With O(state=pruned), take each file's time from its name with this strftime format instead of its mtime.
    type: str
  verify_kept:
    description:
      - With O(state=pruned), check the sidecar checksum of every backup that is kept before
        deleting anything; when one fails, nothing is deleted (an older good backup must not
        go because its replacement is damaged).
    type: bool
    default: true
  target:
    description: Cluster member the instance runs on (LXD forwards there by itself; for clusters that need it).
    type: str
seealso:
  - module: lxdkit.lxd.lxd_snapshot
"""

EXAMPLES = r"""
- name: Nightly backup, a new file per day
  lxdkit.lxd.lxd_backup:
    instance: web01
    dest: "/srv/backups/web01/web01-{{ now(utc=true, fmt='%Y%m%d') }}.tar.zst"
    create_dir: true
    verify: true
  register: backup

- name: Keep 7 daily and 4 weekly backups, newest always
  lxdkit.lxd.lxd_backup:
    state: pruned
    path: /srv/backups/web01
    match: "web01-*.tar.zst"
    name_time_format: web01-%Y%m%d.tar.zst
    keep_daily: 7
    keep_weekly: 4

- name: Restore drill, under another name
  lxdkit.lxd.lxd_backup:
    state: imported
    src: "{{ backup.path }}"
    instance: web01-drill
"""

RETURN = r"""
path:
  description: The backup file written (exported) or read (imported).
  returned: when state is exported or imported
  type: str
size:
  description: Size of the backup file in bytes.
  returned: when state is exported
  type: int
sha256:
  description: SHA-256 of the backup file (also in the C(.sha256) sidecar).
  returned: when state is exported or imported
  type: str
duration:
  description: Seconds the export or import took (0 when nothing was done).
  returned: when state is exported or imported
  type: float
backup_name:
  description: Name of the backup LXD built on the server (deleted after the download).
  returned: when state is exported and a backup was made
  type: str
verified:
  description:
    - With O(verify), what reading the archive found, C({compression, members}) (the number
      of files, directories and links in it); null without O(verify) or when nothing was written.
  returned: when state is exported
  type: dict
written_by_other_run:
  description:
    - True when another run wrote O(dest) while this one was downloading (two rotations at
      once); that run's whole backup stays and this run's copy is dropped, as without O(force)
      an existing O(dest) is never rewritten.
  returned: when state is exported and another run wrote dest first
  type: bool
instance:
  description: With O(state=imported), the instance created (null in check mode).
  returned: when state is imported
  type: dict
deleted:
  description: With O(state=pruned), the files deleted (to be deleted in check mode), newest first.
  returned: when state is pruned
  type: list
  elements: str
kept:
  description: With O(state=pruned), the matching files kept, with the rules that keep them.
  returned: when state is pruned
  type: list
  elements: dict
cleaned:
  description: Leftovers of interrupted earlier runs that this run removed.
  returned: always
  type: list
  elements: str
actions:
  description: What the task did (or would do in check mode).
  returned: always
  type: list
  elements: str
"""

import contextlib
import datetime
import os
import time

from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import verify_backup_archive
from ansible_collections.lxdkit.lxd.plugins.module_utils._backups import (
    CHUNK,
    LOCK_NAME,
    SERVER_BACKUP_PREFIX,
    SIDECAR_SUFFIX,
    abandoned_server_backup,
    directory_lock,
    file_entries,
    own_leftovers,
    plan_file_prune,
    read_sidecar,
    server_backup_name,
    publish,
    sha256_file,
    write_temp,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import BUSY_ATTEMPTS, LxdkitError, LxdkitNotFound, is_busy_refusal
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import KEEP_OPTIONS, check_policy, parse_lxd_time, retention_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, to_lxd_time

STALE_SECONDS = 3600
# LXD deletes a server-side backup by itself after this, should both this run and the next fail.
SERVER_BACKUP_LIFETIME = datetime.timedelta(days=1)


class BackupManager(LxdManager):

    def run(self):
        self.cleaned = []
        state = self.params["state"]
        check_instance_name("instance", self.params["instance"])
        if state == "pruned":
            return self._pruned()
        if state == "imported":
            return self._imported()
        return self._exported()

    # -- export ------------------------------------------------------------------------------

    def _exported(self):
        instance, dest = self.params["instance"], self.params["dest"]
        if not instance or not dest:
            raise LxdkitError("state=exported needs instance and dest")
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            if not self.params["create_dir"]:
                raise LxdkitError("the directory of dest (%s) does not exist; create it or set create_dir=true" % directory)
            if not self.reconciler.check_mode:
                os.makedirs(directory, mode=0o700, exist_ok=True)  # another run may make it meanwhile
        elif not os.access(directory, os.W_OK):
            raise LxdkitError("the directory of dest (%s) is not writable" % directory)
        if self.client.find("instances/%s" % instance) is None:
            raise LxdkitError("instance %r does not exist in project %s" % (instance, self.client.project))
        self._clean_leftovers(instance, directory)
        if os.path.exists(dest) and not self.params["force"]:
            return self.reconciler.result(path=dest, size=os.path.getsize(dest), sha256=read_sidecar(dest), duration=0.0,
                                          backup_name=None, verified=None, cleaned=self.cleaned)
        started = time.monotonic()
        outcome = dict(size=None, sha256=None, backup_name=None, verified=None)
        self.reconciler.action("export", lambda: outcome.update(self._export(instance, dest)))
        return self.reconciler.result(path=dest, duration=round(time.monotonic() - started, 3), cleaned=self.cleaned, **outcome)

    def _export(self, instance, dest):
        with self.instance_turn(instance):
            backup_path = self._create_server_backup(instance)
        dropping = None
        try:
            temp, size, checksum = self._fetch(backup_path, dest)
            # The download is whole: LXD deletes its copy while this side verifies and renames.
            dropping = self._start_drop(backup_path)
            outcome = self._place(temp, dest, size, checksum)
        except BaseException as exc:
            note = self._finish_drop(backup_path, dropping or self._start_drop(backup_path))
            if isinstance(exc, LxdkitError):
                exc.msg += note
            raise
        # The file is whole and in place: a server-side backup LXD would not delete now (the
        # daemon stopping, say) is only worth a warning; the next run or expires_at removes it.
        note = self._finish_drop(backup_path, dropping)
        if note:
            self.module.warn("backup written to %s%s" % (dest, note))
        return dict(outcome, backup_name=backup_path.rsplit("/", 1)[-1])

    def _create_server_backup(self, instance):
        """Have LXD build the backup; returns its API path. While another run takes or deletes
        snapshots of the instance LXD may refuse for a moment: try again under a new name."""
        # LXD puts the instance's backup.yaml into the backup as it is on disk, and concurrent
        # operations (a config update beside a snapshot) can leave it missing snapshots, which
        # makes the backup fail to start after an import. An empty PATCH has LXD write it anew.
        self.client.send_when_free("PATCH", "instances/%s" % instance, {})
        attempt = 1
        while True:
            name = server_backup_name(now())
            body = dict(name=name, instance_only=self.params["instance_only"], optimized_storage=self.params["optimized_storage"],
                        compression_algorithm=self.params["compression"], expires_at=to_lxd_time(now() + SERVER_BACKUP_LIFETIME))
            try:
                self.client.send("POST", "instances/%s/backups" % instance, body, target=self.params["target"])
                return "instances/%s/backups/%s" % (instance, name)
            except LxdkitError as exc:
                self._drop_server_backup("instances/%s/backups/%s" % (instance, name))
                if attempt == BUSY_ATTEMPTS or not is_busy_refusal(exc):
                    raise
            time.sleep(0.25 * attempt)
            attempt += 1

    def _fetch(self, backup_path, dest):
        """Download the server-side backup into a fsynced temp file beside dest."""
        try:
            return write_temp(dest, self.client.download(backup_path + "/export", CHUNK))
        except OSError as exc:
            raise LxdkitError("writing the backup to %s failed: %s; nothing was left at dest" % (dest, exc.strerror or exc))
        except LxdkitError as exc:
            exc.msg += "; nothing was left at dest %s" % dest
            raise

    def _place(self, temp, dest, size, checksum):
        """Verify the downloaded temp file when asked, then publish it at dest with its sidecar."""
        verified = None
        if self.params["verify"]:
            try:
                verified = verify_backup_archive(temp)
            except BaseException as exc:
                os.unlink(temp)
                if isinstance(exc, LxdkitError):
                    exc.msg += "; it was not put at dest %s" % dest
                raise
        with directory_lock(os.path.dirname(os.path.abspath(dest))):
            if os.path.exists(dest) and not self.params["force"]:
                # Another run wrote this dest while we downloaded: keep its backup, drop ours.
                os.unlink(temp)
                return dict(size=os.path.getsize(dest), sha256=read_sidecar(dest), written_by_other_run=True)
            publish(temp, dest, checksum)
        return dict(size=size, sha256=checksum, verified=verified)

    def _drop_server_backup(self, backup_path):
        """Delete a server-side backup; returns a note when that failed (see ``_finish_drop``)."""
        return self._finish_drop(backup_path, self._start_drop(backup_path))

    def _start_drop(self, backup_path):
        """Start deleting a server-side backup; returns ``(operation, error)`` for ``_finish_drop``."""
        try:
            return self.client.start("DELETE", backup_path), None
        except LxdkitNotFound:
            return None, None
        except LxdkitError as exc:
            return None, exc

    def _finish_drop(self, backup_path, started):
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

    def _clean_leftovers(self, instance, directory):
        leftovers = own_leftovers(directory)
        stale = []
        for backup in self.client.get("instances/%s/backups" % instance, params={"recursion": "1"}) or []:
            created = parse_lxd_time(backup.get("created_at"))
            old = created is not None and (now() - created).total_seconds() > STALE_SECONDS
            if backup["name"].startswith(SERVER_BACKUP_PREFIX) and (old or abandoned_server_backup(backup["name"])):
                stale.append(backup["name"])
        if self.reconciler.check_mode:
            return
        for path in leftovers:
            os.unlink(path)
            self.cleaned.append(path)
        for name in stale:
            note = self._drop_server_backup("instances/%s/backups/%s" % (instance, name))
            if note:
                self.module.warn("cleaning up" + note)
            else:
                self.cleaned.append("%s/%s (server backup)" % (instance, name))

    # -- import ------------------------------------------------------------------------------

    def _imported(self):
        src = self.params["src"]
        if not src:
            raise LxdkitError("state=imported needs src, the backup file")
        if not os.path.isfile(src):
            raise LxdkitError("src %s does not exist or is not a file" % src)
        recorded = read_sidecar(src)
        checksum = sha256_file(src)
        if recorded is not None and recorded != checksum:
            raise LxdkitError("src %s does not match its checksum %s%s (recorded %s, file %s): the file is damaged; nothing was imported"
                              % (src, os.path.basename(src), SIDECAR_SUFFIX, recorded, checksum))
        name = self.params["instance"]
        if name:
            existing = self.client.find("instances/%s" % name)
            if existing is not None:
                if not self.params["replace"]:
                    raise LxdkitError("instance %s exists; set replace=true to replace it with the backup" % name)
                self._remove(existing)
        started = time.monotonic()
        result = {}
        self.reconciler.action("import", lambda: result.update(self._import(src, name)))
        instance = None
        if not self.reconciler.check_mode:
            instance = self.client.find("instances/%s" % (name or result.get("name")))
        return self.reconciler.result(path=src, sha256=checksum, duration=round(time.monotonic() - started, 3), instance=instance,
                                      cleaned=self.cleaned)

    def _remove(self, existing):
        path = "instances/%s" % existing["name"]
        if existing["status"] != "Stopped":
            self.reconciler.action("stop", lambda: self.client.send("PUT", path + "/state", {"action": "stop", "force": True}))
        self.reconciler.action("delete", lambda: self.client.send("DELETE", path))

    def _import(self, src, name):
        headers = {"Content-Type": "application/octet-stream"}
        if name:
            headers["X-LXD-name"] = name
        if self.params["storage_pool"]:
            headers["X-LXD-pool"] = self.params["storage_pool"]
        with open(src, "rb") as stream:
            operation = self.client.request("POST", "instances", data=stream, headers=headers).json().get("operation")
        done = self.client.wait(operation, "importing %s" % src) or {}
        created = [path.rsplit("/", 1)[-1] for path in (done.get("resources") or {}).get("instances") or []]
        return dict(name=name or (created[0] if created else None))

    # -- prune -------------------------------------------------------------------------------

    def _pruned(self):
        directory = self.params["path"]
        if not directory or not os.path.isdir(directory):
            raise LxdkitError("state=pruned needs path, an existing directory of backup files (got %r)" % directory)
        policy = dict((option, self.params[option]) for option in KEEP_OPTIONS)
        check_policy(policy)
        with self._locked(directory):
            return self._prune_locked(directory, policy)

    def _prune_locked(self, directory, policy):
        entries = file_entries(directory)
        delete, keep, untouched = plan_file_prune(entries, policy, self.params["match"], self.params["name_time_format"])
        if delete and self.params["verify_kept"]:
            damaged = [entry["name"] for entry in keep if _damaged(os.path.join(directory, entry["name"]))]
            if damaged:
                raise LxdkitError("kept backup(s) %s fail their checksum: nothing was deleted, so that the older good backups stay"
                                  % ", ".join(damaged), damaged=damaged)
        before = dict(files=sorted(name for name, _mtime in entries if name != LOCK_NAME))
        doomed = set(delete) | set(name + SIDECAR_SUFFIX for name in delete)
        after = dict(files=[name for name in before["files"] if name not in doomed])
        self.reconciler.step("prune", before, after, lambda: self._delete_files(directory, delete))
        return self.reconciler.result(deleted=delete, kept=keep, untouched=untouched, cleaned=self.cleaned)

    def _locked(self, directory):
        """The directory lock, except in check mode, which must not even create the lock file."""
        return contextlib.nullcontext() if self.reconciler.check_mode else directory_lock(directory)

    @staticmethod
    def _delete_files(directory, names):
        for name in names:
            for path in (os.path.join(directory, name), os.path.join(directory, name + SIDECAR_SUFFIX)):
                try:
                    os.unlink(path)
                except FileNotFoundError:  # another run, or a person, removed it first
                    pass


def _damaged(path):
    recorded = read_sidecar(path)
    return recorded is not None and recorded != sha256_file(path)


def main():
    spec = dict(
        instance=dict(type="str"),
        state=dict(type="str", choices=["exported", "imported", "pruned"], default="exported"),
        dest=dict(type="path"),
        src=dict(type="path"),
        path=dict(type="path"),
        compression=dict(type="str", choices=["zstd", "gzip", "none", "xz", "bzip2", "lz4", "lzma"], default="zstd"),
        instance_only=dict(type="bool", default=False),
        optimized_storage=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        verify=dict(type="bool", default=False),
        create_dir=dict(type="bool", default=False),
        replace=dict(type="bool", default=False),
        storage_pool=dict(type="str"),
        match=dict(type="str", default="*.tar*"),
        name_time_format=dict(type="str"),
        verify_kept=dict(type="bool", default=True),
        target=dict(type="str"),
    )
    spec.update(retention_argument_spec())
    run_module(BackupManager, spec)


if __name__ == "__main__":
    main()
