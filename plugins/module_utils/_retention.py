# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Grandfather-father-son retention, shared by snapshot and backup-file pruning.

Pure logic: given (name, time) pairs and keep counts, say what to keep and why. For each
period type, the newest item in each of the N most recent periods that hold an item is
kept; ``keep_last`` keeps the N newest; the union is kept. The newest item is always kept.
"""

from __future__ import annotations

import datetime
import fnmatch
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

# Order matters only for the reasons reported.
PERIODS = (
    ("hourly", lambda t: (t.year, t.month, t.day, t.hour)),
    ("daily", lambda t: (t.year, t.month, t.day)),
    ("weekly", lambda t: tuple(t.isocalendar())[:2]),
    ("monthly", lambda t: (t.year, t.month)),
    ("yearly", lambda t: (t.year,)),
)
KEEP_OPTIONS = ("keep_last",) + tuple("keep_" + name for name, _key in PERIODS)


def retention_argument_spec():
    """The keep_* options, for modules that prune."""
    return dict((option, dict(type="int")) for option in KEEP_OPTIONS)


def check_policy(policy):
    """Validate ``{keep_*: int or None}``; at least one rule must keep something."""
    for option in KEEP_OPTIONS:
        value = policy.get(option)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise LxdkitError("%s must be a whole number of 0 or more, got %r" % (option, value))
    if not any(policy.get(option) for option in KEEP_OPTIONS):
        raise LxdkitError("pruning needs at least one of %s above 0, so that it knows what to keep" % ", ".join(KEEP_OPTIONS))


def plan_retention(items, policy):
    """Return ``(keep, delete, reasons)``.

    ``items``: iterable of ``(name, datetime)``. ``keep`` and ``delete`` are name lists, newest
    first; ``reasons`` maps each kept name to the rules that keep it (``last``, ``daily``...).
    """
    check_policy(policy)
    ordered = sorted(items, key=lambda item: (item[1], item[0]), reverse=True)
    reasons = {}

    def keep(name, why):
        reasons.setdefault(name, []).append(why)

    for index, (name, _when) in enumerate(ordered):
        if index < (policy.get("keep_last") or 0):
            keep(name, "last")
    for period, period_key in PERIODS:
        wanted = policy.get("keep_" + period) or 0
        seen = set()
        for name, when in ordered:
            if len(seen) >= wanted:
                break
            key = period_key(when)
            if key not in seen:
                seen.add(key)
                keep(name, period)
    if ordered:
        keep(ordered[0][0], "newest")
    keep_names = [name for name, _when in ordered if name in reasons]
    delete_names = [name for name, _when in ordered if name not in reasons]
    return keep_names, delete_names, reasons


def plan_prune(items, policy, match, name_time_format=None, takes_part=None):
    """Decide what pruning deletes: the one front end for snapshots and backup files.

    ``items``: ``(name, time)`` pairs, the time an aware datetime (LXD's ``created_at``, a file's
    mtime) or None. Only names matching the ``match`` glob (and ``takes_part(name)``, when
    given) take part; with ``name_time_format`` the time comes from the name instead, and names
    that do not follow it are left alone, as are items without a time.
    Returns ``(deleted, kept, untouched)``: ``deleted`` is a list of ``{name, time}``, ``kept``
    of ``{name, time, reasons}`` (the rules that keep it), both newest first, times in ISO 8601;
    ``untouched`` is the sorted names that took no part.
    """
    timed, untouched = [], []
    for name, when in items:
        if fnmatch.fnmatchcase(name, match) and (takes_part is None or takes_part(name)):
            when = time_from_name(name, name_time_format) if name_time_format else when
        else:
            when = None
        if when is None:
            untouched.append(name)
        else:
            timed.append((name, when))
    keep, delete, reasons = plan_retention(timed, policy)
    times = dict(timed)
    deleted = [dict(name=name, time=times[name].isoformat()) for name in delete]
    kept = [dict(name=name, time=times[name].isoformat(), reasons=reasons[name]) for name in keep]
    return deleted, kept, sorted(untouched)


def check_match(match):
    if not match or not isinstance(match, str):
        raise LxdkitError("match must be a non-empty glob such as 'auto-*'")


_LXD_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$")


def parse_lxd_time(value):
    """LXD's RFC 3339 times (nanoseconds, ``Z``) as an aware datetime; None for LXD's zero time."""
    if not value or value.startswith("0001-01-01"):
        return None
    match = _LXD_TIME.match(value)
    if not match:
        raise LxdkitError("cannot read the time %r that LXD returned" % value)
    stamp, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S").replace(microsecond=micro)
    if zone == "Z":
        offset = datetime.timedelta(0)
    else:
        sign = 1 if zone[0] == "+" else -1
        offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    return when.replace(tzinfo=datetime.timezone(offset))


def time_from_name(name, time_format, field="name_time_format"):
    """Parse the time a name carries (``auto-20261125-0400`` with ``auto-%Y%m%d-%H%M``), as UTC.

    Returns None when the name does not follow the format, so such items are left alone.
    """
    try:
        when = datetime.datetime.strptime(name, time_format)
    except ValueError:
        return None
    except re.error as exc:
        raise LxdkitError("%s %r is not a valid strftime format: %s" % (field, time_format, exc))
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)
