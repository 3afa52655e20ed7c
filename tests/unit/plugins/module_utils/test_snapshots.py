# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time, plan_prune
from ansible_collections.lxdkit.lxd.plugins.module_utils._snapshots import glob_for_pattern
from ansible_collections.lxdkit.lxd.plugins.module_utils._timeutil import parse_duration, parse_timestamp, to_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import snapshot_view


def timed(snapshots):
    """(name, created_at) pairs, as the snapshots service hands LXD's snapshots to plan_prune."""
    return [(snapshot["name"], parse_lxd_time(snapshot["created_at"])) for snapshot in snapshots]


@pytest.mark.parametrize("pattern, glob", [
    (None, "snap*"),
    ("snap%d", "snap*"),
    ("auto-%d", "auto-*"),
    ("auto-{{ creation_date|date:'2006-01-02_15-04' }}", "auto-*"),
    ("nightly", "nightly*"),
])
def test_glob_for_lxd_snapshot_patterns(pattern, glob):
    assert glob_for_pattern(pattern) == glob


def test_snapshot_view_turns_lxd_zero_values_into_none():
    view = snapshot_view(dict(name="s", created_at="2026-11-25T05:11:43.402010112Z", expires_at="0001-01-01T00:00:00Z",
                              last_used_at="0001-01-01T00:00:00Z", stateful=False, size=-1))
    assert view == dict(name="s", created_at="2026-11-25T05:11:43.402010112Z", expires_at=None, last_used_at=None,
                        stateful=False, size=None)


def test_plan_prune_by_name_time_leaves_unparsable_names_alone():
    snapshots = [dict(name="daily-202611%02d" % day, created_at="2026-11-25T00:00:00Z") for day in range(1, 6)]
    snapshots.append(dict(name="daily-latest", created_at="2026-11-25T00:00:00Z"))
    delete, kept, untouched = plan_prune(timed(snapshots), dict(keep_last=2), "daily-*", "daily-%Y%m%d")
    assert [entry["name"] for entry in kept] == ["daily-20261105", "daily-20261104"]
    assert [entry["name"] for entry in delete] == ["daily-20261103", "daily-20261102", "daily-20261101"]
    assert untouched == ["daily-latest"]


@pytest.mark.parametrize("text, seconds", [
    ("7d", 7 * 86400), ("12h", 12 * 3600), ("30m", 1800), ("45min", 2700), ("1w 2d", 9 * 86400), ("1d12h", 36 * 3600), ("90s", 90),
])
def test_durations(text, seconds):
    assert parse_duration("expiry", text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["7", "7x", "d", "", "0d", "-1d", "1d fish"])
def test_bad_durations_name_the_field(text):
    with pytest.raises(LxdkitError) as info:
        parse_duration("expiry", text)
    assert info.value.msg.startswith("expiry")


def test_timestamps():
    when = parse_timestamp("expires_at", "2026-12-01T00:00:00Z")
    assert when == datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    assert to_lxd_time(parse_timestamp("expires_at", "2026-12-01T02:00:00+02:00")) == "2026-12-01T00:00:00Z"
    assert to_lxd_time(parse_timestamp("expires_at", "2026-12-01 00:00:00")) == "2026-12-01T00:00:00Z"
    with pytest.raises(LxdkitError) as info:
        parse_timestamp("expires_at", "next week")
    assert "expires_at 'next week'" in info.value.msg


def test_plan_prune_gfs_on_sixty_daily_names():
    first = datetime.date(2026, 9, 1)
    snapshots = [dict(name=(first + datetime.timedelta(days=offset)).strftime("daily-%Y%m%d"), created_at="2026-11-25T00:00:00Z")
                 for offset in range(60)]
    delete, kept, untouched = plan_prune(timed(snapshots), dict(keep_daily=7, keep_weekly=4, keep_monthly=2), "daily-*", "daily-%Y%m%d")
    # Newest: Friday 30 October. Weeks end Sundays 25, 18 and 11 October; September's newest is the 30th.
    assert [entry["name"] for entry in kept] == [
        "daily-20261030", "daily-20261029", "daily-20261028", "daily-20261027", "daily-20261026", "daily-20261025",
        "daily-20261024", "daily-20261018", "daily-20261011", "daily-20260930"]
    assert kept[0]["reasons"] == ["daily", "weekly", "monthly", "newest"]
    assert len(delete) == 50 and untouched == []


def test_plan_prune_by_created_at_keeps_the_newest_and_skips_other_names():
    snapshots = [
        dict(name="snap0", created_at="2026-11-25T05:11:43.402010112Z"),
        dict(name="snap1", created_at="2026-11-25T05:11:44.000000001Z"),
        dict(name="snap2", created_at="2026-11-25T05:11:45.5Z"),
        dict(name="before-upgrade", created_at="2026-11-01T00:00:00Z"),
    ]
    delete, kept, untouched = plan_prune(timed(snapshots), dict(keep_last=1), glob_for_pattern(None))
    assert [entry["name"] for entry in kept] == ["snap2"]
    assert kept[0]["reasons"] == ["last", "newest"]
    assert [entry["name"] for entry in delete] == ["snap1", "snap0"]
    assert untouched == ["before-upgrade"]
