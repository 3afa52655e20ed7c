# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._images import check_image_file, fingerprint_of, identical_image


def make_tar(path, names):
    with tarfile.open(str(path), "w:gz") as archive:
        for name in names:
            data = b"x"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_fingerprint_is_sha256_of_the_files_in_order(tmp_path):
    first, second = tmp_path / "meta", tmp_path / "rootfs"
    first.write_bytes(b"meta")
    second.write_bytes(b"rootfs")
    assert fingerprint_of(str(first)) == hashlib.sha256(b"meta").hexdigest()
    assert fingerprint_of(str(first), str(second)) == hashlib.sha256(b"metarootfs").hexdigest()


def test_image_tarball_checks(tmp_path):
    good, bad, junk = tmp_path / "good.tar.gz", tmp_path / "bad.tar.gz", tmp_path / "junk.tar.gz"
    make_tar(good, ["metadata.yaml", "rootfs/etc/hostname"])
    make_tar(bad, ["rootfs/etc/hostname"])
    junk.write_bytes(b"hello")
    check_image_file("file", str(good))
    with pytest.raises(LxdkitError) as info:
        check_image_file("file", str(bad))
    assert "no metadata.yaml" in info.value.msg
    with pytest.raises(LxdkitError) as info:
        check_image_file("file", str(junk))
    assert "is not an image tarball" in info.value.msg
    with pytest.raises(LxdkitError) as info:
        check_image_file("metadata_file", str(tmp_path / "missing"))
    assert info.value.msg.startswith("metadata_file")
    check_image_file("rootfs_file", str(junk), needs_metadata=False)


def test_identical_image_reads_the_fingerprint_from_lxds_refusal():
    fingerprint = "67c44ac5307c998ed85dbaa8e9ad733f8e0c767ab504fb6d2c401557e8782a9b"
    assert identical_image("The image already exists: %s" % fingerprint) == fingerprint
    assert identical_image("The image already exists: 67c4") is None
    assert identical_image("Instance is running") is None
    assert identical_image(None) is None
