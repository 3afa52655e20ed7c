#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_server
short_description: Manage an LXD server's own config
version_added: 0.1.0
description:
  - Sets the server's own config keys, as C(lxc config set) does (C(core.https_address),
    C(images.*), C(backups.*), C(core.*), ...), and returns the config with the basics of the
    server (name, version, whether it is clustered, its API extensions).
  - Without O(config) it changes nothing and only reads (to learn a server's version or its
    certificate fingerprint, for example).
  - LXD takes config values as strings; integers and booleans are converted (V(12) to V("12"),
    V(true) to V("true")). A key given as V("") or V(null) is removed (LXD then uses its default).
  - Values are compared as LXD stores them, so reruns change nothing. LXD stores nothing for a key
    set to its default (C(images.compression_algorithm=gzip)), and stores booleans as V(true) or
    V(false) however they are written (V(no), V(0), V(off)). The module knows LXD 5.0's defaults;
    when LXD stores a value otherwise than the task says (a newer LXD's default), it warns how to
    write it.
  - LXD refuses unknown keys and bad values; the task then fails with LXD's message, which names
    the key, and changes nothing. LXD 5.0 applies a server's own listen addresses and storage
    volumes before it checks the other keys, so LXD can leave such a refused request half
    applied; the module then sets those keys back, and says so.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  config:
    description:
      - Server config keys, for example C(core.https_address), C(images.auto_update_interval),
        C(images.remote_cache_expiry), C(images.compression_algorithm),
        C(backups.compression_algorithm), C(core.remote_token_expiry), C(core.proxy_http).
      - Not managed when not given. See O(merge_config) for keys that are not listed.
      - C(core.trust_password) is write-only in LXD (it shows only that one is set), so no task
        can keep it idempotent; it is refused, but for V("") which removes it. Use
        M(lxdkit.lxd.lxd_trust) with O(lxdkit.lxd.lxd_trust#module:state=token) for first contact instead.
      - LXD only - Incus has no C(core.trust_password) and refuses the key, even as V("").
    type: dict
  merge_config:
    description:
      - V(true) (default) sets the keys O(config) lists and leaves the others as they are. A
        server's config holds keys that other tools and other tasks set (its addresses, image and
        backup settings), so this is the safe default.
      - V(false) makes O(config) the whole truth; keys not listed are removed, apart from
        C(core.https_address), C(cluster.https_address) (the addresses the server listens on, and
        maybe the one this task talks through) and C(core.trust_password), which are kept unless
        O(config) lists them (as V("") to remove them).
    type: bool
    default: true
  target:
    description:
      - Cluster member whose own keys (C(core.https_address), C(storage.backups_volume),
        C(storage.images_volume), ...) to manage. A standalone server refuses it, before anything
        is sent.
    type: str
  project:
    description:
      - Ignored. The server's config lives outside any project, so this module talks to LXD in the
        V(default) project, whatever O(project) says (C(module_defaults) for the
        C(group/lxdkit.lxd.lxd) action group may set it for a whole play).
notes:
  - Check mode cannot tell an unknown key or a bad value from a good one; only LXD can, when it is
    written.
  - Changing C(core.https_address) over HTTPS at that very address moves the listener the task
    talks through; do that over the unix socket on the server.
seealso:
  - module: lxdkit.lxd.lxd_trust
  - name: LXD server configuration
    description: The server config keys of LXD.
    link: https://documentation.ubuntu.com/lxd/en/latest/server/
"""

EXAMPLES = r"""
- name: Listen on the network, and keep remote images cached for a week
  lxdkit.lxd.lxd_server:
    config:
      core.https_address: 192.0.2.10:8443
      images.remote_cache_expiry: 7
      images.auto_update_interval: 0

- name: Trust tokens expire after a day
  lxdkit.lxd.lxd_server:
    config:
      core.remote_token_expiry: 1d

- name: Remove a key (LXD's default applies again)
  lxdkit.lxd.lxd_server:
    config:
      images.remote_cache_expiry: ""

- name: These keys and no others (the listen addresses are kept unless listed)
  lxdkit.lxd.lxd_server:
    merge_config: false
    config:
      images.auto_update_interval: 0
      backups.compression_algorithm: zstd

- name: A cluster member's own address
  lxdkit.lxd.lxd_server:
    target: member2
    config:
      core.https_address: 10.0.0.12:8443

- name: Which server is it?
  lxdkit.lxd.lxd_server:
    url: https://lxd01.example.com:8443
    server_cert: files/lxd01.crt
  register: lxd01

- name: Show it
  ansible.builtin.debug:
    msg: "{{ lxd01.environment.server_name }} runs LXD {{ lxd01.environment.server_version }}"
"""

RETURN = r"""
config:
  description:
    - The server's config after the task (as it would be, in check mode). C(core.trust_password)
      shows as V(true) when a password is set.
  returned: always
  type: dict
  sample: {core.https_address: "192.0.2.10:8443", images.auto_update_interval: "0", images.remote_cache_expiry: "7"}
environment:
  description: The basics of the server.
  returned: always
  type: dict
  contains:
    server:
      description: The server software, V(lxd) or V(incus).
      type: str
    server_name:
      description: The server's name (its host name, or its member name in a cluster).
      type: str
    server_version:
      description: The server's version (LXD or Incus numbering).
      type: str
    server_clustered:
      description: Whether the server is a cluster member.
      type: bool
    api_version:
      description: The REST API version.
      type: str
    api_extensions_count:
      description: How many API extensions the server has.
      type: int
    addresses:
      description: The addresses the server listens on for HTTPS.
      type: list
      elements: str
    certificate_fingerprint:
      description: The SHA-256 fingerprint of the server's certificate.
      type: str
    driver:
      description: The instance drivers (V(lxc), V(lxc | qemu)).
      type: str
    storage:
      description: The storage drivers in use.
      type: str
    kernel_version:
      description: The server's kernel.
      type: str
  sample:
    server: lxd
    server_name: lxd01
    server_version: 5.0.2
    server_clustered: false
    api_version: "1.0"
    api_extensions_count: 318
    addresses: ["192.0.2.10:8443"]
    certificate_fingerprint: ee012873cdbbcd97f39999de66336360f6c3216ddc445b06f9d54312d936b341
    driver: lxc
    storage: dir
    kernel_version: 6.1.0-18-amd64
actions:
  description: What the task did (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: [update]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT, INCUS, LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._resources import check_target
from ansible_collections.lxdkit.lxd.plugins.module_utils._server_admin import (KEPT_SERVER_KEYS, TRUST_PASSWORD, ServerConfig, is_default, normal_config,
                                                                               normal_value)
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import server_environment, server_view


def server_config(field, config):
    """The user's config as LXD stores it: strings, booleans spelled true/false; a key given as
    "", null or its default value is one to remove (""), since LXD stores nothing for those."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise LxdkitError("%s must be a mapping of keys to values, got %s" % (field, type(config).__name__))
    config = string_map(field, dict((key, "" if value is None else value) for key, value in config.items()))
    if config.get(TRUST_PASSWORD):
        raise LxdkitError("%s.%s is write-only in LXD (it shows only that a password is set), so no task can keep it idempotent; "
                          "give it as \"\" to remove the password, and use lxd_trust with state=token for first contact (Incus has no trust "
                          "password at all)"
                          % (field, TRUST_PASSWORD))
    return dict((key, "" if is_default(key, value) else normal_value(key, value)) for key, value in config.items())


class ServerManager(LxdManager):

    def __init__(self, module, client, reconciler):
        # The server's config lives outside any project: requests go without ?project=.
        client = LxdClient.from_options(lambda option: DEFAULT_PROJECT if option == "project" else module.params.get(option))
        super().__init__(module, client, reconciler)

    def run(self):
        config = server_config("config", self.params["config"])
        if config and TRUST_PASSWORD in config and self.client.server_kind == INCUS:
            raise LxdkitError("config.%s: Incus (at %s) has no trust password, not even one to remove; leave the key out, and "
                              "use lxd_trust with state=token for first contact" % (TRUST_PASSWORD, self.client.where))
        target = self.params["target"]
        check_target(self.client, target)
        server = ServerConfig(self.client, target)
        current = server.read() if target else self.client.server
        # Compared as LXD means them: a key at its default is no key.
        before = dict(config=normal_config(server_view(current)["config"]))
        wanted = before
        if config is not None:
            after = desired_map(before["config"], dict((key, value) for key, value in config.items() if value != ""),
                                self.params["merge_config"], server_managed=KEPT_SERVER_KEYS)
            for key in [key for key, value in config.items() if value == ""]:
                after.pop(key, None)
            wanted = dict(config=after)
        self.reconciler.step("update", before, wanted, lambda: server.write(before["config"], wanted["config"]))
        if not self.reconciler.changed:
            return self.reconciler.result(config=server_view(current)["config"], environment=server_environment(current))
        if self.reconciler.check_mode:
            return self.reconciler.result(config=wanted["config"], environment=server_environment(current))
        current = server.read()
        self._warn_about_stored(wanted["config"], normal_config(server_view(current)["config"]))
        return self.reconciler.result(config=server_view(current)["config"], environment=server_environment(current))

    def _warn_about_stored(self, wanted, stored):
        """LXD stores some values otherwise than written (a newer LXD's defaults and spellings):
        such a key would change at every run. Say how to write it."""
        for key in sorted(set(wanted) | set(stored)):
            if wanted.get(key) != stored.get(key):
                self.module.warn("config.%s: LXD stores %s where the task says %s; write it as LXD stores it (or leave it out "
                                 "when it is LXD's default), or the next run changes it again"
                                 % (key, "nothing (its default)" if key not in stored else repr(stored[key]),
                                    repr(wanted[key]) if key in wanted else "nothing"))


def main():
    run_module(
        ServerManager,
        dict(
            config=dict(type="dict"),
            merge_config=dict(type="bool", default=True),
            target=dict(type="str"),
        ),
    )


if __name__ == "__main__":
    main()
