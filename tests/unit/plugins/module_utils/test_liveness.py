# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import time

import pytest

from ansible_collections.lxdkit.lxd.plugins.module_utils import _liveness
from ansible_collections.lxdkit.lxd.plugins.module_utils._liveness import process_alive, process_start


@pytest.fixture
def zombie():
    """A child that has exited and is not reaped (yet): a zombie, as under a PID 1 that does not reap."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    for _attempt in range(200):
        with open("/proc/%d/stat" % pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    yield pid
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # the test reaped it


def test_this_process_is_alive_with_and_without_its_start_time():
    pid = os.getpid()
    assert process_start(pid) > 0
    assert process_alive(pid) and process_alive(pid, process_start(pid))


def test_a_zombie_is_gone_although_kill_0_still_reaches_it(zombie):
    os.kill(zombie, 0)  # what the earlier check relied on: no error for a zombie
    assert not process_alive(zombie)
    assert not process_alive(zombie, process_start(zombie))


def test_a_reused_pid_is_not_the_process_that_wrote_the_name():
    pid = os.getpid()
    assert not process_alive(pid, process_start(pid) + 1)
    assert not process_alive(pid, process_start(pid) - 1)


def test_a_reaped_process_is_gone(zombie):
    os.waitpid(zombie, 0)
    assert not process_alive(zombie)


def test_command_names_with_spaces_and_parentheses_are_parsed(monkeypatch, tmp_path):
    stat = tmp_path / "stat"
    fields = ["S"] + ["0"] * 18 + ["4242"] + ["0"] * 30
    stat.write_text("77 (a) b (c)) " + " ".join(fields))
    real_open = open
    monkeypatch.setattr(_liveness, "open", lambda path, mode="r": real_open(str(stat), mode), raising=False)
    assert process_start(77) == 4242
    assert process_alive(77, 4242) and not process_alive(77, 4241)


def test_without_proc_the_signal_check_decides(monkeypatch):
    def no_proc(path, mode="r"):
        raise PermissionError(path)
    monkeypatch.setattr(_liveness, "open", no_proc, raising=False)
    assert process_start(os.getpid()) == 0
    assert process_alive(os.getpid(), 12345)  # the start time cannot be checked: the PID decides
    assert not process_alive(2 ** 22 + 1)
