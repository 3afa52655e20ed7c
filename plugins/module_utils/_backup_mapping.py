# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An instance backup imported onto a server whose names differ: the pool, networks, profiles
and project the backup names, renamed by a mapping, checked against the target, and the
archive rewritten with them (its ``backup/index.yaml`` and the instance's ``backup.yaml``).

LXD 5.0 creates the imported instance from ``backup.yaml`` and refuses profiles and networks
it does not have, so the names are changed in the archive itself: it is read once (any
compression the backups use), and written beside ``src`` as a plain tar that LXD takes as it
is; the other members are copied unchanged."""

from __future__ import annotations

import io
import os
import posixpath
import tarfile

from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import INDEX, _decompressed, _format_of
from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import temp_path_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

MAPPING_KINDS = ("pools", "networks", "profiles", "projects")
# The instance's own description in the archive, beside the index.
BACKUP_FILES = ("backup/container/backup.yaml", "backup/virtual-machine/backup.yaml")


def _yaml():
    try:
        import yaml
    except ImportError:
        raise LxdkitError("mapping needs PyYAML (python3-yaml) on the host that runs the module")
    return yaml


def _loader():
    """A safe loader that keeps timestamps as the strings LXD wrote (LXD reads them back)."""
    yaml = _yaml()

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = dict(
        (first, [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"])
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items())
    return Loader


def check_backup_mapping(mapping):
    """``mapping`` ({pools: {old: new}, networks: ..., profiles: ..., projects: ...}) checked."""
    if mapping is None:
        return None
    unknown = sorted(set(mapping) - set(MAPPING_KINDS))
    if unknown:
        raise LxdkitError("mapping has unknown key(s) %s; it takes %s" % (", ".join(unknown), ", ".join(MAPPING_KINDS)))
    result = {}
    for kind in MAPPING_KINDS:
        names = mapping.get(kind) or {}
        if not isinstance(names, dict):
            raise LxdkitError("mapping.%s must be a mapping of the backup's names to the target's names" % kind)
        for old, new in names.items():
            check_object_name("mapping.%s key" % kind, old)
            check_object_name("mapping.%s.%s" % (kind, old), new)
        result[kind] = dict(names)
    return result


def read_index(src):
    """The backup's ``backup/index.yaml`` (the archive's first member), parsed."""
    compression, _magic, opener, command = _format_of(src)
    try:
        with _decompressed(src, compression, opener, command) as stream:
            with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as archive:
                for member in archive:
                    if posixpath.normpath(member.name) == INDEX:
                        index = _yaml().load(archive.extractfile(member).read(), Loader=_loader())
                        _drain(stream)
                        return index if isinstance(index, dict) else {}
                _drain(stream)
    except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
        raise LxdkitError("src %s cannot be read as an LXD backup (%s): %s; nothing was imported" % (src, compression, exc))
    raise LxdkitError("src %s holds no %s: it is no LXD backup; nothing was imported" % (src, INDEX))


def _drain(stream):
    while stream.read(CHUNK):
        pass


def _mapped(table, name):
    return table.get(name, name)


def _map_devices(devices, mapping):
    for device in (devices or {}).values():
        if device.get("type") == "disk" and device.get("pool"):
            device["pool"] = _mapped(mapping["pools"], device["pool"])
        if device.get("type") == "nic":
            for key in ("network", "parent"):
                if device.get(key) in mapping["networks"]:
                    device[key] = mapping["networks"][device[key]]


def _map_instance(instance, mapping):
    if not isinstance(instance, dict):
        return
    instance["profiles"] = [_mapped(mapping["profiles"], name) for name in instance.get("profiles") or []]
    _map_devices(instance.get("devices"), mapping)
    _map_devices(instance.get("expanded_devices"), mapping)
    if instance.get("project"):
        instance["project"] = _mapped(mapping["projects"], instance["project"])


def map_config(config, mapping):
    """Rename in place what a backup config (``backup.yaml``, or the index's ``config``) names."""
    if not isinstance(config, dict):
        return config
    _map_instance(config.get("container"), mapping)
    for snapshot in config.get("snapshots") or []:
        _map_instance(snapshot, mapping)
    if isinstance(config.get("pool"), dict) and config["pool"].get("name"):
        config["pool"]["name"] = _mapped(mapping["pools"], config["pool"]["name"])
    for profile in config.get("profiles") or []:
        profile["name"] = _mapped(mapping["profiles"], profile["name"])
        _map_devices(profile.get("devices"), mapping)
    if isinstance(config.get("volume"), dict) and config["volume"].get("pool"):
        config["volume"]["pool"] = _mapped(mapping["pools"], config["volume"]["pool"])
    return config


def map_index(index, mapping):
    index = dict(index)
    if index.get("pool"):
        index["pool"] = _mapped(mapping["pools"], index["pool"])
    index["config"] = map_config(index.get("config"), mapping)
    return index


def named_by(index):
    """What the (mapped) index names: ``{pools, networks, profiles}`` (sets) and its project."""
    config = index.get("config") or {}
    instance = config.get("container") or {}
    pools, networks = set([index["pool"]]) if index.get("pool") else set(), set()
    profiles = set(instance.get("profiles") or [])
    for entry in [instance] + list(config.get("snapshots") or []):
        profiles.update(entry.get("profiles") or [])
        for device in (entry.get("devices") or {}).values():
            if device.get("type") == "disk" and device.get("pool"):
                pools.add(device["pool"])
            if device.get("type") == "nic" and device.get("network"):
                networks.add(device["network"])
    return dict(pools=pools, networks=networks, profiles=profiles), instance.get("project")


def check_target(client, index, storage_pool=None):
    """Every pool, network and profile the (mapped) backup names exists on the target (the
    instance's pool: ``storage_pool`` when given); one error names every missing one."""
    names, _project = named_by(index)
    if storage_pool:
        names["pools"].discard(index.get("pool"))
        names["pools"].add(storage_pool)
    missing = []
    for kind, label, path in (("pools", "storage pool", "storage-pools/%s"), ("networks", "network", "networks/%s"),
                              ("profiles", "profile", "profiles/%s")):
        for name in sorted(names[kind]):
            if client.find(path % name) is None:
                missing.append("%s %s" % (label, name))
    if missing:
        raise LxdkitError("the backup names what LXD at %s (project %s) does not have: %s; create them, or map the backup's names to the "
                          "target's (mapping); nothing was imported" % (client.where, client.project, ", ".join(missing)), missing=missing)


def rewrite_archive(src, mapping):
    """Write the archive at ``src`` with the mapping's names as a plain tar beside it; returns
    its path (the caller deletes it). On failure nothing is left."""
    compression, _magic, opener, command = _format_of(src)
    handle, temp = temp_path_for(src)
    yaml = _yaml()
    try:
        with os.fdopen(handle, "wb") as out_file, _decompressed(src, compression, opener, command) as stream:
            with tarfile.open(fileobj=stream, mode="r|", bufsize=CHUNK) as archive, \
                    tarfile.open(fileobj=out_file, mode="w|", format=tarfile.PAX_FORMAT, bufsize=CHUNK) as out:
                for member in archive:
                    name = posixpath.normpath(member.name)
                    if member.isfile() and (name == INDEX or name in BACKUP_FILES):
                        document = yaml.load(archive.extractfile(member).read(), Loader=_loader())
                        document = map_index(document, mapping) if name == INDEX else map_config(document, mapping)
                        data = yaml.safe_dump(document, default_flow_style=False, sort_keys=False).encode("utf-8")
                        member.size = len(data)
                        out.addfile(member, io.BytesIO(data))
                    else:
                        out.addfile(member, archive.extractfile(member) if member.isfile() else None)
            _drain(stream)
    except BaseException as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        if isinstance(exc, (OSError, EOFError, tarfile.TarError, ValueError)):
            raise LxdkitError("rewriting the names of src %s failed: %s; nothing was imported" % (src, exc))
        raise
    return temp
