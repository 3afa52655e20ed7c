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
  - O(state=imported) creates an instance from a backup file, after checking the sidecar
    checksum when there is one.
  - O(state=pruned) deletes old backup files in a directory by grandfather-father-son
    retention (the rules of M(lxdkit.lxd.lxd_snapshot)), with their sidecars.
  - Each run first removes what an interrupted earlier run of this module left behind, its
    temporary files next to O(dest) and its backups on the server older than an hour.
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

import datetime
import os
import time
import uuid

from ansible_collections.lxdkit.lxd.plugins.module_utils._backups import (
    CHUNK,
    SERVER_BACKUP_PREFIX,
    SIDECAR_SUFFIX,
    file_entries,
    own_leftovers,
    plan_file_prune,
    read_sidecar,
    sha256_file,
    write_atomically,
    write_sidecar,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
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
                os.makedirs(directory, mode=0o700)
        elif not os.access(directory, os.W_OK):
            raise LxdkitError("the directory of dest (%s) is not writable" % directory)
        if self.client.find("instances/%s" % instance) is None:
            raise LxdkitError("instance %r does not exist in project %s" % (instance, self.client.project))
        self._clean_leftovers(instance, directory)
        if os.path.exists(dest) and not self.params["force"]:
            return self.reconciler.result(path=dest, size=os.path.getsize(dest), sha256=read_sidecar(dest), duration=0.0,
                                          backup_name=None, cleaned=self.cleaned)
        started = time.monotonic()
        outcome = dict(size=None, sha256=None, backup_name=None)
        self.reconciler.action("export", lambda: outcome.update(self._export(instance, dest)))
        return self.reconciler.result(path=dest, duration=round(time.monotonic() - started, 3), cleaned=self.cleaned, **outcome)

    def _export(self, instance, dest):
        backup_name = "%s%s-%s" % (SERVER_BACKUP_PREFIX, now().strftime("%Y%m%d%H%M%S"), uuid.uuid4().hex[:8])
        body = dict(name=backup_name, instance_only=self.params["instance_only"], optimized_storage=self.params["optimized_storage"],
                    compression_algorithm=self.params["compression"], expires_at=to_lxd_time(now() + SERVER_BACKUP_LIFETIME))
        backups = "instances/%s/backups" % instance
        self.client.send("POST", backups, body, target=self.params["target"])
        try:
            response = self.client.request("GET", "%s/%s/export" % (backups, backup_name), stream=True)
            try:
                size, checksum = write_atomically(dest, response.iter_content(CHUNK))
            except OSError as exc:
                raise LxdkitError("writing the backup to %s failed: %s; nothing was left at dest" % (dest, exc.strerror or exc))
            finally:
                response.close()
            write_sidecar(dest, checksum)
        finally:
            self.client.send("DELETE", "%s/%s" % (backups, backup_name))
        return dict(size=size, sha256=checksum, backup_name=backup_name)

    def _clean_leftovers(self, instance, directory):
        leftovers = own_leftovers(directory)
        stale = []
        for backup in self.client.get("instances/%s/backups" % instance, params={"recursion": "1"}) or []:
            created = parse_lxd_time(backup.get("created_at"))
            if backup["name"].startswith(SERVER_BACKUP_PREFIX) and created and (now() - created).total_seconds() > STALE_SECONDS:
                stale.append(backup["name"])
        if self.reconciler.check_mode:
            return
        for path in leftovers:
            os.unlink(path)
            self.cleaned.append(path)
        for name in stale:
            self.client.send("DELETE", "instances/%s/backups/%s" % (instance, name))
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
        delete, keep, untouched = plan_file_prune(file_entries(directory), policy, self.params["match"], self.params["name_time_format"])
        if delete and self.params["verify_kept"]:
            damaged = [entry["name"] for entry in keep if _damaged(os.path.join(directory, entry["name"]))]
            if damaged:
                raise LxdkitError("kept backup(s) %s fail their checksum: nothing was deleted, so that the older good backups stay"
                                  % ", ".join(damaged), damaged=damaged)
        before = dict(files=sorted(name for name, _mtime in file_entries(directory)))
        doomed = set(delete) | set(name + SIDECAR_SUFFIX for name in delete)
        after = dict(files=[name for name in before["files"] if name not in doomed])
        self.reconciler.step("prune", before, after, lambda: self._delete_files(directory, delete))
        return self.reconciler.result(deleted=delete, kept=keep, untouched=untouched, cleaned=self.cleaned)

    @staticmethod
    def _delete_files(directory, names):
        for name in names:
            for path in (os.path.join(directory, name), os.path.join(directory, name + SIDECAR_SUFFIX)):
                if os.path.exists(path):
                    os.unlink(path)


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
