# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Invariants of the GFS retention planner on random timelines (hypothesis)."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import PERIODS, plan_prune, plan_retention

UTC = datetime.timezone.utc
START = datetime.datetime(2024, 1, 1, tzinfo=UTC)

timelines = st.lists(st.integers(min_value=0, max_value=3 * 365 * 24 * 60), min_size=0, max_size=60, unique=True).map(
    lambda minutes: [("item-%06d" % minute, START + datetime.timedelta(minutes=minute)) for minute in minutes])
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=6))
policies = st.fixed_dictionaries(dict(
    keep_last=counts, keep_hourly=counts, keep_daily=counts, keep_weekly=counts, keep_monthly=counts, keep_yearly=counts,
)).filter(lambda policy: any(policy.values()))


def expected_union(items, policy):
    """The GFS union written out the slow, obvious way."""
    ordered = sorted(items, key=lambda item: item[1], reverse=True)
    kept = set(name for name, _when in ordered[:policy.get("keep_last") or 0])
    for period, key in PERIODS:
        newest_per_period = {}
        for name, when in ordered:
            newest_per_period.setdefault(key(when), name)
        recent = sorted(newest_per_period.items(), key=lambda entry: entry[0], reverse=True)[:policy.get("keep_" + period) or 0]
        kept.update(name for _key, name in recent)
    if ordered:
        kept.add(ordered[0][0])
    return kept


@settings(max_examples=300, deadline=None)
@given(timelines, policies)
def test_kept_set_is_exactly_the_gfs_union_and_newest_survives(items, policy):
    keep, delete, reasons = plan_retention(items, policy)
    assert set(keep) == expected_union(items, policy)
    assert set(keep).isdisjoint(delete)
    assert set(keep) | set(delete) == set(name for name, _when in items)
    if items:
        newest = max(items, key=lambda item: item[1])[0]
        assert newest in keep and "newest" in reasons[newest]


@settings(max_examples=200, deadline=None)
@given(timelines, st.lists(st.sampled_from(["manual-a", "manual-b", "keep-me"]), unique=True), policies)
def test_pruning_never_touches_names_that_do_not_match(items, others, policy):
    newer = datetime.datetime(2030, 1, 1, tzinfo=UTC)
    delete, kept, untouched = plan_prune(items + [(name, newer) for name in others], policy, "item-*")
    assert set(untouched) == set(others)
    assert not set(entry["name"] for entry in delete) & set(others)
    assert len(delete) + len(kept) == len(items)
