# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image files on the machine running the module: fingerprints, checks, streamed upload and
download through the client layer."""

from __future__ import annotations

import os
import re
import tarfile

from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import write_atomically
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import sha256_file
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._http import MultipartBody
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK


_ALREADY_EXISTS = re.compile(r"^The image already exists: ([0-9a-f]{64})$")


def fingerprint_of(*paths):
    """LXD's fingerprint: sha256 of the unified tarball, or of metadata then rootfs for split images."""
    return sha256_file(*paths)


def identical_image(lxd_error):
    """The fingerprint in LXD's refusal to store an image it has already, else None."""
    match = _ALREADY_EXISTS.match((lxd_error or "").strip())
    return match.group(1) if match else None


def check_image_file(field, path, needs_metadata=True):
    """A readable tarball that (for unified and metadata files) holds metadata.yaml."""
    if not os.path.isfile(path):
        raise LxdkitError("%s %s does not exist or is not a file" % (field, path))
    if not needs_metadata:
        return
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                if member.name.lstrip("./") == "metadata.yaml":
                    return
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise LxdkitError("%s %s is not an image tarball (%s)" % (field, path, exc))
    raise LxdkitError("%s %s is not an LXD image: it has no metadata.yaml at its top" % (field, path))


def upload_image(client, metadata_path, rootfs_path=None, public=False):
    """POST the image file(s) to LXD, streamed; return the fingerprint LXD reports."""
    headers = client.headers(public="1" if public else "0")
    with open(metadata_path, "rb") as metadata:
        if rootfs_path is None:
            headers["Content-Type"] = "application/octet-stream"
            result = client.send("POST", "images", data=metadata, headers=headers)
        else:
            with open(rootfs_path, "rb") as rootfs:
                form = MultipartBody([("metadata", os.path.basename(metadata_path), metadata),
                                      ("rootfs", os.path.basename(rootfs_path), rootfs)])
                headers["Content-Type"] = form.content_type
                result = client.send("POST", "images", data=form, headers=headers)
    return ((result or {}).get("metadata") or {}).get("fingerprint")


def download_image(client, fingerprint, dest):
    """Stream GET images/FP/export into ``dest`` through a temp file in the same directory."""
    directory = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(directory):
        raise LxdkitError("dest directory %s does not exist" % directory)
    response = client.request("GET", "images/%s/export" % fingerprint, stream=True)
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("multipart/"):
        response.close()
        raise LxdkitError("image %s is a split image (metadata and rootfs); export it with 'lxc image export', "
                          "this module exports unified images" % fingerprint[:12])
    write_atomically(dest, client.download("images/%s/export" % fingerprint, CHUNK, response=response))
