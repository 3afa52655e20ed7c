# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._key_spellings import INSTANCE_KEYS, foreign_keys, spelled_for


def test_lxd_keys_are_written_in_incus_names_for_incus_and_back():
    lxd = {"security.devlxd": "false", "security.devlxd.images": "true", "limits.cpu": "2"}
    incus = spelled_for("incus", lxd)
    assert incus == {"security.guestapi": "false", "security.guestapi.images": "true", "limits.cpu": "2"}
    assert spelled_for("lxd", incus) == lxd
    assert lxd == {"security.devlxd": "false", "security.devlxd.images": "true", "limits.cpu": "2"}  # the input is left alone


def test_a_config_already_in_the_servers_spelling_is_returned_as_it_is():
    config = {"security.guestapi": "false", "user.x": "y"}
    assert spelled_for("incus", config) is config
    assert spelled_for("lxd", {}) == {} and spelled_for("lxd", None) is None
    assert foreign_keys("incus", config) == [] and foreign_keys("lxd", config) == ["security.guestapi"]


def test_both_spellings_with_one_value_are_one_key():
    assert spelled_for("incus", {"security.devlxd": "false", "security.guestapi": False}) == {"security.guestapi": False}


def test_both_spellings_with_different_values_name_both():
    with pytest.raises(LxdkitError) as error:
        spelled_for("incus", {"security.devlxd": "false", "security.guestapi": "true"}, "profile web config")
    message = str(error.value)
    assert "profile web config" in message and "security.devlxd" in message and "security.guestapi" in message


def test_every_rename_goes_both_ways():
    for lxd_key, incus_key in INSTANCE_KEYS.items():
        assert spelled_for("incus", {lxd_key: "1"}) == {incus_key: "1"}
        assert spelled_for("lxd", {incus_key: "1"}) == {lxd_key: "1"}
