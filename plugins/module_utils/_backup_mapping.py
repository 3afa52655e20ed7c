# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restoring an instance backup onto a server whose names differ: what pools, networks,
profiles and project a backup names; a mapping of them to the target's names, checked against
the target before anything is sent; and the archive with its YAML rewritten by the mapping
while it streams to LXD.

LXD 5.0.2 takes the pool from the X-LXD-pool header but nothing else: an import whose profile
or nic network is missing on the target fails ("Failed loading profiles for instance: Profile
not found") after the whole upload. So the mapping is applied inside the archive, to
``backup/index.yaml`` (its ``pool`` and the instance config LXD reads from it) and to each
``backup.yaml`` (of the instance and of each snapshot); the same rewrite puts the config keys in
the spelling of the server that imports it (an LXD backup on Incus: ``_key_spellings``). Every
other tar member is copied byte for byte, header and data; the stream LXD gets is gzip (level 1) of the rewritten tar.
"""

from __future__ import annotations

import posixpath
import tarfile
import zlib

from ansible_collections.lxdkit.lxd.plugins.module_utils._archive import INDEX, decompressed
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._key_spellings import foreign_keys, spelled_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML comes with ansible-core
    yaml = None

MAPPING_KINDS = ("pools", "networks", "profiles", "projects")
DEFAULT_PROJECT = "default"
_BLOCK = 512
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_GZIP_LEVEL = 1


def check_mapping(mapping):
    """``mapping`` as ``{kind: {old: new}}`` for the four kinds, each name checked; an error
    names the field and what is allowed."""
    if mapping is None:
        return dict((kind, {}) for kind in MAPPING_KINDS)
    if not isinstance(mapping, dict):
        raise LxdkitError("mapping must be a dict with the keys %s" % ", ".join(MAPPING_KINDS))
    unknown = sorted(set(mapping) - set(MAPPING_KINDS))
    if unknown:
        raise LxdkitError("mapping: unknown key(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(MAPPING_KINDS)))
    checked = {}
    for kind in MAPPING_KINDS:
        names = mapping.get(kind) or {}
        if not isinstance(names, dict):
            raise LxdkitError("mapping.%s must be a dict of old name: new name" % kind)
        for old, new in names.items():
            check_object_name("mapping.%s key" % kind, old)
            check_object_name("mapping.%s.%s" % (kind, old), new)
        checked[kind] = dict(names)
    return checked


def any_mapping(mapping):
    return any(mapping.get(kind) for kind in MAPPING_KINDS)


# -- YAML as LXD writes it --------------------------------------------------------------------

def _without_timestamps(base):
    """A loader or dumper class that leaves timestamps as the strings they are: LXD's
    ``created_at: 2026-12-03T07:28:04.801862824Z`` must go back unquoted and with its
    nanoseconds (PyYAML would make a datetime of it and write it in another form)."""
    resolvers = dict((first, [(tag, regexp) for tag, regexp in entries if tag != _TIMESTAMP])
                     for first, entries in base.yaml_implicit_resolvers.items())
    return type("NoTimestamp" + base.__name__, (base,), {"yaml_implicit_resolvers": resolvers})


def _load(data, what):
    try:
        document = yaml.load(data, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise LxdkitError("the backup's %s is not valid YAML: %s" % (what, exc))
    if not isinstance(document, dict):
        raise LxdkitError("the backup's %s is not a YAML mapping" % what)
    return document


def _dump(document):
    return yaml.dump(document, Dumper=_Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 30).encode("utf-8")


if yaml is not None:
    _Loader = _without_timestamps(yaml.SafeLoader)
    _Dumper = _without_timestamps(yaml.SafeDumper)


# -- what a backup names ----------------------------------------------------------------------

def _instances_in(config):
    """The instance and its snapshots in a backup.yaml document (``container`` is LXD's key for both kinds)."""
    found = [config.get("container")] + list(config.get("snapshots") or [])
    return [entry for entry in found if isinstance(entry, dict)]


def _is_root(device):
    return device.get("type") == "disk" and device.get("path") == "/"


def backup_names(index, config):
    """``{pool, pools, networks, profiles, project}`` the backup names: ``pool`` the pool of
    its volume; ``pools`` those of its other disk devices, ``networks`` those of its nic
    devices, ``profiles`` its profiles (of the instance and of its snapshots; not the devices
    its profiles bring, which come from the target's profiles); ``project`` its project."""
    pools, networks, profiles = set(), set(), set()
    for entry in _instances_in(config):
        profiles.update(name for name in entry.get("profiles") or [] if isinstance(name, str))
        for device in (entry.get("devices") or {}).values():
            if not isinstance(device, dict):
                continue
            if device.get("type") == "disk" and device.get("pool") and not _is_root(device):
                pools.add(device["pool"])
            if device.get("type") == "nic" and device.get("network"):
                networks.add(device["network"])
    container = config.get("container") or {}
    pool = index.get("pool") or (config.get("pool") or {}).get("name")
    project = container.get("project") or (config.get("volume") or {}).get("project") or DEFAULT_PROJECT
    return dict(pool=pool, pools=pools, networks=networks, profiles=profiles, project=project)


def mapped(mapping, kind, name):
    return mapping[kind].get(name, name)


def target_names(mapping, names, pool=None):
    """What the target must have for the backup: ``names`` after the mapping (``pool``, the
    storage_pool given for the instance, replaces the volume's pool), as sorted lists."""
    return dict(pool=pool or (mapped(mapping, "pools", names["pool"]) if names["pool"] else None),
                pools=sorted(set(mapped(mapping, "pools", name) for name in names["pools"])),
                networks=sorted(set(mapped(mapping, "networks", name) for name in names["networks"])),
                profiles=sorted(set(mapped(mapping, "profiles", name) for name in names["profiles"])),
                project=mapped(mapping, "projects", names["project"]))


def unused_mapping(mapping, names):
    """Mapping entries whose old name the backup does not name (a typo, likely): ``["pools.x"]``."""
    named = dict(pools=set(names["pools"]) | set([names["pool"]]), networks=names["networks"], profiles=names["profiles"],
                 projects=set([names["project"]]))
    return ["%s.%s" % (kind, old) for kind in MAPPING_KINDS for old in sorted(mapping[kind]) if old not in named[kind]]


def missing_on_target(client, mapping, names, pool=None):
    """What the backup needs (after the mapping) that the target lacks, every one of them, as
    texts (``storage pool 'fast' (mapped from 'default')``); ``client`` is bound to the target
    project. ``pool``: the storage_pool given for the instance."""
    missing = []

    def check(kind, path, old, new, how=None):
        if client.find("%s/%s" % (path, new)) is None:
            missing.append("%s %r%s" % (kind, new, how or (" (mapped from %r)" % old if old != new else "")))

    if pool:
        check("storage pool", "storage-pools", None, pool, " (storage_pool)")
    elif names["pool"]:
        check("storage pool", "storage-pools", names["pool"], mapped(mapping, "pools", names["pool"]))
    for old in sorted(names["pools"]):
        if mapped(mapping, "pools", old) != pool:
            check("storage pool", "storage-pools", old, mapped(mapping, "pools", old))
    for old in sorted(names["networks"]):
        check("network", "networks", old, mapped(mapping, "networks", old))
    for old in sorted(names["profiles"]):
        check("profile", "profiles", old, mapped(mapping, "profiles", old))
    return [text for number, text in enumerate(missing) if text not in missing[:number]]


# -- reading and rewriting the tar stream -----------------------------------------------------

def _read_exact(stream, size, what):
    data = stream.read(size)
    while len(data) < size:
        more = stream.read(size - len(data))
        if not more:
            raise LxdkitError("the backup archive is cut off in %s" % what)
        data += more
    return data


def _number(field):
    try:
        return tarfile.nti(field)
    except tarfile.InvalidHeaderError as exc:
        raise LxdkitError("the backup archive has a damaged tar header: %s" % exc)


def _padded(size):
    return -(-size // _BLOCK) * _BLOCK


def _pax_records(data):
    """The records of a pax extended header: ``{keyword: value}`` (bytes values)."""
    records, position = {}, 0
    while position < len(data) and data[position:position + 1] not in (b"", b"\0"):
        space = data.find(b" ", position)
        if space < 0:
            break
        length = int(data[position:space])
        keyword, _eq, value = data[space + 1:position + length - 1].partition(b"=")
        records[keyword.decode("utf-8", "replace")] = value
        position += length
    return records


def _members(stream):
    """Walk a tar stream block by block. Yields ``(name, raw, size, stream)`` for each member:
    ``raw`` the bytes of its header blocks (pax and GNU long-name headers included) as read,
    ``size`` its data size (the data, padded to blocks, is read next from ``stream`` by the
    caller). The end of the archive yields ``(None, rest, 0, stream)``, ``rest`` its zero
    blocks and what follows them."""
    extended, long_name, pax = [], None, {}
    while True:
        header = stream.read(_BLOCK)
        if len(header) < _BLOCK or header == b"\0" * _BLOCK:
            rest = [header]
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                rest.append(chunk)
            yield None, b"".join(extended + rest), 0, stream
            return
        if _number(header[148:156]) not in tarfile.calc_chksums(header):
            raise LxdkitError("the backup archive is not a tar archive (bad header checksum)")
        kind, size = header[156:157], _number(header[124:136])
        if kind in (b"x", b"g", b"L", b"K"):
            data = _read_exact(stream, _padded(size), "a tar header")
            extended.append(header + data)
            if kind == b"x":
                pax = _pax_records(data[:size])
            elif kind == b"L":
                long_name = data[:size].rstrip(b"\0").decode("utf-8", "surrogateescape")
            continue
        name = header[0:100].rstrip(b"\0").decode("utf-8", "surrogateescape")
        prefix = header[345:500].rstrip(b"\0").decode("utf-8", "surrogateescape")
        if header[257:262] == b"ustar" and prefix:
            name = prefix + "/" + name
        name = long_name or name
        if "path" in pax:
            name = pax["path"].decode("utf-8", "surrogateescape")
        if "size" in pax:
            size = int(pax["size"])
        yield posixpath.normpath(name), b"".join(extended + [header]), size, stream
        extended, long_name, pax = [], None, {}


def _is_config(name):
    """index.yaml and the backup.yaml of the instance and of each snapshot."""
    parts = name.split("/")
    return name == INDEX or (parts[-1] == "backup.yaml" and parts[0] == "backup" and (
        len(parts) == 3 or (len(parts) == 4 and parts[1] == "snapshots")))


def read_backup_config(path):
    """``(index, config)`` of the backup file at ``path``: its index.yaml and the instance's
    backup.yaml (from index.yaml's ``config`` when LXD put it there, as 5.0 does; else read on
    through the archive)."""
    index = None
    with decompressed(path, whole=False) as (_compression, stream):
        for name, _raw, size, stream in _members(stream):
            if name is None:
                break
            data = _read_exact(stream, _padded(size), name)[:size]
            if name == INDEX:
                index = _load(data, INDEX)
                if isinstance(index.get("config"), dict):
                    return index, index["config"]
            elif index is not None and name.count("/") == 2 and name.endswith("/backup.yaml"):
                return index, _load(data, name)
    if index is None:
        raise LxdkitError("the backup archive %s holds no %s: LXD cannot import it" % (path, INDEX))
    raise LxdkitError("the backup archive %s holds no backup.yaml of its instance" % path)


def _map_devices(devices, mapping, pool=None):
    for device in (devices or {}).values():
        if not isinstance(device, dict):
            continue
        if device.get("type") == "disk" and device.get("pool"):
            device["pool"] = pool if pool and _is_root(device) else mapped(mapping, "pools", device["pool"])
        if device.get("type") == "nic" and device.get("network"):
            device["network"] = mapped(mapping, "networks", device["network"])


def foreign_config_keys(config, server):
    """The config keys of the instance, its snapshots and its profiles in a backup.yaml
    document that ``server`` spells otherwise (sorted, once each)."""
    configs = [entry.get(field) for entry in _instances_in(config) for field in ("config", "expanded_config")]
    configs += [profile.get("config") for profile in config.get("profiles") or [] if isinstance(profile, dict)]
    return sorted(set(key for found in configs if isinstance(found, dict) for key in foreign_keys(server, found)))


def _respell(entry, server, where):
    for field in ("config", "expanded_config"):
        if isinstance(entry.get(field), dict):
            entry[field] = spelled_for(server, entry[field], "%s %s" % (where, field))


def map_config(config, mapping, pool=None, server=None):
    """Rename, in a backup.yaml document (in place), what ``mapping`` names: profiles lists,
    disk devices' pools, nic devices' networks (also in the expanded devices), the pool, the
    profiles' definitions and the project. ``pool``: the instance's pool when set apart from
    the mapping (storage_pool). ``server``: the config keys in that server's spelling."""
    for entry in _instances_in(config):
        if server:
            _respell(entry, server, "the backup's instance %s" % entry.get("name"))
        if entry.get("profiles"):
            # Two profiles mapped to one: LXD refuses a profile listed twice ("Duplicate profile").
            names = [mapped(mapping, "profiles", name) for name in entry["profiles"]]
            entry["profiles"] = [name for number, name in enumerate(names) if name not in names[:number]]
        _map_devices(entry.get("devices"), mapping, pool)
        _map_devices(entry.get("expanded_devices"), mapping, pool)
        if entry.get("project"):
            entry["project"] = mapped(mapping, "projects", entry["project"])
    for profile in config.get("profiles") or []:
        if isinstance(profile, dict):
            if server:
                _respell(profile, server, "the backup's profile %s" % profile.get("name"))
            profile["name"] = mapped(mapping, "profiles", profile.get("name"))
            _map_devices(profile.get("devices"), mapping)
    if isinstance(config.get("pool"), dict) and config["pool"].get("name"):
        config["pool"]["name"] = pool or mapped(mapping, "pools", config["pool"]["name"])
    if isinstance(config.get("volume"), dict) and config["volume"].get("project"):
        config["volume"]["project"] = mapped(mapping, "projects", config["volume"]["project"])
    return config


def _rewritten(name, data, mapping, pool, server):
    document = _load(data, name)
    if name == INDEX:
        if document.get("pool"):
            document["pool"] = pool or mapped(mapping, "pools", document["pool"])
        if isinstance(document.get("config"), dict):
            map_config(document["config"], mapping, pool, server)
    else:
        map_config(document, mapping, pool, server)
    return _dump(document)


def _with_size(header, size):
    """A copy of the ustar header block ``header`` with another size and its checksum again."""
    block = bytearray(header)
    block[124:136] = tarfile.itn(size, 12, tarfile.USTAR_FORMAT)
    block[148:156] = b" " * 8
    block[148:155] = b"%06o\0" % tarfile.calc_chksums(bytes(block))[0]
    return bytes(block)


def mapped_tar(stream, mapping, pool=None, server=None):
    """Yield the tar read from ``stream`` (uncompressed) with its config documents mapped (and
    their keys in ``server``'s spelling when given)."""
    for name, raw, size, stream in _members(stream):
        if name is None:
            yield raw
            return
        if not _is_config(name):
            yield raw
            remaining = _padded(size)
            while remaining:
                chunk = stream.read(min(CHUNK, remaining))
                if not chunk:
                    raise LxdkitError("the backup archive is cut off in %s" % name)
                remaining -= len(chunk)
                yield chunk
            continue
        data = _read_exact(stream, _padded(size), name)[:size]
        if b" size=" in raw[:-_BLOCK]:
            raise LxdkitError("the backup's %s has a pax size record; it cannot be rewritten" % name)
        new = _rewritten(name, data, mapping, pool, server)
        yield raw[:-_BLOCK] + _with_size(raw[-_BLOCK:], len(new)) + new + b"\0" * (_padded(len(new)) - len(new))


def mapped_archive(path, mapping, pool=None, server=None):
    """Yield the backup file at ``path`` as a gzip stream of its tar with the mapping applied
    and, with ``server``, the config keys in its spelling (see the module docstring)."""
    with decompressed(path) as (_compression, stream):
        compressor = zlib.compressobj(_GZIP_LEVEL, zlib.DEFLATED, 31)
        for piece in mapped_tar(stream, mapping, pool, server):
            out = compressor.compress(piece)
            if out:
                yield out
        yield compressor.flush()
