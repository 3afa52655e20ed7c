# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type modules turn into fail_json."""

from __future__ import annotations


class LxdkitError(Exception):
    """A failure with a message a person can act on.

    ``details`` are extra keys returned next to ``msg`` (for example the LXD error text or
    the HTTP status), so playbooks can branch on them without parsing the message.
    """

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class LxdkitNotFound(LxdkitError):
    """The object asked for does not exist on the LXD server."""


# LXD's refusals while another operation holds the same instance (two runs working on one
# instance at once); they pass once that operation is done.
BUSY_REFUSALS = (
    "instance is busy",
    "matching non-reusable operation",
    "expected but not in storage",
    "snapshot record count doesn't match",
)
BUSY_ATTEMPTS = 6
# Seconds to wait before attempt N+1, times N.
BUSY_PAUSE = 0.25


def is_busy_refusal(error):
    """True when an LxdkitError is one of LXD's passing refusals, worth trying again."""
    text = (error.details.get("lxd_error") or error.msg or "").lower()
    return any(refusal in text for refusal in BUSY_REFUSALS)
