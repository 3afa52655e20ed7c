#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_instance
short_description: Manage LXD instances (containers and virtual machines)
version_added: 0.1.0
description:
  - Creates instances from a local image (alias or fingerprint), a remote image server, or as a
    copy of another instance or snapshot; keeps their profiles, config, devices and description
    as declared; starts, stops, restarts, freezes, renames and deletes them.
  - Config keys LXD writes itself (C(volatile.*), C(image.*)) are never a change and are kept.
  - Changing config or devices of a running instance applies them at once; changes that only
    take effect at the next start (C(security.*), C(raw.*), C(limits.kernel.*), a different
    profile list, device changes of a virtual machine...) are reported with RV(needs_restart)
    and RV(restart_reasons). The instance is restarted for them only when O(restart_on_change=true).
  - Also run as M(lxdkit.lxd.lxd_container), the name community.general users know; it takes
    community.general.lxd_container's options (O(source) as a dict, O(architecture),
    O(ignore_volatile_options), O(wait_for_ipv4_addresses), O(wait_for_container)). Where their
    meaning differs (O(timeout), O(ignore_volatile_options=true) with C(volatile.*) keys,
    O(wait_for_container=false)) the task warns and says what to write instead.
  - Two timeouts, not one. O(timeout) (a connection option) is the seconds to wait for each
    answer from LXD. O(wait_timeout) is the wait for a state change (a clean stop) and for
    O(wait_for_ipv4). community.general's C(timeout) is that second one; when only O(timeout)
    is given (a value other than its default), it sets both, with a warning.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.instance
seealso:
  - module: lxdkit.lxd.lxd_profile
  - module: lxdkit.lxd.lxd_snapshot
"""

EXAMPLES = r"""
- name: A web server from a local image, started, with the web-server profile
  lxdkit.lxd.lxd_instance:
    name: web01
    source: debian-bookworm
    profiles: [default, web-server]
    config:
      boot.autostart: true
      snapshots.schedule: "@daily"
      snapshots.expiry: 2w
    devices:
      http:
        type: proxy
        listen: tcp:127.0.0.1:8080
        connect: tcp:127.0.0.1:80
    wait_for_ipv4: true
  register: web01

- name: Show its address
  ansible.builtin.debug:
    msg: "{{ web01.addresses.eth0 }}"

- name: Clone it with its snapshots (lxc copy web01 web02)
  lxdkit.lxd.lxd_instance:
    name: web02
    source_instance: web01
    state: stopped

- name: A copy of one snapshot, started
  lxdkit.lxd.lxd_instance:
    name: web-restore-test
    source_instance: web01/before-upgrade

- name: Raise the memory limit and restart so it surely applies
  lxdkit.lxd.lxd_instance:
    name: web01
    merge_config: true
    config:
      limits.memory: 4GB
    restart_on_change: true

- name: No guest API in this instance, with the same task against LXD or Incus
  lxdkit.lxd.lxd_instance:
    name: web01
    merge_config: true
    config:
      security.devlxd: false  # on Incus written as security.guestapi (either name works on both)

- name: Freeze it
  lxdkit.lxd.lxd_instance:
    name: web01
    state: frozen

- name: Rename it while it runs, allowing the restart that takes
  lxdkit.lxd.lxd_instance:
    name: web01
    new_name: web-frontend
    restart_for_rename: true

- name: A community.general.lxd_container task, only the module name changed
  lxdkit.lxd.lxd_container:
    name: mycontainer
    ignore_volatile_options: true
    state: started
    source:
      type: image
      alias: debian-bookworm
    profiles: ["default"]
    wait_for_ipv4_addresses: true
    wait_timeout: 600

- name: An empty container (no image), to fill with a root file system before its first start
  lxdkit.lxd.lxd_instance:
    name: scratch
    source:
      type: none
    state: stopped

- name: Delete it, even if it runs
  lxdkit.lxd.lxd_instance:
    name: web02
    state: absent
    force_stop: true
"""

RETURN = r"""
instance:
  description: The instance as LXD has it after the task (its planned form in check mode); null when absent.
  returned: always
  type: dict
  sample: {name: web01, status: Running, type: container, profiles: [default, web-server], config: {limits.cpu: "2"}}
addresses:
  description: Global IPv4 addresses per network interface (C(lo) left out), when the instance runs.
  returned: always
  type: dict
  sample: {eth0: [10.99.0.23]}
addresses_ipv6:
  description: Global IPv6 addresses per network interface, when the instance runs.
  returned: always
  type: dict
  sample: {eth0: []}
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: [create, start]
needs_restart:
  description:
    - True when the instance was running, changed in a way that only takes effect at the next
      start, and was not restarted (O(restart_on_change=false)).
  returned: always
  type: bool
restart_reasons:
  description: The changes behind RV(needs_restart) (V(profiles), V(config.KEY), V(devices)); empty when none.
  returned: always
  type: list
  elements: str
  sample: [config.security.nesting]
old_state:
  description:
    - The instance's status before the task (V(Running), V(Stopped), V(Frozen)), or V(absent).
    - As C(lxdkit.lxd.lxd_container), community.general.lxd_container's words - V(started),
      V(stopped), V(frozen) or V(absent) - so that playbooks testing it keep working.
  returned: always
  type: str
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._instance_manager import run_instance_module


def main():
    run_instance_module()


if __name__ == "__main__":
    main()
