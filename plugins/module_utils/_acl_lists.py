# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ACL rule fields that hold comma-separated lists, written the way LXD stores them.

LXD 5.0 strips the blanks around each item of these fields ("80, 443" is stored as "80,443"),
so a rule has to be compared in that form or a rerun would always see a change."""

from __future__ import annotations

LIST_FIELDS = ("source", "destination", "source_port", "destination_port")


def canonical_rule(rule):
    """A copy of a rule (string values) with the list fields written as LXD stores them."""
    result = dict(rule)
    for field in LIST_FIELDS:
        if field in result:
            result[field] = ",".join(item.strip() for item in result[field].split(","))
    return result


def canonical_rules(rules):
    return None if rules is None else [canonical_rule(rule) for rule in rules]
