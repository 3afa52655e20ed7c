# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot views and the choice of what pruning deletes (pure logic, no LXD calls)."""

from __future__ import annotations

import fnmatch
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time, plan_retention, time_from_name

# LXD's automatic names: snapshots.pattern is a pongo2 template ("auto-{{ creation_date|date:'2006-01-02' }}")
# or uses %d for a counter ("snap%d", the default).
_TEMPLATE_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|%d")
DEFAULT_PATTERN = "snap%d"


def glob_for_pattern(pattern):
    """The glob that matches the names LXD makes from a ``snapshots.pattern``."""
    glob = _TEMPLATE_PART.sub("*", pattern or DEFAULT_PATTERN)
    return glob if glob != pattern else glob + "*"


def snapshot_view(snapshot):
    """What a module returns for a snapshot: LXD's zero times become None, size -1 unknown."""
    size = snapshot.get("size")
    return dict(
        name=snapshot["name"],
        created_at=snapshot.get("created_at"),
        expires_at=None if parse_lxd_time(snapshot.get("expires_at")) is None else snapshot.get("expires_at"),
        last_used_at=None if parse_lxd_time(snapshot.get("last_used_at")) is None else snapshot.get("last_used_at"),
        stateful=bool(snapshot.get("stateful")),
        size=None if size is None or size < 0 else size,
    )


def plan_prune(snapshots, policy, match, name_time_format=None):
    """Decide what pruning deletes.

    ``snapshots``: LXD snapshot objects. Only names matching the ``match`` glob take part; with
    ``name_time_format`` the time comes from the name (names that do not parse are left alone),
    otherwise from LXD's ``created_at``. Returns ``(delete, kept, untouched)``: ``delete`` and
    ``kept`` are lists of ``{name, time, reasons}``, newest first; ``untouched`` lists names.
    """
    timed, untouched = [], []
    for snapshot in snapshots:
        name = snapshot["name"]
        when = None
        if fnmatch.fnmatchcase(name, match):
            when = time_from_name(name, name_time_format) if name_time_format else parse_lxd_time(snapshot.get("created_at"))
        if when is None:
            untouched.append(name)
        else:
            timed.append((name, when))
    keep, delete, reasons = plan_retention(timed, policy)
    times = dict(timed)

    def entry(name):
        return dict(name=name, time=times[name].isoformat(), reasons=reasons.get(name, []))

    return [entry(name) for name in delete], [entry(name) for name in keep], sorted(untouched)


def check_match(match):
    if not match or not isinstance(match, str):
        raise LxdkitError("match must be a non-empty glob such as 'auto-*'")
