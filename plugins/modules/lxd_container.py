#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_container
short_description: Manage LXD instances under community.general.lxd_container's name and meaning
version_added: 0.2.0
description:
  - M(lxdkit.lxd.lxd_instance) under the name community.general users know, so that their
    playbooks run with only the collection in the module name changed. Same options, same code.
  - Where community.general.lxd_container means something else, this name keeps its meaning -
    O(config) adds and changes the keys it lists and keeps the others (unless
    O(merge_config=false)), O(devices) replace the instance's devices, and RV(old_state) is
    V(started), V(stopped), V(frozen) or V(absent).
  - Options of community.general.lxd_container that mean nothing more here
    (O(wait_for_container=false), O(ignore_volatile_options=true) with C(volatile.*) keys, O(timeout)
    alone) warn and say what to write instead.
  - New playbooks should use M(lxdkit.lxd.lxd_instance).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
  - lxdkit.lxd.instance
seealso:
  - module: lxdkit.lxd.lxd_instance
  - module: community.general.lxd_container
"""

EXAMPLES = r"""
- name: A community.general.lxd_container task, only the collection changed
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
"""

RETURN = r"""
instance:
  description: The instance as LXD has it after the task (its planned form in check mode); null when absent.
  returned: always
  type: dict
addresses:
  description: Global IPv4 addresses per network interface, when the instance runs (see M(lxdkit.lxd.lxd_instance)).
  returned: always
  type: dict
actions:
  description: What the task did (or would do in check mode), in order.
  returned: always
  type: list
  elements: str
needs_restart:
  description: Whether changes wait for the next start (see M(lxdkit.lxd.lxd_instance)).
  returned: always
  type: bool
restart_reasons:
  description: Why a restart is needed, one entry per change.
  returned: always
  type: list
  elements: str
old_state:
  description: The instance's state before the task in community.general.lxd_container's words.
  returned: always
  type: str
  sample: started
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
