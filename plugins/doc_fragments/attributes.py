# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # Attributes shared by the collection's modules.
    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/lxdkit.lxd.lxd) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - lxdkit.lxd.lxd
"""

    CHECK_DIFF = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying LXD.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
"""

    INFO = r"""
options: {}
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: N/A
"""

    # new_name, for the modules that rename: the one rename rule (module_utils/_resources.py).
    RENAME = r"""
options:
  new_name:
    description:
      - Rename the object O(name) names to this name.
      - When O(name) is gone and O(new_name) exists, the rename counts as done, so a rerun changes
        nothing; when both exist, or neither, the task fails and changes nothing.
    type: str
"""
