# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import threading

from ansible_collections.lxdkit.lxd.plugins.module_utils._locks import LOCK_DIR_ENV, instance_lock, instance_locks


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


def test_two_instances_are_locked_in_one_order_whichever_way_they_are_asked(tmp_path, monkeypatch):
    # A move there and a move back need the same two locks: asked in opposite orders they must
    # still be taken in one order, or each run holds one and waits for the other for good.
    monkeypatch.setenv(LOCK_DIR_ENV, str(tmp_path))
    here = ("unix:/var/lib/lxd/unix.socket", "default", "web01")
    there = ("https://10.0.0.2:8443", "default", "web01")
    finished = []

    def run(order):
        for _round in range(50):
            with instance_locks(order):
                pass
        finished.append(order)

    threads = [threading.Thread(target=run, args=([here, there],)), threading.Thread(target=run, args=([there, here],))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(finished) == 2
    assert _blocks(instance_locks([here, there]), instance_lock(*there))
    assert _blocks(instance_locks([there, here]), instance_lock(*here))
