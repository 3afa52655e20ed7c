#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_profile
short_description: Manage LXD profiles
version_added: 0.1.0
description:
  - Create, update, copy, rename and delete LXD profiles (config, limits and devices).
  - Option names follow community.general.lxd_profile, so its tasks run with only the module name changed.
  - LXD takes config values as strings; integers and booleans are converted (V(2) to V("2"),
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
    description: Name of the profile.
    type: str
    required: true
  description:
    description:
      - Description of the profile. Not managed when not given.
    type: str
  config:
    description:
      - Profile config keys, for example C(limits.cpu), C(limits.memory), C(security.nesting)
        or the C(snapshots.*) keys that schedule automatic snapshots.
      - Not managed when not given. See O(merge_profile) for keys that are not listed.
      - The guest API keys may be given in either server's spelling, LXD's C(security.devlxd) and
        C(security.devlxd.images) or Incus's C(security.guestapi) and C(security.guestapi.images);
        they are written in the spelling of the server the task talks to, so one task serves both.
    type: dict
  devices:
    description:
      - Devices by name; each is a mapping of properties and needs C(type)
        (V(nic), V(disk), V(proxy), V(unix-char), ...).
      - Not managed when not given. See O(merge_profile) for devices that are not listed.
    type: dict
  merge_profile:
    description:
      - V(false) (default) makes O(config) and O(devices) the whole truth; keys and devices not
        listed are removed.
      - V(true) keeps config keys and devices that are not listed; a listed device replaces the
        whole device of that name.
    type: bool
    default: false
  source:
    description:
      - Name of a profile (in the same project) to copy when this profile does not exist yet,
        as C(lxc profile copy) does. O(description), O(config) and O(devices) then apply on top
        of the copy. Ignored when the profile already exists.
    type: str
  state:
    description:
      - V(present) makes the profile exist as described; V(absent) deletes it.
      - A profile that instances or other objects use cannot be deleted; the error lists them.
    type: str
    choices: [present, absent]
    default: present
notes:
  - community.general.lxd_profile fails on O(new_name) whenever O(name) does not exist; here a rename
    that is already done is no error (see O(new_name)).
seealso:
  - module: community.general.lxd_profile
  - name: LXD profiles
    description: How LXD applies profiles to instances.
    link: https://documentation.ubuntu.com/lxd/en/latest/profiles/
"""

EXAMPLES = r"""
- name: A web server profile, as in the classic tutorials
  lxdkit.lxd.lxd_profile:
    name: web-server
    description: Web servers
    config:
      limits.cpu: 2
      limits.memory: 2GB
      boot.autostart: true
    devices:
      eth0:
        type: nic
        network: lxdbr0
        name: eth0
      root:
        type: disk
        path: /
        pool: default
      http:
        type: proxy
        listen: tcp:127.0.0.1:8080
        connect: tcp:127.0.0.1:80

- name: Daily automatic snapshots kept for two weeks, for every instance using the profile
  lxdkit.lxd.lxd_profile:
    name: snapshotted
    config:
      snapshots.schedule: "@daily"
      snapshots.pattern: auto-%d
      snapshots.expiry: 2w

- name: Copy the default profile (lxc profile copy default production), then raise its limits
  lxdkit.lxd.lxd_profile:
    name: production
    source: default
    merge_profile: true
    config:
      limits.memory: 4GB

- name: Add one key, keeping everything else the profile has
  lxdkit.lxd.lxd_profile:
    name: production
    merge_profile: true
    config:
      security.nesting: true

- name: Instances of this profile may not see the host's images, on LXD and on Incus alike
  lxdkit.lxd.lxd_profile:
    name: production
    merge_profile: true
    config:
      security.devlxd.images: false  # Incus's name, security.guestapi.images, works on both too

- name: Rename a profile
  lxdkit.lxd.lxd_profile:
    name: production
    new_name: prod

- name: Work on a remote LXD in a project, trusting this client on first contact
  lxdkit.lxd.lxd_profile:
    url: https://lxd01.example.com:8443
    client_cert: ~/.config/lxc/client.crt
    client_key: ~/.config/lxc/client.key
    server_cert: files/lxd01.crt
    trust_token: "{{ lxd01_token }}"
    project: web
    name: web-server
    config:
      limits.cpu: 2

- name: Delete a profile
  lxdkit.lxd.lxd_profile:
    name: prod
    state: absent
"""

RETURN = r"""
profile:
  description: The profile as LXD has it after the task (as it would be, in check mode); null when absent.
  returned: always
  type: dict
  sample:
    name: web-server
    description: Web servers
    config: {limits.cpu: "2", limits.memory: 2GB}
    devices: {root: {type: disk, path: /, pool: default}}
    used_by: [/1.0/instances/web01]
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create]
old_state:
  description: Whether the profile existed before the task, as community.general.lxd_profile reports it.
  returned: always
  type: str
  sample: absent
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._key_spellings import spelled_for
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import device_map, string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import profile_view


class ProfileManager(LxdManager):

    def run(self):
        name, new_name = self.params["name"], self.params["new_name"]
        for field in ("name", "new_name", "source"):
            check_object_name(field, self.params[field])
        # LXD and Incus name the guest API keys differently: either name works against both.
        config = spelled_for(self.client.server_kind, string_map("config", self.params["config"]))
        devices = device_map("devices", self.params["devices"])
        profiles = self.resources("profile", "profiles", profile_view)
        current = profiles.find(name)
        old_state = "present" if current else "absent"
        if self.params["state"] == "absent":
            profiles.delete_unused(current)
            return self.reconciler.result(profile=None, old_state=old_state)
        if new_name and new_name != name:
            current, name = profiles.rename(current, name, new_name)
            old_state = "present"
        base = profile_view(current) or self._source(profiles)
        wanted = dict(
            name=name,
            description=base.get("description", "") if self.params["description"] is None else self.params["description"],
            config=desired_map(base.get("config"), config, self.params["merge_profile"]),
            devices=desired_map(base.get("devices"), devices, self.params["merge_profile"]),
        )
        if current is None:
            profiles.create(wanted)
        else:
            profiles.update(base, wanted, dict((key, wanted[key]) for key in ("description", "config", "devices")))
        # The server's own fields (used_by; Incus adds project) as a read-back would have them.
        planned = dict(current or {}, used_by=(current or {}).get("used_by") or [], **wanted)
        return self.reconciler.result(profile=profiles.final(name, planned), old_state=old_state)

    def _source(self, profiles):
        """What a new profile starts from: the O(source) profile's copy, or nothing."""
        if not self.params["source"]:
            return {}
        source = profiles.find(self.params["source"])
        if source is None:
            raise LxdkitError("source profile %r does not exist in project %s" % (self.params["source"], self.client.project))
        return profile_view(source)


def main():
    run_module(
        ProfileManager,
        dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            config=dict(type="dict"),
            devices=dict(type="dict"),
            merge_profile=dict(type="bool", default=False),
            source=dict(type="str"),
            new_name=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
    )


if __name__ == "__main__":
    main()
