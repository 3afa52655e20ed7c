#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_storage_volume
short_description: Manage LXD custom storage volumes
version_added: 0.2.0
description:
  - Creates, updates, copies, renames, moves between pools and deletes custom storage volumes
    (C(lxc storage volume create/set/copy/rename/move/delete)).
  - With O(source_url), copies (O(source)) or moves (O(from_pool)) a volume from another LXD
    server, the source, to the server of the module's own connection options, as
    C(lxc storage volume copy/move) between remotes do, through LXD's migration API (the one
    M(lxdkit.lxd.lxd_instance_migration) uses, with the same O(mode)s). Snapshots travel with the
    volume unless O(volume_only=true); a move deletes the source only after the copy is complete.
  - Attach a volume to containers with a C(disk) device on a profile or an instance
    (C(pool), C(source), C(path)), see the examples; LXD lists the users in the C(used_by) of RV(storage_volume)
    and a volume in use is never deleted.
  - Snapshots of a volume, their pruning and volume backups are the work of
    M(lxdkit.lxd.lxd_snapshot) and M(lxdkit.lxd.lxd_backup) with O(lxdkit.lxd.lxd_snapshot#module:pool)
    and O(lxdkit.lxd.lxd_snapshot#module:volume).
  - Tested against LXD's C(dir) and C(btrfs) drivers; the others take the same API.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.connection.source
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
options:
  name:
    description: Name of the volume.
    type: str
    required: true
  pool:
    description: Storage pool the volume is in (or, with O(from_pool), is moved to).
    type: str
    required: true
  content_type:
    description:
      - V(filesystem) (mounted in containers) or V(block) (for virtual machines). Set when the
        volume is created (default V(filesystem), or the type of O(source)); LXD cannot change
        it afterwards, so a different value fails.
    type: str
    choices: [filesystem, block]
  description:
    description: Description of the volume. Not managed when not given.
    type: str
  config:
    description:
      - Volume config (C(size), C(snapshots.schedule), C(snapshots.expiry), C(snapshots.pattern),
        C(security.shifted), C(security.unmapped), C(block.filesystem), ...). Numbers and booleans
        are converted to the strings LXD wants. Not managed when not given.
      - Keys LXD fills in from the pool's C(volume.*) defaults (C(size), C(block.filesystem),
        C(block.mount_options)) stay as they are when not written.
    type: dict
  merge_config:
    description: V(true) keeps config keys that are not listed; V(false) makes O(config) the whole truth.
    type: bool
    default: false
  source:
    description:
      - Create the volume as a copy of this volume, V(VOLUME) in O(pool) or V(POOL/VOLUME)
        (C(lxc storage volume copy)). Used only when the volume does not exist (or with O(refresh)).
      - With O(source_url), the volume is on that server (V(VOLUME) is in its pool named O(pool)).
    type: str
  volume_only:
    description: With O(source), or O(from_pool) and O(source_url), copy or move the volume without its snapshots.
    type: bool
    default: false
  refresh:
    description:
      - When the volume exists, refresh it from O(source) (LXD's C(custom_volume_refresh), C(lxc storage volume
        copy --refresh)); new snapshots and changed data arrive. It runs, and reports a change, at every run.
      - With O(source_url) and O(from_pool), a volume that exists both here and at the source is
        refreshed from the source, which is then deleted (without it, that move is refused).
    type: bool
    default: false
  from_pool:
    description:
      - Move the volume O(name) from this pool to O(pool) (C(lxc storage volume move)).
      - With O(source_url), move it from this pool of the source server (copied here, then deleted
        there). A volume that instances or profiles use at the source is not moved; the error lists them.
      - When it is gone from O(from_pool) and exists in O(pool), the move counts as done; when it
        exists in both, or neither, the task fails and changes nothing. Mutually exclusive with O(new_name).
      - LXD moves only volumes that no running instance uses.
    type: str
  state:
    description: V(present) or V(absent). A volume that instances or profiles use is not deleted; the error lists them.
    type: str
    choices: [present, absent]
    default: present
  target:
    description: Cluster member that holds the volume (volumes on local pools of a cluster). Only for a clustered LXD.
    type: str
  mode:
    description:
      - With O(source_url), how the data travels. V(pull) has this server's daemon connect to the
        source daemon, which must listen on the network (C(core.https_address)).
      - V(push) has the source daemon connect to this server's daemon, which must listen on the network.
      - V(relay) has this client connect to both and carry the data between them; neither daemon
        needs to reach the other, but every byte passes through the host that runs the module.
      - A mode that cannot work is refused before anything changes, naming the mode that would.
    type: str
    choices: [pull, push, relay]
    default: pull
  source_url:
    description:
      - Another LXD server to copy (O(source)) or move (O(from_pool)) the volume from, as O(url)
        names this one (V(unix:/var/lib/lxd/unix.socket) or V(https://lxd01.example.com:8443)).
      - Not with O(new_name), O(target) or O(state=absent); a server that is this one is refused.
    type: str
  source_project:
    description: The project of the volume on the source server (default O(project)).
    type: str
notes:
  - Until a copy from another server is complete, the volume carries the config key
    C(user.lxdkit.migration); a rerun deletes such a half-made volume (left when a daemon dies
    during the transfer) and copies again. The source is never changed by a failed copy.
seealso:
  - module: lxdkit.lxd.lxd_storage_volume_info
  - module: lxdkit.lxd.lxd_instance_migration
  - module: lxdkit.lxd.lxd_snapshot
  - module: lxdkit.lxd.lxd_backup
"""

EXAMPLES = r"""
- name: A shared volume of 2 GiB (lxc storage volume create default shared-data size=2GiB)
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data
    pool: default
    config:
      size: 2GiB
      snapshots.schedule: "@daily"
      snapshots.expiry: 2w

- name: Attach it to every web server (a disk device on their profile)
  lxdkit.lxd.lxd_profile:
    name: web-server
    merge_profile: true
    devices:
      shared:
        type: disk
        pool: default
        source: shared-data
        path: /shared

- name: A copy on another pool, without its snapshots
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: fast
    source: default/shared-data
    volume_only: true

- name: Move it back to the default pool
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: default
    from_pool: fast

- name: Delete it
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data-copy
    pool: default
    state: absent

- name: Copy shared-data with its snapshots from lxd02 to the local LXD (pulled from lxd02)
  lxdkit.lxd.lxd_storage_volume:
    name: shared-data
    pool: default
    source: default/shared-data
    source_url: https://lxd02.example.com:8443
    source_server_cert: files/lxd02.crt

- name: Move it to lxd03, pushed by the local LXD (deleted here once copied)
  lxdkit.lxd.lxd_storage_volume:
    url: https://lxd03.example.com:8443
    server_cert: files/lxd03.crt
    name: shared-data
    pool: default
    from_pool: default
    source_url: unix:/var/lib/lxd/unix.socket
    mode: push
"""

RETURN = r"""
storage_volume:
  description: The volume after the task (planned in check mode) with its C(pool); null when absent.
  returned: always
  type: dict
  sample: {name: shared-data, pool: default, type: custom, content_type: filesystem, description: "",
           config: {size: 2GiB}, used_by: [/1.0/profiles/web-server], location: none}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._migration import MARKER, MARKER_VALUE, VolumeTransfer, is_half_made
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import check_target, require_pool
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import same_server, source_argument_spec, source_client
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import volume_view
from ansible_collections.lxdkit.lxd.plugins.module_utils._volumes import CONTENT_TYPES, VOLUME_CONFIG_RULES, copy_source, volumes_path


class StorageVolumeManager(LxdManager):

    # Steps once the volume is as wanted here (a move between servers deletes its source).
    finish = ()

    def run(self):
        name, pool = self.params["name"], self.params["pool"]
        for field in ("name", "pool", "new_name", "from_pool"):
            check_object_name(field, self.params[field])
        config = string_map("config", self.params["config"])
        check_target(self.client, self.params["target"])
        require_pool(self.client, pool)
        volumes = self._volumes(pool)
        if self.params["source_url"]:
            return self._between_servers(name, pool, config, volumes)
        current = volumes.find(name)
        if self.params["state"] == "absent":
            volumes.delete_unused(current)
            return self.reconciler.result(storage_volume=None)
        if self.params["from_pool"] and self.params["from_pool"] != pool:
            current, name = self._move(name, pool, volumes)
        elif self.params["new_name"] and self.params["new_name"] != name:
            current, name = volumes.rename(current, name, self.params["new_name"])
        refresh = self.params["refresh"] and current is not None
        source, origin = self._source(pool) if current is None or refresh else (None, None)
        if refresh:
            self._refresh_here(current, pool, source)

        def create(wanted, created):
            volumes.create(wanted, dict(created, source=source) if source else created, target=self.params["target"])

        return self._converge(name, pool, config, volumes, current, origin, create)

    def _converge(self, name, pool, config, volumes, current, origin, create):
        """Create ``name`` (by ``create(wanted, body)``) or update it to the options; the result."""
        # A new volume starts empty, or as the original of a copy (lxc storage volume copy).
        before = volume_view(current, pool) or dict(volume_view(origin, pool) or dict(description="", content_type="filesystem", config={}),
                                                    name=name, pool=pool)
        content_type = self.params["content_type"]
        if current is None and content_type:
            before["content_type"] = content_type
        elif content_type and content_type != before["content_type"]:
            raise LxdkitError("content_type: volume %s/%s is a %s volume and LXD cannot change that to %s"
                              % (pool, name, before["content_type"], content_type))
        wanted = dict(before, config=desired_map(before["config"], config, self.params["merge_config"], **VOLUME_CONFIG_RULES))
        if self.params["description"] is not None:
            wanted["description"] = self.params["description"]
        body = dict(description=wanted["description"], config=wanted["config"])
        if current is None:
            create(wanted, dict((key, value) for key, value in wanted.items() if key != "pool"))
            planned = dict(wanted, type="custom", used_by=[], location="none")
        else:
            volumes.update(before, wanted, body)
            planned = dict(current, **wanted)
        for finish in self.finish:
            finish()
        return self.reconciler.result(storage_volume=dict(volumes.final(name, planned), pool=pool))

    def _volumes(self, pool):
        target = self.params["target"]
        return self.resources("volume", volumes_path(pool), lambda volume: volume_view(volume, pool), params={"target": target} if target else None)

    def _move(self, name, pool, volumes):
        """Move from O(from_pool) by the rename rule; returns the volume and its name."""
        origin_pool = self.params["from_pool"]
        require_pool(self.client, origin_pool, "from_pool")
        origin = self._volumes(origin_pool)
        what = "from_pool: cannot move volume %r from pool %s to pool %s" % (name, origin_pool, pool)
        return origin.move(origin.find(name), name, volumes, name, {"name": name, "pool": pool}, what)

    def _source(self, pool):
        """The copy source and the volume a copy starts from (both None without O(source))."""
        if not self.params["source"]:
            if self.params["refresh"]:
                raise LxdkitError("refresh needs source: the volume to refresh this one from")
            return None, None
        source = copy_source(self.params["source"], pool, self.params["volume_only"])
        origin = self.client.find("%s/%s" % (volumes_path(source["pool"]), source["name"]))
        if origin is None:
            raise LxdkitError("source: volume %s/%s does not exist in project %s" % (source["pool"], source["name"], self.client.project))
        return source, origin

    def _refresh_here(self, current, pool, source):
        """Refresh the existing volume from ``source`` on this server (custom_volume_refresh)."""
        body = dict(name=current["name"], type="custom", content_type=current.get("content_type") or "filesystem",
                    description=current.get("description") or "", config=dict(current.get("config") or {}),
                    source=dict(source, refresh=True))
        self.reconciler.action("refresh", lambda: self.client.send("POST", volumes_path(pool), body))

    # -- from another server --------------------------------------------------------------------

    def _between_servers(self, name, pool, config, volumes):
        params = self.params
        if params["state"] != "present":
            raise LxdkitError("source_url copies or moves a volume to this server: it needs state=present, not %s" % params["state"])
        for option in ("new_name", "target"):
            if params[option]:
                raise LxdkitError("%s is not for a copy or move from another server (source_url): leave it out" % option)
        if bool(params["source"]) == bool(params["from_pool"]):
            raise LxdkitError("source_url needs either source (copy the volume VOLUME or POOL/VOLUME from that server) or "
                              "from_pool (move the volume %s from that pool of that server), not %s"
                              % (name, "both" if params["source"] else "neither"))
        self.source = source_client(params)
        try:
            if same_server(self.source, self.client):
                raise LxdkitError(
                    "source_url reaches the same LXD server as url (%s): copy or move within one server with source or "
                    "from_pool and without source_url" % self.client.where)
            return self._from_server(name, pool, config, volumes)
        finally:
            self.source.close()

    def _from_server(self, name, pool, config, volumes):
        params = self.params
        move = bool(params["from_pool"])
        if move:
            source_pool, source_name = params["from_pool"], name
        else:
            spec = copy_source(params["source"], pool, params["volume_only"])
            source_pool, source_name = spec["pool"], spec["name"]
        require_pool(self.source, source_pool, "from_pool" if move else "source")
        self.source_path = "%s/%s" % (volumes_path(source_pool), source_name)
        self.source_label = "volume %s/%s on the source %s (project %s)" % (source_pool, source_name, self.source.label, self.source.project)
        origin = self.source.find(self.source_path)
        current = volumes.find(name)
        transfer = VolumeTransfer(self.source, self.client, params["mode"], source_pool, pool, params["volume_only"])
        refresh = params["refresh"] and current is not None and not is_half_made(current)
        if is_half_made(current):
            if origin is None:
                raise LxdkitError(
                    "volume %s/%s here (%s) is a half-made copy (it has %s) and the %s is gone: there is nothing to copy it "
                    "from again, so it is left as it is; check it by hand" % (pool, name, self.client.where, MARKER, self.source_label))
        elif current is not None:
            if origin is None:
                if params["refresh"] and not move:
                    raise LxdkitError("refresh: the %s does not exist" % self.source_label)
                return self._converge(name, pool, config, volumes, current, None, None)  # copied or moved before
            if move and not refresh:
                raise LxdkitError(
                    "from_pool: cannot move the %s here as %s/%s: a volume of that name exists here already (%s); delete "
                    "one, or set refresh=true to refresh this one from the source before the source is deleted"
                    % (self.source_label, pool, name, self.client.where))
        elif origin is None:
            nothing = " and neither does volume %s/%s here: nothing to move" % (pool, name) if move else ""
            raise LxdkitError("%s: the %s does not exist%s" % ("from_pool" if move else "source", self.source_label, nothing))
        if move:
            users = origin.get("used_by") or []
            if users:
                raise LxdkitError("from_pool: the %s is in use and a move deletes it there; first remove it from: %s"
                                  % (self.source_label, ", ".join(users)), used_by=users)
            self.finish = (lambda: self.reconciler.action("delete source", self._delete_source),)
        if refresh or (current is not None and not is_half_made(current)):
            if refresh:
                transfer.refresh = True
                transfer.check()
                body = dict(name=name, type="custom", content_type=current.get("content_type") or "filesystem",
                            description=current.get("description") or "", config=dict(current.get("config") or {}))
                self.reconciler.action("refresh", lambda: self._transfer(transfer, source_name, pool, name, body))
            return self._converge(name, pool, config, volumes, current, None, None)
        transfer.check()
        if current is not None:
            self.reconciler.action("delete half-made copy", lambda: self._delete_half_made(pool, name))

        def copy(wanted, created):
            body = dict(created, type="custom", config=dict(created["config"], **{MARKER: MARKER_VALUE}))
            self.reconciler.step("copy", None, wanted, lambda: self._transfer(transfer, source_name, pool, name, body))

        return self._converge(name, pool, config, volumes, None, origin, copy)

    def _transfer(self, transfer, source_name, pool, name, body):
        try:
            transfer.run(source_name, body)
        except LxdkitError as exc:
            notes = "; the source volume is unchanged"
            if not transfer.refresh:
                notes += self._leftover(pool, name)
            raise LxdkitError(exc.msg + notes, **exc.details)
        if not transfer.refresh:
            # The copy is whole: its config without the marker (the options' update comes next).
            path = "%s/%s" % (volumes_path(pool), name)
            current = self.client.get(path)
            config = dict((key, value) for key, value in (current.get("config") or {}).items() if key != MARKER)
            self.client.send_when_free("PUT", path, dict(config=config, description=current.get("description") or ""))

    def _leftover(self, pool, name):
        """Delete what a failed transfer left here (LXD usually has already)."""
        try:
            leftover = self.client.find("%s/%s" % (volumes_path(pool), name))
        except LxdkitError as exc:
            return "; this server could not be checked for a half-made copy (%s): a rerun deletes it (it carries %s)" % (exc.msg, MARKER)
        if not is_half_made(leftover):
            return ""
        try:
            self._delete_half_made(pool, name)
        except LxdkitError as exc:
            return "; the half-made copy here could not be deleted (%s): a rerun deletes it" % exc.msg
        return "; the half-made copy here was deleted"

    def _delete_half_made(self, pool, name):
        try:
            self.client.send_when_free("DELETE", "%s/%s" % (volumes_path(pool), name))
        except LxdkitNotFound:
            pass

    def _delete_source(self):
        try:
            self.source.send_when_free("DELETE", self.source_path)
        except LxdkitError as exc:
            raise LxdkitError("the %s is copied to %s, but deleting it there failed: %s; a rerun finishes the move"
                              % (self.source_label, self.client.where, exc.msg), **exc.details)


def main():
    spec = dict(
        name=dict(type="str", required=True),
        pool=dict(type="str", required=True),
        content_type=dict(type="str", choices=list(CONTENT_TYPES)),
        description=dict(type="str"),
        config=dict(type="dict"),
        merge_config=dict(type="bool", default=False),
        source=dict(type="str"),
        volume_only=dict(type="bool", default=False),
        refresh=dict(type="bool", default=False),
        from_pool=dict(type="str"),
        new_name=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        target=dict(type="str"),
        mode=dict(type="str", choices=["pull", "push", "relay"], default="pull"),
    )
    spec.update(source_argument_spec())
    run_module(StorageVolumeManager, spec, mutually_exclusive=[("new_name", "from_pool")])


if __name__ == "__main__":
    main()
