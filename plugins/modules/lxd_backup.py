#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_backup
short_description: Export, import and rotate backups of LXD instances and custom volumes
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
  - O(state=verified) reads the backup files in O(path) back again (sidecar checksum, then the
    whole archive as with O(verify)) when their last verification is older than
    O(reverify_older_than), and records the time of each good one in a C(<file>.verified)
    sidecar (written atomically; an export with O(verify) writes the first one). Damaged files
    are reported in RV(damaged) and never deleted nor changed; they stay due for the next run.
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
  pool:
    description: With O(volume), the storage pool of the custom volume (exported from it, imported into it).
    type: str
  volume:
    description:
      - A custom storage volume instead of an instance (LXD's C(custom_volume_backup)), in O(pool).
      - With O(state=exported), the volume to back up; with O(state=imported), the name of the volume
        to create (default, the name in the backup). The file
        guarantees, O(verify), the sidecar and pruning are the same as for instances.
    type: str
  state:
    description: V(exported), V(imported), V(pruned) or V(verified).
    type: str
    choices: [exported, imported, pruned, verified]
    default: exported
  dest:
    description:
      - With O(state=exported), the backup file to write. An existing file is kept unless
        O(force); put the date in the name for a new file per run.
      - A directory (an existing one, or a path ending in C(/)) is refused with an error rather
        than written into under a generated name, since the file name is what makes a rerun
        find the backup it made (and what O(state=pruned) matches); name the file in it.
    type: path
  src:
    description: With O(state=imported), the backup file to import.
    type: path
  path:
    description: With O(state=pruned) or O(state=verified), the directory of backup files.
    type: path
  compression:
    description:
      - Compression LXD applies to the backup. The default V(zstd) is about three times faster
        than LXD's own default (gzip) at a similar size; V(none) is fastest and largest.
    type: str
    choices: [zstd, gzip, none, xz, bzip2, lz4, lzma]
    default: zstd
  instance_only:
    description: Leave the instance's (or the volume's) snapshots out of the backup.
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
    description:
      - With O(state=imported), delete an existing instance of that name first (stopping it), or an
        existing volume of that name (refused while instances or profiles use it).
    type: bool
    default: false
  storage_pool:
    description: With O(state=imported), the storage pool for the instance (default, the one in the backup).
    type: str
  mapping:
    description:
      - With O(state=imported) of an instance, names of the server the backup came from and the
        names to use on this server instead, for a restore onto a server whose names differ.
      - The mapping is applied inside the backup as it streams to LXD, to its C(backup/index.yaml)
        and to the C(backup.yaml) of the instance and of each snapshot (the rest of the archive
        is copied as it is); LXD gets it as a gzip (level 1) stream. Without a mapping the file
        is sent as it is.
      - Before anything is sent, every storage pool, network and profile the backup names
        (after the mapping; the instance's and its snapshots' profiles, the networks of their nic
        devices, the pools of the volume and of their disk devices) is looked up on this server;
        the error names every one that is missing, and nothing is imported. This check is made
        for every instance import, with or without a mapping.
      - A mapping entry whose old name the backup does not name gives a warning.
      - Two profiles mapped to one are listed once.
    type: dict
    suboptions:
      pools:
        description: Storage pools (the instance's volume, disk devices' C(pool)), old name to new name. O(storage_pool) wins for the volume.
        type: dict
      networks:
        description: Networks of nic devices (their C(network) key), old name to new name.
        type: dict
      profiles:
        description: Profiles of the instance and its snapshots, old name to new name.
        type: dict
      projects:
        description:
          - The project the backup came from, to the project to import into. Without an entry for it
            the instance goes into O(project) as usual; with one, O(project) must be left at its
            default or name the same project.
        type: dict
  match:
    description:
      - With O(state=pruned), the glob of file names that pruning may delete; with O(state=verified), of the
        files read back. Sidecars, verification records and temp files never match.
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
  reverify_older_than:
    description:
      - With O(state=verified), read back only the files whose last verification is at least this old
        (C(7d), C(12h), C(1w 2d); units s, m, h, d, w); files never verified are always read.
      - Without it, every matching file is read.
    type: str
  fail_on_damaged:
    description:
      - With O(state=verified), fail the task when a file is damaged (the result still lists them in
        RV(damaged)). With V(false) the task reports them and succeeds, for a play that alerts by itself.
    type: bool
    default: true
  target:
    description: Cluster member the instance runs on (LXD forwards there by itself; for clusters that need it). Not for O(volume).
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

- name: Restore onto another server whose pool, bridge and project are named differently
  lxdkit.lxd.lxd_backup:
    url: https://standby.example.net:8443
    state: imported
    src: /srv/backups/web01/web01-20261201.tar.zst
    mapping:
      pools: {default: fast}
      networks: {lxdbr0: br-web}
      profiles: {web: web-standby}
      projects: {default: recovered}

- name: Read back the backups not verified for a week; fail when one is damaged
  lxdkit.lxd.lxd_backup:
    state: verified
    path: /srv/backups/web01
    match: "web01-*.tar.zst"
    reverify_older_than: 7d

- name: Back up a custom volume (lxc storage volume export default shared-data)
  lxdkit.lxd.lxd_backup:
    pool: default
    volume: shared-data
    dest: "/srv/backups/volumes/shared-data-{{ now(utc=true, fmt='%Y%m%d') }}.tar.zst"
    create_dir: true
    verify: true
  register: volume_backup

- name: Restore it as a new volume beside the original
  lxdkit.lxd.lxd_backup:
    state: imported
    src: "{{ volume_backup.path }}"
    pool: default
    volume: shared-data-restored
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
  description: With O(state=imported) of an instance, the instance created (null in check mode).
  returned: when state is imported
  type: dict
renewed_mac_addresses:
  description:
    - The NICs of an instance imported under a new name beside its original (the backup's
      instance on the same server and project) that the server gave new MAC addresses, as
      C(lxc copy) does; the backup's addresses are the original's, which Incus refuses to start
      twice. Empty otherwise, and in check mode.
  returned: when state is imported and instance backups
  type: list
  elements: str
  sample: [eth0]
references:
  description:
    - With O(state=imported) of an instance, what the backup needs on this server, after the
      mapping, all found there (else the task fails naming what is missing).
  returned: when state is imported and instance backups
  type: dict
  contains:
    pool:
      description: The storage pool of the instance's volume.
      type: str
    pools:
      description: Storage pools of other disk devices.
      type: list
      elements: str
    networks:
      description: Networks of nic devices.
      type: list
      elements: str
    profiles:
      description: Profiles of the instance and its snapshots.
      type: list
      elements: str
    project:
      description: The project imported into.
      type: str
  sample: {pool: fast, pools: [], networks: [br-web], profiles: [default, web-standby], project: recovered}
storage_volume:
  description: With O(state=imported) of a O(volume), the volume created (null in check mode).
  returned: when state is imported and volume is given
  type: dict
deleted:
  description:
    - With O(state=pruned), the backup files deleted with their sidecars (to be deleted, in
      check mode), newest first, with the time pruning went by; the same shape as
      M(lxdkit.lxd.lxd_snapshot)'s RV(lxdkit.lxd.lxd_snapshot#module:deleted).
  returned: when state is pruned
  type: list
  elements: dict
  contains:
    name:
      description: File name in O(path).
      type: str
    time:
      description: Its time (the mtime, or from the name with O(name_time_format)), ISO 8601.
      type: str
  sample: [{name: web01-20261101.tar.zst, time: "2026-11-01T00:00:00+00:00"}]
kept:
  description: With O(state=pruned), the matching files kept, with their time and the rules that keep them.
  returned: when state is pruned
  type: list
  elements: dict
  sample: [{name: web01-20261125.tar.zst, time: "2026-11-25T00:00:00+00:00", reasons: [daily, newest]}]
untouched:
  description: With O(state=pruned), the files pruning left alone (name does not match, sidecars, no time in the name).
  returned: when state is pruned
  type: list
  elements: str
reverified:
  description:
    - With O(state=verified), the files read back whole in this run (their C(.verified) time
      recorded, except in check mode).
  returned: when state is verified
  type: list
  elements: str
  sample: [web01-20261125.tar.zst]
not_due:
  description: With O(state=verified), the matching files verified less than O(reverify_older_than) ago, not read.
  returned: when state is verified
  type: list
  elements: str
damaged:
  description: With O(state=verified), the files that failed, with what is wrong; they are left as they are.
  returned: when state is verified
  type: list
  elements: dict
  contains:
    name:
      description: File name in O(path).
      type: str
    error:
      description: What reading it found (checksum mismatch, damaged compressed stream, cut-off tar, no index).
      type: str
  sample: [{name: web01-20261101.tar.zst, error: "does not match its checksum web01-20261101.tar.zst.sha256 (...)"}]
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
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

import contextlib
import datetime
import os
import time

from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import LOCK_NAME, delete_backups, directory_lock, file_entries, is_backup
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_mapping import (
    any_mapping, backup_names, check_mapping, foreign_config_keys, missing_on_target, read_backup_config, target_names, unused_mapping)
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_service import Backups, import_backup, renew_mac_addresses
from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import SIDECAR_SUFFIX, is_damaged, read_sidecar, sha256_file
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_instance_name, check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import now, parse_duration
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import require_instance, require_pool, require_volume
from ansible_collections.lxdkit.lxd.plugins.module_utils._reverification import due_for_verification, reverify
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import KEEP_OPTIONS, check_policy, plan_prune, retention_argument_spec
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import instance_view, volume_view
from ansible_collections.lxdkit.lxd.plugins.module_utils._volumes import volumes_path


class BackupManager(LxdManager):

    def run(self):
        state = self.params["state"]
        check_instance_name("instance", self.params["instance"])
        for field in ("pool", "volume", "storage_pool"):
            check_object_name(field, self.params[field])
        if self.params["volume"] and state != "pruned":
            if self.params["target"]:
                raise LxdkitError("target: backups of volumes on one cluster member are not supported yet; leave target out with volume")
            if self.params["storage_pool"]:
                raise LxdkitError("storage_pool is for instances; a volume is imported into its pool: give pool")
        return getattr(self, "_" + state)()

    def _exported(self):
        instance, volume, pool, dest = self.params["instance"], self.params["volume"], self.params["pool"], self.params["dest"]
        if not (instance or volume) or not dest:
            raise LxdkitError("state=exported needs instance and dest (or pool and volume instead of instance)")
        # Before, an existing directory passed as "already exported": a backup the user
        # believed in did not exist.
        if os.path.isdir(dest) or dest.endswith(os.sep):
            raise LxdkitError("dest (%s) is a directory; dest names the backup file to write, e.g. %s"
                              % (dest, os.path.join(dest, "%s-YYYYMMDD.tar.zst" % (instance or volume))))
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            if not self.params["create_dir"]:
                raise LxdkitError("the directory of dest (%s) does not exist; create it or set create_dir=true" % directory)
            if not self.reconciler.check_mode:
                os.makedirs(directory, mode=0o700, exist_ok=True)  # another run may make it meanwhile
        elif not os.access(directory, os.W_OK):
            raise LxdkitError("the directory of dest (%s) is not writable" % directory)
        if volume:
            require_volume(self.client, pool, volume)
            backups = Backups.for_volume(self.client, pool, volume, self.module.warn)
        else:
            require_instance(self.client, instance)
            backups = Backups.for_instance(self.client, instance, self.module.warn)
        cleaned = backups.clean_leftovers(directory, self.reconciler.check_mode)
        if os.path.exists(dest) and not self.params["force"]:
            return self.reconciler.result(path=dest, size=os.path.getsize(dest), sha256=read_sidecar(dest), duration=0.0,
                                          backup_name=None, verified=None, cleaned=cleaned)
        started = time.monotonic()
        outcome = dict(size=None, sha256=None, backup_name=None, verified=None)
        self.reconciler.action("export", lambda: outcome.update(self._export(backups, dest)))
        return self.reconciler.result(path=dest, duration=round(time.monotonic() - started, 3), cleaned=cleaned, **outcome)

    def _export(self, backups, dest):
        with self.instance_turn(self.params["instance"] or backups.label):
            backup_path = backups.create(self.params["compression"], self.params["instance_only"],
                                         self.params["optimized_storage"], self.params["target"])
        return backups.export(backup_path, dest, verify=self.params["verify"], force=self.params["force"])

    def _imported(self):
        src, volume = self.params["src"], self.params["volume"]
        if not src:
            raise LxdkitError("state=imported needs src, the backup file")
        if not os.path.isfile(src):
            raise LxdkitError("src %s does not exist or is not a file" % src)
        recorded, checksum = read_sidecar(src), sha256_file(src)
        if recorded is not None and recorded != checksum:
            raise LxdkitError("src %s does not match its checksum %s%s (recorded %s, file %s): the file is damaged; nothing was imported"
                              % (src, os.path.basename(src), SIDECAR_SUFFIX, recorded, checksum))
        mapping = check_mapping(self.params["mapping"])
        references, respell, index = {}, [], None
        if volume:
            if any_mapping(mapping):
                raise LxdkitError("mapping is for instance backups; a volume is imported into pool (and the project option)")
            require_pool(self.client, self.params["pool"])
            objects = self.resources("volume", volumes_path(self.params["pool"]), lambda volume: volume_view(volume, self.params["pool"]))
        else:
            index, config = read_backup_config(src)
            references = self._references(src, mapping, index, config)
            respell = foreign_config_keys(config, self.client.server_kind)
            if respell:
                self.module.warn("the backup %s has %s, which %s at %s spells otherwise: imported with %s's names"
                                 % (src, ", ".join(respell), self.client.server_name, self.client.where, self.client.server_name))
            objects = self.resources("instance", "instances", instance_view)
        name = volume or self.params["instance"]
        existing = objects.find(name) if name else None
        if existing is not None:
            if not self.params["replace"]:
                raise LxdkitError("%s %s exists; set replace=true to replace it with the backup" % (objects.kind, name))
            self._remove(objects, existing)
        started = time.monotonic()
        imported = {}
        renewed = []
        original = (index or {}).get("name") if not volume else None
        # A copy beside its original (same server and project) gets its own MAC addresses.
        beside_original = bool(original and name and name != original and objects.find(original) is not None)

        def write():
            imported.update(name=import_backup(self.client, objects.collection, src, name, self.params["storage_pool"], mapping, bool(respell)))
            if beside_original:
                renewed.extend(renew_mac_addresses(self.client, imported["name"]))

        self.reconciler.action("import", write)
        created = None if self.reconciler.check_mode else objects.find(imported["name"])
        result = dict(storage_volume=created) if volume else dict(instance=created, references=references, renewed_mac_addresses=renewed)
        return self.reconciler.result(path=src, sha256=checksum, duration=round(time.monotonic() - started, 3), cleaned=[], **result)

    def _references(self, src, mapping, index, config):
        """Read what the instance backup at ``src`` names, move the client to the project the
        mapping names, and check that the target has everything (after the mapping) before
        anything is sent: the error names every missing pool, network and profile."""
        names = backup_names(index, config)
        unused = unused_mapping(mapping, names)
        if unused:
            self.module.warn("mapping: the backup %s does not name %s; those entries were not used" % (src, ", ".join(unused)))
        wanted = target_names(mapping, names, self.params["storage_pool"])
        if names["project"] in mapping["projects"] and wanted["project"] != self.client.project:
            if self.client.project != DEFAULT_PROJECT:
                raise LxdkitError("project %s and mapping.projects (%s: %s) name different projects to import into; give one of them"
                                  % (self.client.project, names["project"], wanted["project"]))
            if self.client.find("projects/%s" % wanted["project"], params={"project": DEFAULT_PROJECT}) is None:
                raise LxdkitError("mapping.projects.%s: project %r does not exist on %s; nothing was imported"
                                  % (names["project"], wanted["project"], self.client.label))
            self.client.project = wanted["project"]
        wanted["project"] = self.client.project
        missing = missing_on_target(self.client, mapping, names, self.params["storage_pool"])
        if missing:
            raise LxdkitError("the backup %s needs what %s (project %s) lacks: %s; map them (mapping) or create them; nothing was imported"
                              % (src, self.client.label, self.client.project, ", ".join(missing)), missing=missing)
        return wanted

    def _remove(self, objects, existing):
        """Make room for the import: a volume only when nothing uses it, an instance stopped first."""
        if objects.kind == "volume":
            objects.delete_unused(existing)
            return
        if existing["status"] != "Stopped":
            self.reconciler.action("stop", lambda: self.client.send("PUT", objects.path(existing["name"], "state"), {"action": "stop", "force": True}))
        self.reconciler.action("delete", lambda: self.client.send("DELETE", objects.path(existing["name"])))

    def _pruned(self):
        directory = self.params["path"]
        if not directory or not os.path.isdir(directory):
            raise LxdkitError("state=pruned needs path, an existing directory of backup files (got %r)" % directory)
        policy = dict((option, self.params[option]) for option in KEEP_OPTIONS)
        check_policy(policy)
        # Check mode must not even create the lock file.
        with contextlib.nullcontext() if self.reconciler.check_mode else directory_lock(directory):
            entries = file_entries(directory)
            deleted, kept, untouched = plan_prune(entries, policy, self.params["match"], self.params["name_time_format"], takes_part=is_backup)
            if deleted and self.params["verify_kept"]:
                damaged = [entry["name"] for entry in kept if is_damaged(os.path.join(directory, entry["name"]))]
                if damaged:
                    raise LxdkitError("kept backup(s) %s fail their checksum: nothing was deleted, so that the older good backups stay"
                                      % ", ".join(damaged), damaged=damaged)
            names = [entry["name"] for entry in deleted]
            before = dict(files=sorted(name for name, _mtime in entries if name != LOCK_NAME))
            doomed = set(names) | set(name + SIDECAR_SUFFIX for name in names)
            after = dict(files=[name for name in before["files"] if name not in doomed])
            self.reconciler.step("prune", before, after, lambda: delete_backups(directory, names))
        return self.reconciler.result(deleted=deleted, kept=kept, untouched=untouched, cleaned=[])

    def _verified(self):
        directory = self.params["path"]
        if not directory or not os.path.isdir(directory):
            raise LxdkitError("state=verified needs path, an existing directory of backup files (got %r)" % directory)
        older_than = self.params["reverify_older_than"]
        age = parse_duration("reverify_older_than", older_than) if older_than is not None else datetime.timedelta(0)
        # The lock keeps a prune from deleting a file while it is read and its record written.
        with contextlib.nullcontext() if self.reconciler.check_mode else directory_lock(directory):
            moment = now()
            due, not_due = due_for_verification(directory, self.params["match"], age, moment)
            verified, damaged = reverify(directory, due, self.reconciler.check_mode, moment)
        if damaged and self.params["fail_on_damaged"]:
            raise LxdkitError("damaged backup(s) in %s (left as they are): %s" % (
                directory, "; ".join("%s %s" % (entry["name"], entry["error"]) for entry in damaged)),
                reverified=verified, not_due=not_due, damaged=damaged)
        # Recording a verification time is bookkeeping, not a change to the backups.
        return self.reconciler.result(reverified=verified, not_due=not_due, damaged=damaged, cleaned=[])


def main():
    spec = dict(
        instance=dict(type="str"),
        pool=dict(type="str"),
        volume=dict(type="str"),
        state=dict(type="str", choices=["exported", "imported", "pruned", "verified"], default="exported"),
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
        mapping=dict(type="dict", options=dict(pools=dict(type="dict"), networks=dict(type="dict"), profiles=dict(type="dict"),
                                               projects=dict(type="dict"))),
        match=dict(type="str", default="*.tar*"),
        name_time_format=dict(type="str"),
        verify_kept=dict(type="bool", default=True),
        reverify_older_than=dict(type="str"),
        fail_on_damaged=dict(type="bool", default=True),
        target=dict(type="str"),
    )
    spec.update(retention_argument_spec())
    run_module(BackupManager, spec, mutually_exclusive=[("instance", "volume")], required_together=[("pool", "volume")])


if __name__ == "__main__":
    main()
