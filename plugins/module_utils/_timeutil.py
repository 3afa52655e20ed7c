# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durations (``7d``, ``12h``, ``1w 2d``) and absolute times, as users write them and as LXD stores them."""

from __future__ import annotations

import datetime
import re

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError

UTC = datetime.timezone.utc
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)\s*(min|[smhdw])", re.IGNORECASE)


def parse_duration(field, text):
    """``7d``, ``12h``, ``30m``, ``1w 2d``, ``1d12h`` as a timedelta; units s, m/min, h, d, w."""
    if isinstance(text, int) and not isinstance(text, bool):
        raise LxdkitError("%s needs a unit, for example %dd (days) or %dh (hours)" % (field, text, text))
    cleaned = str(text).strip()
    parts = _PART.findall(cleaned)
    if not parts or _PART.sub("", cleaned).strip():
        raise LxdkitError(
            "%s %r is not a duration: write numbers with units s, m (minutes), h, d or w, "
            "for example 7d, 12h or 1w 2d" % (field, text))
    seconds = sum(int(number) * _UNITS[unit.lower()] for number, unit in parts)
    if seconds <= 0:
        raise LxdkitError("%s must be longer than zero, got %r" % (field, text))
    return datetime.timedelta(seconds=seconds)


def parse_timestamp(field, text):
    """An ISO 8601 time (``2026-12-01T00:00:00Z``, an offset, or none: UTC) as an aware datetime."""
    try:
        when = datetime.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise LxdkitError("%s %r is not an ISO 8601 time such as 2026-12-01T00:00:00Z" % (field, text))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def to_lxd_time(when):
    """RFC 3339 in UTC, as LXD writes times (seconds precision)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(UTC)
