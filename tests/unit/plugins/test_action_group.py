# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module is in the action group group/lxdkit.lxd.lxd, so that module_defaults reach it:
a module left out talks to the local socket while its play means another server."""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_every_module_is_in_the_action_group():
    modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("lxd_*.py"))
    group = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["lxd"]
    assert modules and sorted(group) == modules
