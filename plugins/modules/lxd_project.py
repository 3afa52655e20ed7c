#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_project
short_description: Manage LXD projects
version_added: 0.1.0
description:
  - Create, update, rename and delete LXD projects (their description and config).
  - Option names and return values follow community.general.lxd_project, so its tasks run with
    only the module name changed (see the notes for the differences).
  - LXD takes config values as strings; integers and booleans are converted (V(10) to V("10"),
    V(true) to V("true")). Lists and mappings in O(config) are refused.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.attributes.rename
options:
  name:
    description:
      - Name of the project. LXD refuses C(_), quotes and V(*) in project names, and so does this
        module, before anything is sent.
    type: str
    required: true
  description:
    description:
      - Description of the project. Not managed when not given.
    type: str
  config:
    description:
      - Project config keys. C(features.*) say which objects the project keeps apart from the
        V(default) project (C(features.images), C(features.profiles),
        C(features.storage.volumes), C(features.networks)); then come C(limits.*) (C(limits.instances),
        C(limits.cpu), C(limits.memory), ...), C(restricted.*), C(images.*), C(backups.*) and
        C(user.*). LXD refuses unknown keys; the task then fails with its message.
      - Not managed when not given. See O(merge_project) for keys that are not listed.
      - C(features.*) keys that are not listed are left as they are, whatever O(merge_project)
        says. On a new project LXD sets C(features.images), C(features.profiles) and
        C(features.storage.volumes) to V(true) unless they are given; to turn one off, give it as
        V(false).
      - LXD changes C(features.*) only on an empty project (nothing but its own default profile in
        it), and never on the V(default) project. Such a change is refused before anything is
        sent, with the list of what the project holds.
    type: dict
  merge_project:
    description:
      - V(false) (default) makes O(config) the whole truth; keys not listed are removed (apart
        from C(features.*), see O(config)).
      - V(true) keeps config keys that are not listed.
    type: bool
    default: false
  state:
    description:
      - V(present) makes the project exist as described; V(absent) deletes it.
      - LXD deletes only empty projects, holding nothing but their own default profile; a
        project that holds instances, images, profiles, networks or volumes is not deleted and
        the error lists them. The V(default) project can never be deleted.
    type: str
    choices: [present, absent]
    default: present
  project:
    description:
      - Ignored. Projects are server-wide objects, so this module always talks to LXD in the
        V(default) project, whatever O(project) says.
      - This is what lets C(module_defaults) for the C(group/lxdkit.lxd.lxd) action group set
        O(project) for a whole play that also creates that project with this module.
notes:
  - LXD renames only empty projects; a rename (O(new_name)) of a project that holds anything is
    refused before anything is sent, with the list of what it holds. The V(default) project
    cannot be renamed, and no project can take the name V(default). O(new_name) goes with
    O(state=present) only.
  - The differences from community.general.lxd_project. It supports check mode and diff mode,
    converts numbers and booleans in O(config), keeps C(features.*) keys that are not listed, and
    returns the project. A rename that is already done is no error (see O(new_name)); O(new_name)
    with O(state=absent) always fails (community.general fails only when the project exists).
    RV(actions) says V(update) where community.general says V(apply_projects_configs). There is
    no C(logs) return value (community.general's log of requests at C(-vvvv)); at that
    verbosity the module warns about it.
seealso:
  - module: community.general.lxd_project
  - module: lxdkit.lxd.lxd_profile
  - name: LXD projects
    description: What projects isolate, and their config keys.
    link: https://documentation.ubuntu.com/lxd/en/latest/reference/projects/
"""

EXAMPLES = r"""
- name: A project with its own images and profiles, and limits
  lxdkit.lxd.lxd_project:
    name: web
    description: Web servers
    config:
      features.images: true
      features.profiles: true
      limits.instances: 10
      limits.memory: 16GB

- name: Its default profile (a project's own profiles start empty)
  lxdkit.lxd.lxd_profile:
    project: web
    name: default
    devices:
      root: {type: disk, path: /, pool: default}
      eth0: {type: nic, network: lxdbr0, name: eth0}

- name: Add one limit, keeping everything else the project has
  lxdkit.lxd.lxd_project:
    name: web
    merge_project: true
    config:
      limits.cpu: 8

- name: A project that shares the default project's images and profiles
  lxdkit.lxd.lxd_project:
    name: ci
    config:
      features.images: false
      features.profiles: false
      restricted: true
      restricted.containers.nesting: allow

- name: Rename a project (LXD renames only empty projects)
  lxdkit.lxd.lxd_project:
    name: ci
    new_name: ci-old

- name: Tasks in one project (module_defaults set project; lxd_project ignores it)
  module_defaults:
    group/lxdkit.lxd.lxd:
      project: web
  block:
    - name: The project itself
      lxdkit.lxd.lxd_project:
        name: web
        merge_project: true
        config:
          features.images: true

    - name: An instance in it
      lxdkit.lxd.lxd_instance:
        name: web01
        source: debian-12

- name: Delete a project (it must be empty)
  lxdkit.lxd.lxd_project:
    name: ci-old
    state: absent
"""

RETURN = r"""
project:
  description: The project as LXD has it after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
  sample:
    name: web
    description: Web servers
    config: {features.images: "true", features.profiles: "true", features.storage.volumes: "true", limits.instances: "10"}
    used_by: ["/1.0/profiles/default?project=web", "/1.0/instances/web01?project=web"]
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
old_state:
  description: Whether the project existed before the task, as community.general.lxd_project reports it.
  returned: always
  type: str
  sample: absent
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT, LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import SERVER_MANAGED_PREFIXES, desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import Resources
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import project_view

# What LXD sets on a new project unless the request says otherwise (LXD 5.0), and what a server
# with storage buckets (Incus 6.0) sets as well.
NEW_PROJECT_FEATURES = {"features.images": "true", "features.profiles": "true", "features.storage.volumes": "true"}
NEW_PROJECT_FEATURES_BY_EXTENSION = {"storage_buckets": {"features.storage.buckets": "true"}}
# Kept as they are unless listed: unset, a feature is off (not its initial value), and LXD
# changes features only on empty projects.
KEPT_PREFIXES = SERVER_MANAGED_PREFIXES + ("features.",)
# LXD's reading of a boolean config value.
TRUE_VALUES = ("true", "1", "yes", "on")


def check_project_name(field, name):
    """A project name as LXD accepts it: an object name without '_', quotes or '*'."""
    check_object_name(field, name)
    if name is not None and (set(name) & set("_'\"") or name == "*"):
        raise LxdkitError("%s %r is not a valid LXD project name: LXD refuses '_', quotes and '*' in project names" % (field, name))


def held(project):
    """What the project holds, as LXD lists it in used_by, but for its own default profile
    (LXD counts a project with nothing else as empty)."""
    return [user for user in project.get("used_by") or [] if user.split("?", 1)[0] != "/1.0/profiles/default"]


def changed_features(before, after):
    """The features.* keys whose on/off value differs between two config maps."""
    keys = set(before) | set(after)
    return sorted(key for key in keys if key.startswith("features.")
                  and (before.get(key, "").lower() in TRUE_VALUES) != (after.get(key, "").lower() in TRUE_VALUES))


class ProjectResources(Resources):
    """Projects are server-wide: messages name the server, not a project."""

    def _where(self):
        return " on %s" % self.client.label


class ProjectManager(LxdManager):

    def __init__(self, module, client, reconciler):
        # Projects live outside any project: requests go without ?project= whatever the
        # project option (from module_defaults, often) says.
        client = LxdClient.from_options(lambda option: DEFAULT_PROJECT if option == "project" else module.params.get(option))
        super().__init__(module, client, reconciler)

    def run(self):
        name, new_name, state = self.params["name"], self.params["new_name"], self.params["state"]
        for field in ("name", "new_name"):
            check_project_name(field, self.params[field])
        self._refuse_before_any_request(name, new_name, state)
        config = string_map("config", self.params["config"])
        if self.module._verbosity >= 4:
            self.module.warn("lxd_project returns no 'logs' (community.general.lxd_project's log of requests); actions and the diff say what changed")
        projects = ProjectResources(self.client, self.reconciler, "project", "projects", project_view)
        current = projects.find(name)
        old_state = "present" if current else "absent"
        if state == "absent":
            if current is not None:
                self._require_empty(current, "delete")
            projects.delete(current)
            return self.reconciler.result(project=None, old_state=old_state)
        if new_name and new_name != name:
            current, name = projects.rename(current, name, new_name, prepare=lambda project: self._require_empty(project, "rename"))
            old_state = "present"
        base = project_view(current) or {}
        description = self.params["description"]
        wanted = dict(
            name=name,
            description=base.get("description", "") if description is None else description,
            config=desired_map(base.get("config"), config, self.params["merge_project"], server_managed=KEPT_PREFIXES),
        )
        if current is None:
            body = dict(wanted)
            features = dict(NEW_PROJECT_FEATURES)
            for extension, more in NEW_PROJECT_FEATURES_BY_EXTENSION.items():
                if self.client.has_extension(extension):
                    features.update(more)
            wanted = dict(wanted, config=dict(features, **wanted["config"]))
            projects.create(wanted, body)
        else:
            self._require_features_changeable(current, base["config"], wanted["config"])
            projects.update(base, wanted, dict(description=wanted["description"], config=wanted["config"]))
        planned = dict(wanted, used_by=(current or {}).get("used_by") or [])
        return self.reconciler.result(project=projects.final(name, planned), old_state=old_state)

    @staticmethod
    def _refuse_before_any_request(name, new_name, state):
        if new_name is not None and state == "absent":
            raise LxdkitError("new_name goes with state=present; to delete project %r give name alone" % name)
        if name == DEFAULT_PROJECT and state == "absent":
            raise LxdkitError("name: the default project can never be deleted (LXD refuses)")
        if name == DEFAULT_PROJECT and new_name not in (None, DEFAULT_PROJECT):
            raise LxdkitError("new_name: the default project can never be renamed (LXD refuses)")
        if new_name == DEFAULT_PROJECT and name != DEFAULT_PROJECT:
            raise LxdkitError("new_name: no project can be renamed to 'default': the default project always exists")

    @staticmethod
    def _require_empty(project, action):
        """``project`` unchanged when LXD can ``action`` it (delete, rename): it holds nothing."""
        objects = held(project)
        if objects:
            raise LxdkitError("project %s is not empty and cannot be %sd (LXD %ss only empty projects); it holds: %s. "
                              "Remove them first (with project: %s)" % (project["name"], action, action, ", ".join(objects), project["name"]),
                              used_by=objects)
        return project

    @staticmethod
    def _require_features_changeable(project, before, after):
        features = changed_features(before, after)
        if not features:
            return
        if project["name"] == DEFAULT_PROJECT:
            raise LxdkitError("config: the features of the default project can never change (LXD refuses): leave %s out or as it is (%s)"
                              % (", ".join(features), ", ".join("%s=%s" % (key, before.get(key, "unset")) for key in features)))
        objects = held(project)
        if objects:
            raise LxdkitError("config: %s can change only on an empty project (LXD refuses otherwise); project %s holds: %s. "
                              "Remove them first, or leave %s as it is (%s)"
                              % (", ".join(features), project["name"], ", ".join(objects), ", ".join(features),
                                 ", ".join("%s=%s" % (key, before.get(key, "unset")) for key in features)),
                              used_by=objects)


def main():
    run_module(
        ProjectManager,
        dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            config=dict(type="dict"),
            merge_project=dict(type="bool", default=False),
            new_name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
    )


if __name__ == "__main__":
    main()
