# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances and custom storage volumes copied from one LXD server to another through LXD's
migration API (what ``lxc copy``/``lxc move`` and ``lxc storage volume copy`` between remotes
do): the destination's creation request, the three ways the data can travel, and what a failed
transfer leaves. Both kinds speak the same protocol; ``Transfer`` is the one engine, and
``InstanceTransfer`` and ``VolumeTransfer`` say only their paths, requests and API extensions.

- push: the destination creates the instance (volume) and waits on websockets; the source daemon
  connects to them (the destination must listen on the network).
- pull: the source offers the instance (volume) on websockets; the destination daemon connects to them
  (the source must listen on the network).
- relay: both wait on websockets and this client carries the data (``_websocket``).

A copy carries ``MARKER`` in its config until it is known to be complete: LXD deletes a
half-made instance (volume) when the transfer fails, but not when the destination daemon dies during
it; a rerun recognises such a leftover by the marker and deletes it before copying again.
"""

from __future__ import annotations

import copy

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._servers import (
    cancel_operation,
    certificate,
    missing_extensions,
    network_urls,
    not_listening,
    operation_id,
    start_operation,
    unreachable,
)
from ansible_collections.lxdkit.lxd.plugins.module_utils._websocket import Relay

MARKER = "user.lxdkit.migration"
MARKER_VALUE = "incomplete"

MODES = ("push", "pull", "relay")


def is_half_made(instance):
    """True for a destination instance a transfer left unfinished (it still has the marker)."""
    return bool(instance) and MARKER in (instance.get("config") or {})


def _kept_in_copy(key, move):
    # lxc's rule (shared.InstanceIncludeWhenCopying, remote copy): a copy gets new volatile keys
    # (MAC addresses, idmaps, uuid) but keeps volatile.base_image; a move keeps them all, so the
    # instance keeps its identity. volatile.last_state.power never travels.
    if key == "volatile.last_state.power":
        return False
    if move or key == "volatile.base_image":
        return True
    return not key.startswith("volatile.")


def root_disk(devices):
    """``(name, device)`` of the local root disk device, or ``(None, None)``."""
    for name, device in sorted((devices or {}).items()):
        if device.get("type") == "disk" and device.get("path") == "/" and not device.get("source"):
            return name, device
    return None, None


def destination_body(instance, name, move, profiles=None, storage_pool=None):
    """The destination's creation request for ``instance`` (the source's object) as ``name``:
    its config (volatile keys by ``_kept_in_copy``), devices, profiles (or ``profiles``), with
    the root disk on ``storage_pool`` when given, and the marker."""
    config = dict((key, value) for key, value in (instance.get("config") or {}).items() if _kept_in_copy(key, move))
    config[MARKER] = MARKER_VALUE
    devices = copy.deepcopy(instance.get("devices") or {})
    if storage_pool:
        key, device = root_disk(devices)
        if key is None:
            devices["root"] = {"type": "disk", "path": "/", "pool": storage_pool}
        else:
            device["pool"] = storage_pool
    return dict(
        name=name,
        architecture=instance.get("architecture"),
        type=instance.get("type") or "container",
        description=instance.get("description") or "",
        config=config,
        devices=devices,
        ephemeral=bool(instance.get("ephemeral")),
        profiles=list(instance.get("profiles") or []) if profiles is None else list(profiles),
        stateful=False,
    )


class Transfer:
    """One object's data from ``source`` to ``destination`` (two ``LxdClient``), by ``mode``:
    the engine both kinds share. A subclass says what differs: ``kind`` (for messages), the
    source object's path and the destination's collection (``_source_path``, ``collection``),
    the request that offers the object at the source (``_source_request``), the source part of
    the destination's creation request (``_creation_source``) and the API extensions needed
    (``_extensions``)."""

    kind = "object"

    def __init__(self, source, destination, mode, refresh=False):
        if mode not in MODES:
            raise LxdkitError("mode must be one of %s, not %r" % (", ".join(MODES), mode))
        self.source = source
        self.destination = destination
        self.mode = mode
        self.refresh = refresh

    # -- what a kind says ----------------------------------------------------------------------

    collection = None

    def _source_path(self, source_name):
        raise NotImplementedError

    def _source_request(self, source_name):
        raise NotImplementedError

    def _creation_source(self, body, mode):
        raise NotImplementedError

    def _extensions(self):
        """``(needed on both servers, needed also at the source for push)``."""
        raise NotImplementedError

    def _creation(self, body, mode, **extra):
        source = self._creation_source(body, mode)
        source.update(extra)
        return dict(body, source=source)

    # -- before anything changes ---------------------------------------------------------------

    def check(self):
        """Refuse, before any request that changes something, what cannot work: a daemon that
        must be reached but does not listen on the network, a missing API extension."""
        if self.mode == "push" and not network_urls(self.destination):
            raise LxdkitError(
                "mode=push: the destination %s %s, so the source daemon cannot push to it. Use mode=pull%s, or "
                "mode=relay (this host carries the data)"
                % (self.destination.label, not_listening(self.destination), self._listening(self.source, "source")))
        if self.mode == "pull" and not network_urls(self.source):
            raise LxdkitError(
                "mode=pull: the source %s %s, so the destination daemon cannot pull from it. Use mode=push%s, or "
                "mode=relay (this host carries the data)"
                % (self.source.label, not_listening(self.source), self._listening(self.destination, "destination")))
        needed, push_target = self._extensions()
        for client, side, extra in ((self.source, "source", push_target if self.mode == "push" else []),
                                    (self.destination, "destination", [])):
            missing = missing_extensions(client, needed + extra)
            if missing:
                raise LxdkitError("the %s %s lacks the API extension(s) %s needed here" % (side, client.label, ", ".join(missing)))
        # Both certificates are needed by the other daemon; a client that is not trusted gets none.
        if self.mode == "push":
            certificate(self.destination)
        elif self.mode == "pull":
            certificate(self.source)

    @staticmethod
    def _listening(client, side):
        urls = network_urls(client)
        return " (the %s listens on %s)" % (side, ", ".join(urls)) if urls else ""

    # -- the transfer --------------------------------------------------------------------------

    def run(self, source_name, body):
        """Copy ``source_name`` (the source's instance or volume) to the destination as ``body``
        says (its creation request). Returns when both daemons report the transfer done; raises an error that
        names each side's failure otherwise."""
        getattr(self, "_" + self.mode)(source_name, body)

    def _push(self, source_name, body):
        operation, secrets = start_operation(self.destination, "POST", self.collection, self._creation(body, "push"))
        request = self._source_request(source_name)
        source_error = None
        for url in network_urls(self.destination):
            request["target"] = dict(operation="%s/1.0/operations/%s" % (url, operation_id(operation)), secrets=secrets,
                                     certificate=certificate(self.destination))
            try:
                self.source.send("POST", self._source_path(source_name), request)
                source_error = None
                break
            except LxdkitError as exc:
                source_error = exc
                if not unreachable(exc):
                    break
        # The destination's operation ends either way (LXD gives up waiting for the source
        # after 10 s and deletes what it made); waiting for it leaves nothing running.
        destination_error = self._wait(self.destination, operation)
        self._raise(source_name, source_error, destination_error)

    def _pull(self, source_name, body):
        operation, secrets = start_operation(self.source, "POST", self._source_path(source_name), self._source_request(source_name))
        destination_error = None
        for url in network_urls(self.source):
            creation = self._creation(body, "pull", operation="%s/1.0/operations/%s" % (url, operation_id(operation)),
                                      certificate=certificate(self.source), secrets=secrets)
            try:
                self.destination.send("POST", self.collection, creation)
                destination_error = None
                break
            except LxdkitError as exc:
                destination_error = exc
                if not unreachable(exc):
                    break
        if destination_error is not None:
            # The source waits for a destination that will not come: ended, its "Cancelled" is no news.
            cancel_operation(self.source, operation)
        source_error = self._wait(self.source, operation)
        self._raise(source_name, None if destination_error and self._cancelled(source_error) else source_error, destination_error)

    def _relay(self, source_name, body):
        source_operation, source_secrets = start_operation(self.source, "POST", self._source_path(source_name), self._source_request(source_name))
        try:
            operation, secrets = start_operation(self.destination, "POST", self.collection, self._creation(body, "push"))
        except LxdkitError:
            cancel_operation(self.source, source_operation)
            raise
        relay = Relay()
        try:
            relay.start(self.source, operation_id(source_operation), source_secrets,
                        self.destination, operation_id(operation), secrets)
        except LxdkitError as exc:
            cancel_operation(self.source, source_operation)
            self._wait(self.source, source_operation)
            self._wait(self.destination, operation)
            self._raise(source_name, None, exc)
        try:
            destination_error = self._wait(self.destination, operation)
            if destination_error is not None:
                cancel_operation(self.source, source_operation)
            source_error = self._wait(self.source, source_operation)
        finally:
            relay.close()
        self._raise(source_name, None if destination_error and self._cancelled(source_error) else source_error, destination_error)

    @staticmethod
    def _cancelled(error):
        return error is not None and (error.details.get("lxd_error") or "").strip().lower() in ("cancelled", "canceled")

    @staticmethod
    def _wait(client, operation):
        """Wait for ``operation``; return its failure (an LxdkitError) or None."""
        try:
            client.wait(operation, "the transfer")
        except LxdkitError as exc:
            return exc
        return None

    def _raise(self, source_name, source_error, destination_error):
        if source_error is None and destination_error is None:
            return
        parts = []
        for side, client, error in (("source", self.source, source_error), ("destination", self.destination, destination_error)):
            if error is not None:
                parts.append("%s (%s): %s" % (side, client.where, error.msg))
        details = dict(source_error=source_error and source_error.msg, destination_error=destination_error and destination_error.msg)
        what = "refresh" if self.refresh else "copy"
        raise LxdkitError("%s of %s %s (mode=%s) failed; %s" % (what, self.kind, source_name, self.mode, "; ".join(parts)), **details)


class InstanceTransfer(Transfer):
    """An instance (``lxc copy``/``lxc move`` between remotes)."""

    kind = "instance"
    collection = "instances"

    def __init__(self, source, destination, mode, instance_only=False, refresh=False):
        super().__init__(source, destination, mode, refresh)
        self.instance_only = instance_only

    def _source_path(self, source_name):
        return "instances/%s" % source_name

    def _source_request(self, source_name):
        # live must be sent: LXD 5.0 takes a missing "live" as true (a CRIU live migration).
        return dict(migration=True, live=False, instance_only=self.instance_only, container_only=self.instance_only)

    def _creation_source(self, body, mode):
        source = dict(type="migration", mode=mode, instance_only=self.instance_only, container_only=self.instance_only,
                      refresh=self.refresh)
        base_image = (body.get("config") or {}).get("volatile.base_image")
        if base_image:
            source["base-image"] = base_image
        return source

    def _extensions(self):
        needed = []
        if self.instance_only:
            needed.append("container_only_migration")
        if self.refresh:
            needed.append("container_incremental_copy")
        if self.mode in ("push", "relay"):
            needed.append("container_push")
        return needed, ["container_push_target"]


class VolumeTransfer(Transfer):
    """A custom storage volume (``lxc storage volume copy`` between remotes): offered by
    ``POST storage-pools/SOURCE_POOL/volumes/custom/NAME`` (``migration``, with a ``target``
    in push mode), created by ``POST storage-pools/POOL/volumes/custom`` (source type
    ``migration``), as lxc's ``CopyStoragePoolVolume`` does."""

    kind = "volume"

    def __init__(self, source, destination, mode, source_pool, pool, volume_only=False, refresh=False):
        super().__init__(source, destination, mode, refresh)
        self.source_pool = source_pool
        self.collection = "storage-pools/%s/volumes/custom" % pool
        self.volume_only = volume_only

    def _source_path(self, source_name):
        return "storage-pools/%s/volumes/custom/%s" % (self.source_pool, source_name)

    def _source_request(self, source_name):
        # LXD wants the name (and takes the pool) even for a migration, as lxc sends them.
        return dict(migration=True, name=source_name, pool=self.source_pool, volume_only=self.volume_only)

    def _creation_source(self, body, mode):
        return dict(type="migration", mode=mode, volume_only=self.volume_only, refresh=self.refresh)

    def _extensions(self):
        needed = ["storage_api_remote_volume_handling"]
        if not self.volume_only:
            needed.append("storage_api_remote_volume_snapshots")
        if self.refresh:
            needed.append("custom_volume_refresh")
        return needed, []
