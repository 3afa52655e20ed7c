# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import (
    parse_lxd_time,
    plan_retention,
    time_from_name,
)

UTC = datetime.timezone.utc


def hourly_items(count, start=datetime.datetime(2026, 1, 1, tzinfo=UTC)):
    """One item every 6 hours, named after its time."""
    return [("s%03d" % index, start + datetime.timedelta(hours=6 * index)) for index in range(count)]


def test_keep_last_keeps_the_newest_n():
    items = hourly_items(10)
    keep, delete, reasons = plan_retention(items, dict(keep_last=3))
    assert keep == ["s009", "s008", "s007"]
    assert delete == ["s%03d" % index for index in range(6, -1, -1)]
    assert reasons["s009"] == ["last", "newest"]


def test_daily_keeps_the_newest_of_each_recent_day():
    items = hourly_items(12)  # 3 days, 4 items a day
    keep, _delete, reasons = plan_retention(items, dict(keep_daily=2))
    # Day 3 -> s011, day 2 -> s007.
    assert keep == ["s011", "s007"]
    assert reasons["s007"] == ["daily"]


def test_union_of_rules_and_periods_without_items_are_not_counted():
    start = datetime.datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
    items = [("a", start), ("b", start + datetime.timedelta(days=14)), ("c", start + datetime.timedelta(days=15))]
    keep, delete, reasons = plan_retention(items, dict(keep_last=1, keep_weekly=2))
    # Two most recent weeks holding items: week of b/c (newest: c) and week of a.
    assert keep == ["c", "a"]
    assert delete == ["b"]
    assert reasons["c"] == ["last", "weekly", "newest"]


def test_monthly_and_yearly():
    items = [("m%02d" % month, datetime.datetime(2025, month, 10, tzinfo=UTC)) for month in range(1, 13)]
    items.append(("y24", datetime.datetime(2024, 6, 1, tzinfo=UTC)))
    keep, _delete, _reasons = plan_retention(items, dict(keep_monthly=3, keep_yearly=2))
    assert keep == ["m12", "m11", "m10", "y24"]


def test_newest_is_always_kept_even_if_rules_would_pick_others():
    items = hourly_items(3)
    keep, _delete, reasons = plan_retention(items, dict(keep_yearly=1))
    assert keep == ["s002"]
    assert "newest" in reasons["s002"]


def test_empty_input():
    assert plan_retention([], dict(keep_last=2)) == ([], [], {})


@pytest.mark.parametrize("policy, message", [
    (dict(), "at least one of"),
    (dict(keep_last=0, keep_daily=0), "at least one of"),
    (dict(keep_last=-1), "keep_last must be a whole number"),
    (dict(keep_daily=True), "keep_daily must be a whole number"),
])
def test_bad_policies_are_refused(policy, message):
    with pytest.raises(LxdkitError) as info:
        plan_retention(hourly_items(2), policy)
    assert message in info.value.msg


def test_parse_lxd_time_nanoseconds_and_offsets():
    when = parse_lxd_time("2026-11-25T04:23:10.123456789Z")
    assert when == datetime.datetime(2026, 11, 25, 4, 23, 10, 123456, tzinfo=UTC)
    shifted = parse_lxd_time("2026-11-25T06:23:10+02:00")
    assert shifted == datetime.datetime(2026, 11, 25, 4, 23, 10, tzinfo=UTC)
    assert parse_lxd_time("0001-01-01T00:00:00Z") is None
    with pytest.raises(LxdkitError):
        parse_lxd_time("yesterday")


def test_time_from_name():
    assert time_from_name("auto-20261125-0400", "auto-%Y%m%d-%H%M") == datetime.datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
    assert time_from_name("manual-before-upgrade", "auto-%Y%m%d-%H%M") is None
