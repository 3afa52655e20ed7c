#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_host_config
short_description: Export an LXD server's configuration to one YAML document, and restore it onto a server
version_added: 0.2.0
description:
  - O(state=exported) writes the server's projects, storage pools (their definitions), network ACLs,
    managed networks, profiles (of each project) and custom storage volume definitions (no data) as one
    YAML document at O(dest), with a C(<dest>.sha256) sidecar, as M(lxdkit.lxd.lxd_backup) writes backups
    (a temp file beside O(dest), fsynced, renamed into place with mode 0600). The document carries its
    format, its version and the source server's name; it holds no timestamp, so the same objects give
    the same file and a rerun changes nothing.
  - The document leaves out C(volatile.*) keys, networks LXD does not manage (the host's interfaces),
    volume snapshots and data (back those up with M(lxdkit.lxd.lxd_backup)), and what LXD made up for a
    pool on its own host (a C(source) that is the pool's directory or loop file under LXD's directory,
    a C(zfs.pool_name) or C(lvm.vg_name) equal to the pool's name); a new server makes its own.
  - O(state=restored) verifies O(src) against its sidecar first (missing or not matching is an error,
    nothing is changed), then creates or updates the objects on the server in dependency order (projects,
    storage pools, network ACLs, networks, profiles, custom volumes). ACLs come before networks because a
    network's C(security.acls) names ACLs.
  - An object that exists already on the server with other settings is updated to the document
    (description and config replaced, keys LXD fills in itself kept; a profile's devices replaced), as
    the per-kind modules do. What LXD cannot change (a pool's driver or create-only keys, a network's
    type, a volume's content type) fails the task before anything is changed.
  - The whole restore is planned before the first change. Every object is read, every refusal is made,
    and every storage pool, network and project the profiles, networks, ACLs and volumes name must exist afterwards (on the server
    already, or in the document); one error names every missing one. A run that fails there changes
    nothing.
  - The document covers every project; the O(project) connection option must stay C(default).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  state:
    description:
      - V(exported) writes the document to O(dest); V(restored) applies the document at O(src) to the server.
    type: str
    choices: [exported, restored]
    required: true
  dest:
    description:
      - The file to write the document to (with O(state=exported)); its directory must exist.
    type: path
  src:
    description:
      - The document to restore (with O(state=restored)), with its C(.sha256) sidecar beside it.
    type: path
  include:
    description:
      - With O(state=exported), only the objects named here; each key is a kind (V(projects),
        V(storage_pools), V(network_acls), V(networks), V(profiles), V(storage_volumes)) with a list of
        names or shell-style patterns (V(web-*)). A kind not listed is exported whole.
      - Networks, ACLs, profiles and volumes are read from the exported projects only, volumes from the
        exported pools only.
      - With O(state=restored), only the document's objects named here are restored (by the names in the
        document); an empty list for V(storage_volumes) leaves the volume definitions out, for a recovery that imports
        the volumes with their data from their backups (C(playbooks/recover-host.yml) does).
    type: dict
  mapping:
    description:
      - With O(state=restored), new names for the document's objects, for a server whose names differ.
        Keys V(pools), V(networks), V(projects), each a mapping of the document's name to the server's name.
      - A mapped pool or network is renamed everywhere the document names it (the pool of volumes and
        profile disk devices, the network of profile nic devices); a mapped project likewise (the project
        of networks, ACLs, profiles and volumes).
      - A pool or network mapped to a name the server has already is used as it is there (its settings
        are not changed); one mapped to a name the server lacks is created under that name from the
        document's definition. A mapped project is created or updated like any other.
      - An entry naming nothing in the document is reported as a warning.
    type: dict
notes:
  - The document is a plain YAML file; a failed or interrupted export never leaves a half-written file
    at O(dest) and an earlier document there stays as it was.
seealso:
  - module: lxdkit.lxd.lxd_backup
"""

EXAMPLES = r"""
- name: Keep the server's configuration beside its instance backups
  lxdkit.lxd.lxd_host_config:
    state: exported
    dest: /srv/backups/host-config.yaml

- name: Only the web project's objects and its pool
  lxdkit.lxd.lxd_host_config:
    state: exported
    dest: /srv/backups/web-config.yaml
    include:
      projects: [default, web]
      storage_pools: [web-data]
      profiles: [web-*]

- name: Restore it onto a new server whose pool and bridge have other names
  lxdkit.lxd.lxd_host_config:
    url: https://lxd02.example.com:8443
    state: restored
    src: /srv/backups/host-config.yaml
    mapping:
      pools: {default: tank}
      networks: {lxdbr0: br-web}
"""

RETURN = r"""
path:
  description: The document's path (O(dest) or O(src)).
  returned: always
  type: str
sha256:
  description: SHA-256 of the document (as in its sidecar).
  returned: always
  type: str
document:
  description:
    - The document written (O(state=exported)), or the document restored with the mapping's names
      (O(state=restored)).
  returned: always
  type: dict
  sample:
    format: lxdkit.lxd/host-config
    version: 1
    server: lxd01
    projects: [{name: default, description: Default LXD project, config: {features.images: "true"}}]
    storage_pools: [{name: default, driver: dir, description: "", config: {}}]
    network_acls: []
    networks: [{project: default, name: lxdbr0, type: bridge, description: "", config: {ipv4.address: 10.99.0.1/24}}]
    profiles: [{project: default, name: default, description: "", config: {}, devices: {}}]
    storage_volumes: [{project: default, pool: default, name: data, content_type: filesystem, description: "", config: {}}]
actions:
  description: What the task did (or would do in check mode), in order (V(export); V(create network lxdbr1), V(update profile web/default)).
  returned: always
  type: list
  elements: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

import hashlib
import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._host_config import (
    KINDS,
    HostConfigRestore,
    apply_mapping,
    select,
    check_mapping,
    document_at,
    dump,
    load_document,
    publish_document,
    read_host_config,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module


class HostConfigManager(LxdManager):

    def __init__(self, module, client, reconciler):
        if module.params["project"] != DEFAULT_PROJECT:
            raise LxdkitError("project: lxd_host_config covers every project of the server; leave project out (it is %r)" % module.params["project"])
        super().__init__(module, client, reconciler)

    def run(self):
        state = self.params["state"]
        for option, wanted in (("dest", "exported"), ("src", "restored"), ("mapping", "restored")):
            if self.params[option] is not None and state != wanted:
                raise LxdkitError("%s is for state=%s, not state=%s: leave it out" % (option, wanted, state))
        return self._exported() if state == "exported" else self._restored()

    def _exported(self):
        dest = self.params["dest"]
        if not dest:
            raise LxdkitError("state=exported needs dest, the file to write the document to")
        if os.path.isdir(dest) or dest.endswith(os.sep):
            raise LxdkitError("dest (%s) is a directory; dest names the document to write, e.g. %s" % (dest, os.path.join(dest, "host-config.yaml")))
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            raise LxdkitError("the directory of dest (%s) does not exist; create it first" % directory)
        document = read_host_config(self.client, self._include())
        content = dump(document)
        same, before = document_at(dest, content)
        if not same:
            self.reconciler.action("export", lambda: publish_document(dest, content))
        result = self.reconciler.result(path=dest, sha256=hashlib.sha256(content).hexdigest(), document=document)
        if self.reconciler.diff_mode:
            result["diff"] = dict(before=before or {}, after=document)
        return result

    def _include(self):
        include = self.params["include"]
        if include is None:
            return None
        unknown = sorted(set(include) - set(KINDS))
        if unknown:
            raise LxdkitError("include has unknown key(s) %s; it takes %s" % (", ".join(unknown), ", ".join(KINDS)))
        for kind, names in include.items():
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise LxdkitError("include.%s must be a list of names or patterns" % kind)
        return include

    def _restored(self):
        src = self.params["src"]
        if not src:
            raise LxdkitError("state=restored needs src, the document to restore")
        mapping = check_mapping(self.params["mapping"])
        document, checksum = load_document(src)
        document, unused = apply_mapping(select(document, self._include()), mapping)
        for entry in unused:
            self.module.warn("%s names nothing in %s: it maps nothing" % (entry, src))
        targets = dict((kind, set(names.values())) for kind, names in mapping.items())
        restore = HostConfigRestore(self.client, self.reconciler, document, targets).plan()
        restore.apply()
        result = self.reconciler.result(path=src, sha256=checksum, document=document)
        if self.reconciler.diff_mode:
            result["diff"] = restore.diff()
        return result


def main():
    run_module(
        HostConfigManager,
        dict(
            state=dict(type="str", choices=["exported", "restored"], required=True),
            dest=dict(type="path"),
            src=dict(type="path"),
            include=dict(type="dict"),
            mapping=dict(type="dict"),
        ),
    )


if __name__ == "__main__":
    main()
