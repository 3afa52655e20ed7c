# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared pytest setup of the unit tests."""

from __future__ import annotations

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import LOCK_DIR_ENV


@pytest.fixture(autouse=True)
def private_lock_dir(tmp_path_factory, monkeypatch):
    """Module runs take this machine's instance locks; every test gets its own lock directory, so
    tests never wait for another test, another test run, or a real playbook on the same machine."""
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path_factory.mktemp("locks")))
