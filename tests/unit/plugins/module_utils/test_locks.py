# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading

from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import LOCK_DIR_ENV, instance_lock


def _blocks(first, second):
    """True when ``second`` cannot be taken while ``first`` is held."""
    entered = threading.Event()

    def take_second():
        with second:
            entered.set()

    with first:
        thread = threading.Thread(target=take_second)
        thread.start()
        blocked = not entered.wait(0.3)
    thread.join(5)
    return blocked


def test_one_instance_takes_turns_other_instances_do_not_wait(tmp_path, monkeypatch):
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path))
    socket = "unix:/var/lib/lxd/unix.socket"
    assert _blocks(instance_lock(socket, "default", "web01"), instance_lock(socket, "default", "web01"))
    assert not _blocks(instance_lock(socket, "default", "web01"), instance_lock(socket, "default", "dns01"))
    assert not _blocks(instance_lock(socket, "default", "web01"), instance_lock(socket, "other", "web01"))
    assert not _blocks(instance_lock(socket, "default", "web01"), instance_lock("https://10.0.0.2:8443", "default", "web01"))
