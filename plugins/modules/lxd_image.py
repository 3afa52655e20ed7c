#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_image
short_description: Import, publish, alias, export and delete LXD images
version_added: 0.1.0
description:
  - Imports images from local files (a unified tarball, or split metadata and rootfs tarballs),
    publishes images from instances or snapshots (C(lxc publish)), keeps aliases, properties,
    C(public) and C(auto_update) as declared, exports images to files and deletes them.
  - Idempotent by fingerprint and alias. Re-importing the same file changes nothing; an alias
    that points to another image is moved (a change), or refused with O(move_aliases=false).
  - Publishing is skipped when the first of O(aliases) already exists (a published image gets
    a new fingerprint every time, so the alias is what says it is done); O(force=true) publishes anew.
  - Copies an image from another LXD server (O(source_url), C(lxc image copy) between remotes)
    to the server of the module's own connection options, with the aliases it has there
    (O(copy_aliases)) and those of O(aliases). The image is named on the source by
    O(fingerprint) or the first of O(aliases); an image the destination has already (same
    fingerprint) is not copied again.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.connection.source
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  aliases:
    description:
      - Aliases that must point to the image. The first one also names the image when neither
        a file nor O(fingerprint) is given. Other aliases of the image are left alone, unless
        O(aliases_purge=true).
    type: list
    elements: str
    default: []
  fingerprint:
    description: The image's fingerprint (or a unique prefix of it, 12 characters or more).
    type: str
  file:
    description: A unified image tarball to import (metadata.yaml and rootfs/ in one tarball).
    type: path
  metadata_file:
    description: The metadata tarball of a split image; goes with O(rootfs_file).
    type: path
  rootfs_file:
    description: The rootfs (tarball or squashfs) of a split image; goes with O(metadata_file).
    type: path
  source_instance:
    description: Publish an image from this stopped instance (V(web01)) or snapshot (V(web01/snap0)).
    type: str
  properties:
    description: Image properties to set (C(os), C(release), C(description), ...); properties not listed are kept.
    type: dict
  public:
    description: Whether untrusted clients may download the image. Not managed when not given.
    type: bool
  auto_update:
    description: Whether LXD refreshes the image from its origin server. Not managed when not given.
    type: bool
  aliases_purge:
    description:
      - V(true) makes O(aliases) (with O(copy_aliases), also the aliases copied from the
        source) the image's whole alias list; its other aliases are deleted (each a step
        C(delete alias NAME), shown in the diff). V(false) keeps them.
      - With O(state=present) only.
    type: bool
    default: false
  move_aliases:
    description: Move an alias that points to another image; V(false) fails instead.
    type: bool
    default: true
  dest:
    description: With O(state=exported), the file to write (mode 0600, written whole or not at all).
    type: path
  force:
    description:
      - With O(state=exported), overwrite an existing O(dest).
      - With O(source_instance), publish again even though the alias exists (the alias then moves to the new image).
    type: bool
    default: false
  state:
    description: V(present), V(absent) (deletes the image and so its aliases), or V(exported).
    type: str
    choices: [present, absent, exported]
    default: present
  source_url:
    description:
      - Copy the image from this LXD server (V(https://lxd01.example.com:8443) or
        V(unix:/var/lib/lxd/unix.socket)) to the module's server, when the module's server
        does not have it yet. Needs O(state=present); mutually exclusive with O(file),
        O(metadata_file) and O(source_instance).
      - The other C(source_*) options connect to it as the module's own options connect to the
        module's server (the same options as M(lxdkit.lxd.lxd_instance_migration)'s).
    type: str
  source_project:
    description: The project of the image on the source server (default O(project)).
    type: str
  mode:
    description:
      - With O(source_url), how the image travels. V(pull) has the module's server download it
        from the source daemon, which must listen on the network (C(core.https_address)); V(push)
        has the source daemon upload it, so the module's server must listen on the network;
        V(relay) downloads it here and uploads it (unified images only; it passes through a
        temporary file on the host that runs the module).
      - A mode that cannot work is refused before anything changes, naming the one that would.
    type: str
    choices: [pull, push, relay]
    default: pull
  copy_aliases:
    description: With O(source_url), also point the aliases the image has on the source at the copy.
    type: bool
    default: true
seealso:
  - module: lxdkit.lxd.lxd_instance
  - module: lxdkit.lxd.lxd_instance_migration
"""

EXAMPLES = r"""
- name: Import a unified image tarball made offline
  lxdkit.lxd.lxd_image:
    file: /srv/images/debian-bookworm.tar.gz
    aliases: [debian-bookworm, debian/12]
    properties:
      os: debian
      release: bookworm

- name: Import a split image (metadata + rootfs)
  lxdkit.lxd.lxd_image:
    metadata_file: /srv/images/meta.tar.gz
    rootfs_file: /srv/images/rootfs.tar.zst
    aliases: [web-base]

- name: Publish a template from a stopped instance (lxc publish web01 --alias web-template)
  lxdkit.lxd.lxd_image:
    source_instance: web01
    aliases: [web-template]

- name: Export it to a file
  lxdkit.lxd.lxd_image:
    aliases: [web-template]
    state: exported
    dest: /srv/images/web-template.tar.gz

- name: The image's aliases are exactly these two (others it has are deleted)
  lxdkit.lxd.lxd_image:
    aliases: [web-template, web-template-2026]
    aliases_purge: true

- name: Delete it
  lxdkit.lxd.lxd_image:
    aliases: [web-template]
    state: absent

- name: Copy the local busybox image with its aliases to lxd02 (the local daemon uploads it)
  lxdkit.lxd.lxd_image:
    url: https://lxd02.example.com:8443
    server_cert: files/lxd02.crt
    source_url: unix:/var/lib/lxd/unix.socket
    aliases: [busybox]
    mode: push
"""

RETURN = r"""
image:
  description: The image after the task (as planned in check mode); null when absent.
  returned: always
  type: dict
  sample: {fingerprint: 2b11673d0697aaa4..., aliases: [{name: web-template}], properties: {os: busybox}, public: false}
fingerprint:
  description: The image's full fingerprint; null when absent or not yet known in check mode.
  returned: always
  type: str
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [copy, alias web-template]
dest:
  description: With O(state=exported), the file written.
  returned: when state is exported
  type: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._image_copy import check_image_copy, copy_image
from ansible_collections.lxdkit.lxd.plugins.module_utils._images import (
    check_image_file,
    download_image,
    fingerprint_of,
    identical_image,
    upload_image,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import same_server, source_argument_spec, source_client
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import image_view


class ImageManager(LxdManager):

    def run(self):
        for alias in self.params["aliases"]:
            check_object_name("aliases[]", alias)
        self.properties = string_map("properties", self.params["properties"])
        self.copied_aliases = []
        state = self.params["state"]
        if self.params["aliases_purge"] and state != "present":
            raise LxdkitError("aliases_purge goes with state=present, not %s" % state)
        if self.params["source_url"] and state != "present":
            raise LxdkitError("source_url copies an image to this server: it needs state=present, not %s" % state)
        if state == "absent":
            return self._absent()
        if state == "exported":
            return self._exported()
        image = self._present_image()
        if image is not None:
            image = self._update(image, self._purged_aliases(image, self._aliases(image)))
        return self.reconciler.result(image=image, fingerprint=image and image.get("fingerprint"))

    # -- finding -----------------------------------------------------------------------------

    def _by_alias(self, alias):
        found = self.client.find("images/aliases/%s" % alias)
        return found and found["target"]

    def _get(self, fingerprint):
        return self.client.find("images/%s" % fingerprint)

    def _resolve(self, client=None):
        """The existing image named by fingerprint or the first alias (on ``client``, default
        the module's server); None if there is none."""
        client = client or self.client
        if self.params["fingerprint"]:
            return client.find("images/%s" % self.params["fingerprint"])
        if self.params["aliases"]:
            found = client.find("images/aliases/%s" % self.params["aliases"][0])
            return found and client.find("images/%s" % found["target"])
        raise LxdkitError("name the image with fingerprint or aliases (or give file, metadata_file/rootfs_file or source_instance)")

    # -- present -----------------------------------------------------------------------------

    def _present_image(self):
        if self.params["file"] or self.params["metadata_file"]:
            return self._import()
        if self.params["source_url"]:
            return self._copy()
        if self.params["source_instance"]:
            return self._publish()
        image = self._resolve()
        if image is None:
            raise LxdkitError("image %s does not exist; give file, metadata_file/rootfs_file or source_instance to create it"
                              % (self.params["fingerprint"] or self.params["aliases"][0]))
        return image

    def _import(self):
        if self.params["file"]:
            check_image_file("file", self.params["file"])
            paths = [self.params["file"]]
        else:
            check_image_file("metadata_file", self.params["metadata_file"])
            check_image_file("rootfs_file", self.params["rootfs_file"], needs_metadata=False)
            paths = [self.params["metadata_file"], self.params["rootfs_file"]]
        fingerprint = fingerprint_of(*paths)
        current = self._get(fingerprint)
        if current is not None:
            return current
        planned = dict(fingerprint=fingerprint, aliases=[], properties={}, public=bool(self.params["public"]), auto_update=False)
        imported = {}

        def write():
            imported["fingerprint"] = upload_image(self.client, paths[0], paths[1] if len(paths) > 1 else None,
                                                   public=bool(self.params["public"]))

        self.reconciler.step("import", None, planned, write)
        if self.reconciler.check_mode:
            return planned
        return self.client.get("images/%s" % (imported.get("fingerprint") or fingerprint))

    def _copy(self):
        """The image of the source server, copied here unless it is here already."""
        source = source_client(self.params)
        try:
            if same_server(source, self.client):
                raise LxdkitError("source_url reaches the same LXD server as url (%s): there is nothing to copy" % self.client.where)
            image = self._resolve(source)
            if image is None:
                raise LxdkitError("image %s does not exist on the source %s (project %s)"
                                  % (self.params["fingerprint"] or self.params["aliases"][0], source.label, source.project))
            if self.params["copy_aliases"]:
                self.copied_aliases = [alias["name"] for alias in image.get("aliases") or []]
            fingerprint = image["fingerprint"]
            current = self._get(fingerprint)
            if current is not None:
                return current
            mode, public = self.params["mode"], bool(self.params["public"])
            check_image_copy(source, self.client, mode)
            planned = dict(fingerprint=fingerprint, aliases=[], properties=dict(image.get("properties") or {}), public=public,
                           auto_update=False)
            self.reconciler.step("copy", None, planned, lambda: copy_image(source, self.client, image, mode, public))
        finally:
            source.close()
        if self.reconciler.check_mode:
            return planned
        return self.client.get("images/%s" % fingerprint)

    def _publish(self):
        source = self.params["source_instance"]
        instance, _sep, snapshot = source.partition("/")
        path = "instances/%s/snapshots/%s" % (instance, snapshot) if snapshot else "instances/%s" % instance
        origin = self.client.find(path)
        if origin is None:
            raise LxdkitError("source_instance %r does not exist in project %s" % (source, self.client.project))
        if not self.params["aliases"]:
            raise LxdkitError("publishing needs aliases: the alias is how a rerun knows the image exists")
        existing = self._resolve()
        if existing is not None and not self.params["force"]:
            return existing
        if not snapshot and origin.get("status") != "Stopped":
            raise LxdkitError("instance %s is %s: stop it before publishing (or publish one of its snapshots)" % (instance, origin.get("status")))
        body = dict(source=dict(type="snapshot" if snapshot else "instance", name=source), public=bool(self.params["public"]))
        planned = dict(fingerprint=None, aliases=[], properties=dict(self.properties or {}), public=bool(self.params["public"]), auto_update=False)
        published = {}

        def write():
            try:
                result = self.client.send("POST", "images", body) or {}
            except LxdkitError as exc:
                # The published tarball is byte-identical to an image LXD has already: that
                # image is the result, and the aliases are pointed at it.
                existing_fingerprint = identical_image(exc.details.get("lxd_error"))
                if existing_fingerprint is None:
                    raise
                published["fingerprint"] = existing_fingerprint
                return
            published["fingerprint"] = (result.get("metadata") or {}).get("fingerprint")

        self.reconciler.step("publish", image_view(existing), planned, write)
        if self.reconciler.check_mode:
            return planned
        return self.client.get("images/%s" % published["fingerprint"])

    def _aliases(self, image):
        """Point every alias at the image. Each step shows the whole image, its aliases growing."""
        fingerprint = image.get("fingerprint")
        view = image_view(image) if fingerprint else dict(image, aliases=[])
        for alias in self._wanted_aliases():
            target = self._by_alias(alias)
            if target == fingerprint and fingerprint is not None:
                continue
            after = dict(view, aliases=sorted(set(view["aliases"]) | {alias}))
            if target is None:
                self.reconciler.step("alias %s" % alias, view, after,
                                     lambda alias=alias: self.client.send("POST", "images/aliases", {"name": alias, "target": self._fp(image)}))
            elif not self.params["move_aliases"]:
                raise LxdkitError("alias %s points to another image (%s); set move_aliases=true to move it" % (alias, target[:12]))
            else:
                self.reconciler.step("move alias %s" % alias, view, after,
                                     lambda alias=alias: self.client.send("PUT", "images/aliases/%s" % alias, {"target": self._fp(image)}))
            view = after
        return view

    def _purged_aliases(self, image, view):
        """With aliases_purge, delete the image's aliases that are not wanted; return the view."""
        if not self.params["aliases_purge"] or not image.get("fingerprint"):
            return view
        wanted = set(self._wanted_aliases())
        for alias in sorted(set(view["aliases"]) - wanted):
            after = dict(view, aliases=sorted(set(view["aliases"]) - {alias}))
            self.reconciler.step("delete alias %s" % alias, view, after,
                                 lambda alias=alias: self.client.send("DELETE", "images/aliases/%s" % alias))
            view = after
        return view

    def _wanted_aliases(self):
        """O(aliases), then the aliases a copied image has on its source (once each)."""
        wanted = []
        for alias in list(self.params["aliases"]) + self.copied_aliases:
            if alias not in wanted:
                wanted.append(alias)
        return wanted

    def _fp(self, image):
        # In a real run the image exists and has its fingerprint by the time aliases are written.
        return image["fingerprint"]

    def _update(self, image, before):
        """Properties, public and auto_update; ``before`` is the image's view with its aliases set."""
        after = dict(before)
        changes = {}
        if self.properties:
            merged = dict(before["properties"], **self.properties)
            if merged != before["properties"]:
                changes["properties"] = after["properties"] = merged
        for key in ("public", "auto_update"):
            if self.params[key] is not None and self.params[key] != before[key]:
                changes[key] = after[key] = self.params[key]
        if changes and before["fingerprint"]:
            self.reconciler.step("update", before, after, lambda: self.client.send("PATCH", "images/%s" % before["fingerprint"], changes))
        if self.reconciler.changed and not self.reconciler.check_mode:
            return self.client.get("images/%s" % before["fingerprint"])
        return dict(image, **dict((key, after[key]) for key in ("properties", "public", "auto_update")))

    # -- absent / exported -------------------------------------------------------------------

    def _absent(self):
        image = self._resolve()
        if image is not None:
            self.reconciler.step("delete", image_view(image), None, lambda: self.client.send("DELETE", "images/%s" % image["fingerprint"]))
        return self.reconciler.result(image=None, fingerprint=None)

    def _exported(self):
        dest = self.params["dest"]
        if not dest:
            raise LxdkitError("state=exported needs dest, the file to write")
        image = self._resolve()
        if image is None:
            raise LxdkitError("image %s does not exist" % (self.params["fingerprint"] or self.params["aliases"][0]))
        exists = os.path.exists(dest)
        if not exists or self.params["force"]:
            self.reconciler.action("export", lambda: download_image(self.client, image["fingerprint"], dest))
        return self.reconciler.result(image=image, fingerprint=image["fingerprint"], dest=dest)


def main():
    run_module(
        ImageManager,
        dict(
            aliases=dict(type="list", elements="str", default=[]),
            fingerprint=dict(type="str"),
            file=dict(type="path"),
            metadata_file=dict(type="path"),
            rootfs_file=dict(type="path"),
            source_instance=dict(type="str"),
            properties=dict(type="dict"),
            public=dict(type="bool"),
            auto_update=dict(type="bool"),
            move_aliases=dict(type="bool", default=True),
            aliases_purge=dict(type="bool", default=False),
            dest=dict(type="path"),
            force=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent", "exported"], default="present"),
            mode=dict(type="str", choices=["pull", "push", "relay"], default="pull"),
            copy_aliases=dict(type="bool", default=True),
            **source_argument_spec()
        ),
        mutually_exclusive=[("file", "metadata_file", "source_instance", "source_url")],
        required_together=[("metadata_file", "rootfs_file")],
    )


if __name__ == "__main__":
    main()
