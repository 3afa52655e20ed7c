# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The keep_* options of grandfather-father-son pruning (module_utils/_retention.py).
    DOCUMENTATION = r"""
options:
  keep_last:
    description: With O(state=pruned), keep the newest N matching items.
    type: int
  keep_hourly:
    description: With O(state=pruned), keep the newest item of each of the last N hours that have one.
    type: int
  keep_daily:
    description: With O(state=pruned), keep the newest item of each of the last N days that have one.
    type: int
  keep_weekly:
    description: With O(state=pruned), keep the newest item of each of the last N ISO weeks that have one.
    type: int
  keep_monthly:
    description: With O(state=pruned), keep the newest item of each of the last N months that have one.
    type: int
  keep_yearly:
    description: With O(state=pruned), keep the newest item of each of the last N years that have one.
    type: int
notes:
  - Pruning keeps the union of the O(keep_last) ... O(keep_yearly) rules, always keeps the newest
    matching item, and needs at least one rule above 0.
"""
