# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An image copied from one LXD server to another (``lxc image copy`` between remotes).

- pull: the destination downloads it from the source daemon (POST images, source type
  ``image``), which must listen on the network; a private image needs a one-time secret of the
  source.
- push: the destination hands out a one-time token (POST images, mode ``push``) and the source
  daemon uploads the image with it (POST images/FP/export, ``images_push_relay``); the
  destination must listen on the network.
- relay: this client downloads the image to a temporary file and uploads it (unified images).

Aliases are not part of the copy: the module points them at the image afterwards, with its
usual rules for an alias that exists already.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._images import download_image, fingerprint_of, upload_image
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import (
    cancel_operation,
    certificate,
    missing_extensions,
    network_urls,
    not_listening,
    start_operation,
    unreachable,
)

MODES = ("pull", "push", "relay")


def check_image_copy(source, destination, mode):
    """Refuse, before anything changes, a mode that cannot work."""
    if mode == "pull":
        if not network_urls(source):
            raise LxdkitError(
                "mode=pull: the source %s %s, so the destination daemon cannot download the image from it. Use "
                "mode=push%s, or mode=relay (this host carries it)" % (source.label, not_listening(source), _listening(destination, "destination")))
        certificate(source)
    elif mode == "push":
        if not network_urls(destination):
            raise LxdkitError(
                "mode=push: the destination %s %s, so the source daemon cannot upload the image to it. Use "
                "mode=pull%s, or mode=relay (this host carries it)" % (destination.label, not_listening(destination), _listening(source, "source")))
        missing = missing_extensions(source, ["images_push_relay"])
        if missing:
            raise LxdkitError("mode=push: the source %s lacks the API extension images_push_relay" % source.label)
        certificate(destination)
    elif mode != "relay":
        raise LxdkitError("mode must be one of %s, not %r" % (", ".join(MODES), mode))


def _listening(client, side):
    urls = network_urls(client)
    return " (the %s listens on %s)" % (side, ", ".join(urls)) if urls else ""


def copy_image(source, destination, image, mode, public=False):
    """Copy ``image`` (the source's image object) to ``destination``, without aliases."""
    fingerprint = image["fingerprint"]
    try:
        if mode == "pull":
            _pull(source, destination, image, public)
        elif mode == "push":
            _push(source, destination, image, public)
        else:
            _relay(source, destination, image, public)
    except LxdkitError as exc:
        raise LxdkitError("copy of image %s from %s to %s (mode=%s) failed: %s"
                          % (fingerprint[:12], source.where, destination.where, mode, exc.msg), **exc.details)


def _first_reachable(urls, attempt):
    """``attempt(url)`` for each URL until one does not fail for want of a connection."""
    error = None
    for url in urls:
        try:
            return attempt(url)
        except LxdkitError as exc:
            error = exc
            if not unreachable(exc):
                break
    raise error


def _pull(source, destination, image, public):
    fingerprint = image["fingerprint"]
    token, secret = None, None
    if not image.get("public"):
        # The destination daemon downloads as an untrusted client: a private image needs a secret.
        token, metadata = start_operation(source, "POST", "images/%s/secret" % fingerprint, None)
        secret = metadata.get("secret")

    def attempt(url):
        body = dict(source=dict(type="image", mode="pull", server=url, protocol="lxd", certificate=certificate(source),
                                fingerprint=fingerprint, secret=secret or "", project=source.project),
                    public=bool(public), auto_update=False, aliases=[])
        destination.send("POST", "images", body)

    try:
        _first_reachable(network_urls(source), attempt)
    finally:
        cancel_operation(source, token)  # single-use: LXD has ended it when it was used


def _push(source, destination, image, public):
    fingerprint = image["fingerprint"]
    token, metadata = start_operation(destination, "POST", "images", dict(
        source=dict(fingerprint=fingerprint, mode="push"), aliases=[], properties=dict(image.get("properties") or {}),
        public=bool(public)))

    def attempt(url):
        source.send("POST", "images/%s/export" % fingerprint, dict(
            target=url, certificate=certificate(destination), secret=metadata.get("secret"), aliases=[],
            project=destination.project))

    try:
        _first_reachable(network_urls(destination), attempt)
    finally:
        cancel_operation(destination, token)


def _relay(source, destination, image, public):
    fingerprint = image["fingerprint"]
    with tempfile.TemporaryDirectory(prefix="lxdkit-image-") as directory:
        path = os.path.join(directory, fingerprint)
        try:
            download_image(source, fingerprint, path)
        except LxdkitError as exc:
            if "split image" in exc.msg:
                raise LxdkitError("image %s is a split image (metadata and rootfs); mode=relay carries unified images only: "
                                  "use mode=push or mode=pull" % fingerprint[:12])
            raise
        if fingerprint_of(path) != fingerprint:
            raise LxdkitError("the download of image %s from %s is not the image (another sha256)" % (fingerprint[:12], source.where))
        upload_image(destination, path, public=bool(public))
    properties = dict(image.get("properties") or {})
    copied = destination.get("images/%s" % fingerprint)
    if properties and (copied.get("properties") or {}) != properties:
        # The other modes carry the source's properties (which may differ from the tarball's).
        destination.send("PATCH", "images/%s" % fingerprint, dict(properties=properties))
