# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, is_busy_refusal


@pytest.mark.parametrize("text", [
    'Failed creating instance snapshot record "s1": Instance is busy running a "create" operation',
    "Failed to create instance update operation: A matching non-reusable operation has now succeeded",
    'Create backup: Backup create: Snapshot "manual-1" expected but not in storage',
    "Instance snapshot record count doesn't match instance snapshot volume record count",
])
def test_refusals_while_another_operation_holds_the_instance_are_passing(text):
    assert is_busy_refusal(LxdkitError("LXD failed: " + text, lxd_error=text))
    assert is_busy_refusal(LxdkitError("LXD failed: " + text))


@pytest.mark.parametrize("text", ["Instance not found", "Not enough space", "Invalid config key 'x'"])
def test_other_failures_are_not_tried_again(text):
    assert not is_busy_refusal(LxdkitError("LXD failed: " + text, lxd_error=text))
