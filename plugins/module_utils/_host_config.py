# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server's configuration as one YAML document (projects, storage pools, network ACLs,
networks, profiles, custom volume definitions) and its restore onto another server.

The objects are read and compared through the collection's own views (``_views``) and merge
rules (``desired_map`` with each kind's server-defaulted keys), and checked with the storage
and network checks, so a restore changes exactly what the per-kind modules would. A restore is
planned whole (every current object read, every refusal made) before its first write: a
document the target cannot take changes nothing."""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import os

from ansible_collections.lxdkit.lxd.plugins.module_utils._atomic_files import publish, write_temp
from ansible_collections.lxdkit.lxd.plugins.module_utils._backup_files import directory_lock
from ansible_collections.lxdkit.lxd.plugins.module_utils._checksums import SIDECAR_SUFFIX, read_sidecar, sha256_file
from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._key_spellings import spelled_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._network import NETWORK_CONFIG_RULES
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import SERVER_MANAGED_PREFIXES, desired_map, is_server_managed
from ansible_collections.lxdkit.lxd.plugins.module_utils._storage import STORAGE_POOL_CONFIG_RULES, check_create_only, check_driver_available
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import acl_view, network_view, profile_view, project_view, storage_pool_view, volume_view
from ansible_collections.lxdkit.lxd.plugins.module_utils._volumes import VOLUME_CONFIG_RULES, volumes_path

FORMAT = "lxdkit.lxd/host-config"
VERSION = 1

# The document's lists, in the order a restore creates them: a network's security.acls names
# ACLs (LXD refuses a network naming an ACL it does not have), so ACLs come before networks.
KINDS = ("projects", "storage_pools", "network_acls", "networks", "profiles", "storage_volumes")
# What each list's entries are called in messages and actions.
LABELS = dict(projects="project", storage_pools="storage pool", network_acls="network ACL", networks="network",
              profiles="profile", storage_volumes="volume")
# The project feature that gives a project its own objects of a kind (else they are the default project's).
FEATURES = dict(network_acls="features.networks", networks="features.networks", profiles="features.profiles",
                storage_volumes="features.storage.volumes")
MAPPING_KINDS = ("pools", "networks", "projects")
# A default project's features never change (LXD refuses): they stay as the target has them.
DEFAULT_PROJECT_KEPT = SERVER_MANAGED_PREFIXES + ("features.",)


def _yaml():
    try:
        import yaml
    except ImportError:
        raise LxdkitError("lxd_host_config needs PyYAML (python3-yaml) on the host that runs the module")
    return yaml


def _clean(config):
    """Config without the keys LXD writes itself (volatile.*)."""
    return dict((key, value) for key, value in (config or {}).items() if not is_server_managed(key))


def _pool_entry(pool):
    """A pool's definition, without what LXD made up for it on its host: the loop file or
    directory under its own LXD_DIR and the zpool or volume group named after the pool (a new
    server makes its own)."""
    entry = storage_pool_view(pool)
    config, name = _clean(entry["config"]), entry["name"]
    source = config.get("source") or ""
    if source.endswith(("/storage-pools/%s" % name, "/disks/%s.img" % name)):
        del config["source"]
    for key in ("zfs.pool_name", "lvm.vg_name"):
        if config.get(key) == name:
            del config[key]
    return dict(entry, config=config)


def _own(project, kind):
    """Whether ``project`` (a project view) has its own objects of ``kind``."""
    return project["name"] == DEFAULT_PROJECT or str(project["config"].get(FEATURES[kind], "")).lower() == "true"


def _key(entry):
    return (entry.get("project") or "", entry.get("pool") or "", entry["name"])


# -- export ------------------------------------------------------------------------------------

def included(include, kind, name):
    """Whether ``include`` (per kind, a list of names or fnmatch patterns; a kind not listed:
    all) takes the object ``name`` of ``kind``."""
    patterns = (include or {}).get(kind)
    return patterns is None or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def select(document, include):
    """The document with only the objects ``include`` takes (a restore of part of it)."""
    if not include:
        return document
    return dict(document, **dict((kind, [entry for entry in document.get(kind) or [] if included(include, kind, entry["name"])])
                                 for kind in KINDS))


def read_host_config(client, include=None):
    """The document of the server ``client`` reaches (its default project's client):
    every object, or those ``include`` names (per kind, a list of names or fnmatch patterns).
    The networks, ACLs, profiles and volumes of every project are read, whether the project's
    own definition is in the document or not (the default project's are most often)."""
    def wanted(kind, name):
        return included(include, kind, name)

    def listed(path, project=None):
        params = dict(recursion=1)
        if project is not None:
            params["project"] = project
        try:
            return client.get(path, params=params) or []
        except LxdkitNotFound:
            return []  # the project or pool was deleted meanwhile: nothing of it to export

    every_project = [project_view(project) for project in listed("projects")]
    projects = [dict(project, config=_clean(project["config"])) for project in every_project if wanted("projects", project["name"])]
    pools = [_pool_entry(pool) for pool in listed("storage-pools") if wanted("storage_pools", pool["name"])]
    document = dict(format=FORMAT, version=VERSION, server=client.server.get("environment", {}).get("server_name"),
                    projects=projects, storage_pools=pools, network_acls=[], networks=[], profiles=[], storage_volumes=[])
    # The objects of every project: include.projects chooses the projects' own definitions only.
    for project in every_project:
        name = project["name"]
        if _own(project, "networks"):
            for network in listed("networks", name):
                if network.get("managed") and wanted("networks", network["name"]):
                    view = network_view(network)
                    document["networks"].append(dict(view, project=name, config=_clean(view["config"])))
            for acl in listed("network-acls", name):
                if wanted("network_acls", acl["name"]):
                    document["network_acls"].append(dict(acl_view(acl), project=name))
        if _own(project, "profiles"):
            for profile in listed("profiles", name):
                if wanted("profiles", profile["name"]):
                    view = profile_view(profile)
                    document["profiles"].append(dict(view, project=name, config=_clean(view["config"])))
        if _own(project, "storage_volumes"):
            for pool in pools:
                for volume in listed(volumes_path(pool["name"]), name):
                    if volume.get("type", "custom") == "custom" and wanted("storage_volumes", volume["name"]):
                        view = volume_view(volume, pool["name"])
                        document["storage_volumes"].append(dict(view, project=name, config=_clean(view["config"])))
    for kind in KINDS:
        document[kind].sort(key=_key)
    return document


def dump(document):
    """The document as YAML text (bytes), the same text for the same objects."""
    return _yaml().safe_dump(document, default_flow_style=False, sort_keys=True, allow_unicode=True).encode("utf-8")


def document_at(dest, content):
    """``(whether dest holds content with a matching sidecar, the document at dest or None)``."""
    if not os.path.isfile(dest):
        return False, None
    with open(dest, "rb") as stream:
        existing = stream.read()
    yaml = _yaml()
    try:
        parsed = yaml.safe_load(existing)
    except yaml.YAMLError:
        parsed = None
    same = existing == content and read_sidecar(dest) == hashlib.sha256(content).hexdigest()
    return same, parsed if isinstance(parsed, dict) else None


def publish_document(dest, content):
    """Put ``content`` at ``dest`` with its ``.sha256`` sidecar, as the backups are put
    (temp file, fsync, rename, directory fsync, under the directory's lock)."""
    with directory_lock(os.path.dirname(os.path.abspath(dest))):
        temp, _size, checksum = write_temp(dest, [content])
        publish(temp, dest, checksum)


# -- the document read back --------------------------------------------------------------------

def load_document(src):
    """The verified document at ``src``: its sidecar must exist and match, it must parse and
    have the fields of this format. Returns ``(document, sha256)``."""
    if not os.path.isfile(src):
        raise LxdkitError("src %s does not exist or is not a file; nothing was restored" % src)
    recorded, checksum = read_sidecar(src), sha256_file(src)
    if recorded is None:
        raise LxdkitError("src %s has no checksum sidecar %s%s: the document cannot be verified; nothing was restored"
                          % (src, os.path.basename(src), SIDECAR_SUFFIX))
    if recorded != checksum:
        raise LxdkitError("src %s does not match its checksum %s%s (recorded %s, file %s): the document is damaged; nothing was restored"
                          % (src, os.path.basename(src), SIDECAR_SUFFIX, recorded, checksum))
    yaml = _yaml()
    with open(src, "rb") as stream:
        try:
            document = yaml.safe_load(stream)
        except yaml.YAMLError as exc:
            raise LxdkitError("src %s is not YAML (%s); nothing was restored" % (src, exc))
    check_document(src, document)
    return document, checksum


_FIELDS = dict(
    projects=dict(description=str, config=dict),
    storage_pools=dict(driver=str, description=str, config=dict),
    network_acls=dict(project=str, description=str, ingress=list, egress=list, config=dict),
    networks=dict(project=str, type=str, description=str, config=dict),
    profiles=dict(project=str, description=str, config=dict, devices=dict),
    storage_volumes=dict(project=str, pool=str, content_type=str, description=str, config=dict),
)


def check_document(src, document):
    """Refuse a document that is not one of this format, naming the first wrong field."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise LxdkitError("src %s is not a host configuration document (no 'format: %s'); nothing was restored" % (src, FORMAT))
    if document.get("version") != VERSION:
        raise LxdkitError("src %s has version %r; this collection reads version %d; nothing was restored" % (src, document.get("version"), VERSION))
    for kind in KINDS:
        entries = document.get(kind)
        if not isinstance(entries, list):
            raise LxdkitError("src %s: %s must be a list; nothing was restored" % (src, kind))
        for index, entry in enumerate(entries):
            where = "src %s: %s[%d]" % (src, kind, index)
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise LxdkitError("%s must be a mapping with a name; nothing was restored" % where)
            for field, kind_type in _FIELDS[kind].items():
                if not isinstance(entry.get(field), kind_type):
                    raise LxdkitError("%s (%s): %s must be a %s; nothing was restored"
                                      % (where, entry["name"], field, "mapping" if kind_type is dict else kind_type.__name__.replace("str", "string")))


# -- mapping -----------------------------------------------------------------------------------

def check_mapping(mapping):
    """``mapping`` ({pools: {old: new}, networks: ..., projects: ...}) checked, with every kind."""
    mapping = mapping or {}
    unknown = sorted(set(mapping) - set(MAPPING_KINDS))
    if unknown:
        raise LxdkitError("mapping has unknown key(s) %s; it takes %s" % (", ".join(unknown), ", ".join(MAPPING_KINDS)))
    result = {}
    for kind in MAPPING_KINDS:
        names = mapping.get(kind) or {}
        if not isinstance(names, dict):
            raise LxdkitError("mapping.%s must be a mapping of old names to new names" % kind)
        for old, new in names.items():
            check_object_name("mapping.%s key" % kind, old)
            check_object_name("mapping.%s.%s" % (kind, old), new)
        result[kind] = dict(names)
    if DEFAULT_PROJECT in result["projects"] or DEFAULT_PROJECT in result["projects"].values():
        raise LxdkitError("mapping.projects cannot map the default project or map to it: every server has its own")
    return result


def apply_mapping(document, mapping):
    """The document with the mapping's names; returns ``(document, unused mapping entries)``."""
    pools, networks, projects = mapping["pools"], mapping["networks"], mapping["projects"]
    used = dict(pools=set(), networks=set(), projects=set())

    def name(kind, table, old):
        if old in table:
            used[kind].add(old)
            return table[old]
        return old

    result = copy.deepcopy(document)
    for entry in result["projects"]:
        entry["name"] = name("projects", projects, entry["name"])
    for entry in result["storage_pools"]:
        entry["name"] = name("pools", pools, entry["name"])
    for entry in result["networks"]:
        entry["name"] = name("networks", networks, entry["name"])
        if entry["config"].get("network"):  # an OVN network's uplink
            entry["config"]["network"] = name("networks", networks, entry["config"]["network"])
    for kind in ("network_acls", "networks", "profiles", "storage_volumes"):
        for entry in result[kind]:
            entry["project"] = name("projects", projects, entry["project"])
    for entry in result["storage_volumes"]:
        entry["pool"] = name("pools", pools, entry["pool"])
    for entry in result["profiles"]:
        for device in entry["devices"].values():
            if device.get("type") == "disk" and device.get("pool"):
                device["pool"] = name("pools", pools, device["pool"])
            if device.get("type") == "nic":
                for key in ("network", "parent"):
                    if device.get(key) in networks:
                        device[key] = name("networks", networks, device[key])
    unused = ["mapping.%s.%s" % (kind, old) for kind in MAPPING_KINDS for old in sorted(mapping[kind]) if old not in used[kind]]
    return result, unused


# -- restore -----------------------------------------------------------------------------------

class HostConfigRestore:
    """Plans the restore of a (mapped) document onto the server of ``client`` (a client of the
    default project) and writes it through ``reconciler``. ``mapped_targets``: for pools and
    networks, the names a mapping points to; such an object that exists on the target is used
    as it is."""

    def __init__(self, client, reconciler, document, mapped_targets):
        self.client = client
        self.reconciler = reconciler
        self.document = document
        self.mapped = mapped_targets
        self.steps = []  # (kind, key, before view, after view, write)
        self.before = dict((kind, {}) for kind in KINDS)
        self.after = dict((kind, {}) for kind in KINDS)
        self.new_projects = set()

    def plan(self):
        for kind in KINDS:
            for entry in self.document[kind]:
                getattr(self, "_plan_" + kind)(entry)
        self._check_references()
        return self

    def apply(self):
        for kind, key, before, after, write in self.steps:
            action = "%s %s %s" % ("create" if before is None else "update", LABELS[kind], key)
            self.reconciler.step(action, before, after, write)

    def diff(self):
        return dict(before=self.before, after=self.after)

    # -- one kind each -------------------------------------------------------------------------

    def _find(self, path, project=None):
        return self.client.find(path, params=None if project is None else dict(project=project))

    def _send(self, method, path, body, project=None):
        params = None if project is None else dict(project=project)
        return lambda: self.client.send(method, path, body, params=params)

    def _step(self, kind, key, before, after, create, update):
        self.before[kind][key] = before
        self.after[kind][key] = after
        if before != after:
            self.steps.append((kind, key, before, after, create if before is None else update))

    def _plan_projects(self, entry):
        name = entry["name"]
        current = project_view(self._find("projects/%s" % name))
        wanted_config = _clean(entry["config"])
        if name == DEFAULT_PROJECT:
            wanted_config = dict((key, value) for key, value in wanted_config.items() if not key.startswith("features."))
            config = desired_map((current or {}).get("config"), wanted_config, False, server_managed=DEFAULT_PROJECT_KEPT)
        else:
            config = desired_map((current or {}).get("config"), wanted_config, False)
        wanted = dict(name=name, description=entry["description"], config=config)
        if current is None:
            self.new_projects.add(name)
        self._step("projects", name, current, wanted, self._send("POST", "projects", wanted),
                   self._send("PUT", "projects/%s" % name, dict(description=wanted["description"], config=config)))

    def _plan_storage_pools(self, entry):
        name = entry["name"]
        current = self._find("storage-pools/%s" % name)
        if current is not None and name in self.mapped["pools"]:
            return  # the target's own pool, named by the mapping: used as it is
        before = storage_pool_view(current)
        if current is None:
            check_driver_available(entry["driver"], self.client.server.get("environment", {}), self.client.where)
            wanted = dict(name=name, driver=entry["driver"], description=entry["description"], config=_clean(entry["config"]))
        else:
            if current.get("driver") != entry["driver"]:
                raise LxdkitError("storage pool %s exists on %s with the %s driver and the document has it with the %s driver; "
                                  "a pool's driver cannot change: map it to another pool (mapping.pools); nothing was restored"
                                  % (name, self.client.label, current.get("driver"), entry["driver"]))
            config = desired_map(before["config"], _clean(entry["config"]), False, **STORAGE_POOL_CONFIG_RULES)
            check_create_only(name, before["driver"], current.get("status"), before["config"], config)
            wanted = dict(before, description=entry["description"], config=config)
        self._step("storage_pools", name, before, wanted, self._send("POST", "storage-pools", wanted),
                   self._send("PUT", "storage-pools/%s" % name, dict(description=wanted["description"], config=wanted["config"])))

    def _plan_network_acls(self, entry):
        name, project = entry["name"], entry["project"]
        current = acl_view(self._existing("network-acls/%s" % name, project))
        base = current or dict(name=name, config={})
        wanted = dict(name=name, description=entry["description"], ingress=entry["ingress"], egress=entry["egress"],
                      config=desired_map(base["config"], _clean(entry["config"]), False))
        body = dict((key, value) for key, value in wanted.items() if key != "name")
        self._step("network_acls", _in(project, name), current, wanted, self._send("POST", "network-acls", wanted, project),
                   self._send("PUT", "network-acls/%s" % name, body, project))

    def _plan_networks(self, entry):
        name, project = entry["name"], entry["project"]
        current = self._existing("networks/%s" % name, project)
        if current is not None and current.get("managed") is False:
            raise LxdkitError("network %s on %s is an interface of the host, not a network it manages: map the document's "
                              "network to another name (mapping.networks); nothing was restored" % (name, self.client.label))
        if current is not None and name in self.mapped["networks"]:
            return  # the target's own network, named by the mapping: used as it is
        before = network_view(current)
        if current is None:
            wanted = dict(name=name, type=entry["type"], description=entry["description"], config=_clean(entry["config"]))
        else:
            if current.get("type") != entry["type"]:
                raise LxdkitError("network %s exists on %s as a %s and the document has it as a %s; nothing can change a "
                                  "network's type: map it to another name (mapping.networks); nothing was restored"
                                  % (name, self.client.label, current.get("type"), entry["type"]))
            wanted = dict(before, description=entry["description"],
                          config=desired_map(before["config"], _clean(entry["config"]), False, **NETWORK_CONFIG_RULES))
        self._step("networks", _in(project, name), before, wanted, self._send("POST", "networks", wanted, project),
                   self._send("PUT", "networks/%s" % name, dict(description=wanted["description"], config=wanted["config"]), project))

    def _plan_profiles(self, entry):
        name, project = entry["name"], entry["project"]
        current = profile_view(self._existing("profiles/%s" % name, project))
        if current is None and name == "default" and project in self.new_projects:
            # A new project with its own profiles gets an empty default profile from LXD.
            current = dict(name=name, description="", config={}, devices={})
        base = current or dict(config={}, devices={})
        # A document exported from LXD restored on Incus (or back): the keys in the target's names.
        config = spelled_for(self.client.server_kind, _clean(entry["config"]), "profile %s config" % _in(project, name))
        wanted = dict(name=name, description=entry["description"], config=desired_map(base["config"], config, False),
                      devices=desired_map(base["devices"], entry["devices"], False))
        body = dict((key, value) for key, value in wanted.items() if key != "name")
        self._step("profiles", _in(project, name), current, wanted, self._send("POST", "profiles", wanted, project),
                   self._send("PUT", "profiles/%s" % name, body, project))

    def _plan_storage_volumes(self, entry):
        name, project, pool = entry["name"], entry["project"], entry["pool"]
        current = volume_view(self._existing("%s/%s" % (volumes_path(pool), name), project), pool)
        if current is not None and current["content_type"] != entry["content_type"]:
            raise LxdkitError("volume %s/%s exists on %s (project %s) as a %s volume and the document has it as a %s volume; "
                              "a volume's content type cannot change; nothing was restored"
                              % (pool, name, self.client.label, project, current["content_type"], entry["content_type"]))
        base = current or dict(config={})
        wanted = dict(name=name, pool=pool, description=entry["description"], content_type=entry["content_type"],
                      config=desired_map(base["config"], _clean(entry["config"]), False, **VOLUME_CONFIG_RULES))
        create = dict(name=name, type="custom", content_type=wanted["content_type"], description=wanted["description"], config=wanted["config"])
        self._step("storage_volumes", "%s/%s" % (pool, _in(project, name)), current, wanted,
                   self._send("POST", volumes_path(pool), create, project),
                   self._send("PUT", "%s/%s" % (volumes_path(pool), name), dict(description=wanted["description"], config=wanted["config"]), project))

    def _existing(self, path, project):
        """An object of ``project``; nothing exists yet in a project the restore creates."""
        if project in self.new_projects:
            return None
        return self._find(path, project)

    # -- references ----------------------------------------------------------------------------

    def _check_references(self):
        """Every pool and network the profiles and volumes name exists after the restore: on
        the target already, or restored. One error names every missing one."""
        pools = set(self.after["storage_pools"])
        networks = dict((key, True) for key in self.after["networks"])
        missing = []
        projects = set(self.after["projects"])
        for kind in ("network_acls", "networks", "profiles", "storage_volumes"):
            for entry in self.document[kind]:
                project = entry["project"]
                if project not in projects and self._find("projects/%s" % project) is None:
                    missing.append("project %s (%s %s)" % (project, LABELS[kind], entry["name"]))
                    projects.add(project)  # named once
        for entry in self.document["profiles"]:
            for device_name, device in sorted(entry["devices"].items()):
                where = "profile %s device %s" % (_in(entry["project"], entry["name"]), device_name)
                if device.get("type") == "disk" and device.get("pool") and not self._pool_exists(device["pool"], pools):
                    missing.append("storage pool %s (%s)" % (device["pool"], where))
                if device.get("type") == "nic" and device.get("network") and not self._network_exists(device["network"], entry["project"], networks):
                    missing.append("network %s (%s)" % (device["network"], where))
        for entry in self.document["storage_volumes"]:
            if not self._pool_exists(entry["pool"], pools):
                missing.append("storage pool %s (volume %s)" % (entry["pool"], _in(entry["project"], entry["name"])))
        if missing:
            raise LxdkitError("the document names objects that neither it nor %s has: %s; restore them, or map the names to the "
                              "target's (mapping); nothing was restored" % (self.client.label, "; ".join(missing)), missing=missing)

    def _pool_exists(self, name, restored):
        return name in restored or self._find("storage-pools/%s" % name) is not None

    def _network_exists(self, name, project, restored):
        network_project = project if project in self._network_projects() else DEFAULT_PROJECT
        if _in(network_project, name) in restored:
            return True
        return network_project not in self.new_projects and self._find("networks/%s" % name, network_project) is not None

    def _network_projects(self):
        return set(entry["name"] for entry in self.document["projects"] if _own(dict(entry, config=entry["config"]), "networks"))


def _in(project, name):
    """How an object of a project is named in keys and messages: NAME, or PROJECT/NAME outside the default project."""
    return name if project == DEFAULT_PROJECT else "%s/%s" % (project, name)
