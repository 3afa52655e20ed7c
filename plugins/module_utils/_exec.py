# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running commands and moving files inside an instance through the LXD API (no lxc binary).

Commands run with LXD's recorded output (one POST, one wait, the two logs read and deleted),
which needs no websocket. Standard input is handed over as a file pushed beside the command.
"""

from __future__ import annotations

import posixpath
import shlex
import uuid

from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound

_SHELL_FAILURES = {"Command not found": 127, "Command not executable": 126, "Permission denied": 126}


class Account:
    """A user of the instance as its /etc/passwd has it: what LXD exec needs to run as that user."""

    def __init__(self, name, uid, gid, home, shell):
        self.name, self.uid, self.gid, self.home, self.shell = name, uid, gid, home, shell

    @property
    def environment(self):
        """What a login gives the user's processes (LXD exec would give root's HOME)."""
        return {"HOME": self.home, "USER": self.name, "LOGNAME": self.name, "SHELL": self.shell}


def account(client, instance, name):
    """The user ``name`` of ``instance`` from its /etc/passwd, read through the API (as root):
    an ``Account``, or None when there is no such user."""
    response = pull(client, instance, "/etc/passwd")
    try:
        passwd = response.content.decode("utf-8", "replace")
    finally:
        response.close()
    for line in passwd.splitlines():
        fields = line.split(":")
        if len(fields) >= 7 and fields[0] == name and fields[2].isdigit() and fields[3].isdigit():
            return Account(name, int(fields[2]), int(fields[3]), fields[5] or "/", fields[6] or "/bin/sh")
    return None


def run(client, instance, argv, stdin=None, environment=None, user=None, cwd=None):
    """Run ``argv`` in ``instance``, as root or as ``user`` (an ``Account``), in ``cwd`` when given;
    return ``(rc, stdout bytes, stderr bytes)``."""
    stdin_path = None
    if stdin is not None:
        stdin_path = "/tmp/.lxdkit-stdin-%s" % uuid.uuid4().hex
        # Owned by the user the command runs as, who reads it and removes it.
        owner = dict(uid=user.uid, gid=user.gid) if user is not None else {}
        push(client, instance, stdin_path, stdin, mode=0o600, **owner)
        command = " ".join(shlex.quote(part) for part in argv)
        # The payload file goes away whatever the command does.
        argv = ["/bin/sh", "-c", "%s < %s; rc=$?; rm -f %s; exit $rc" % (command, stdin_path, stdin_path)]
    body = {"command": list(argv), "environment": environment or {}, "wait-for-websocket": False,
            "record-output": True, "interactive": False}
    if user is not None:
        body.update(user=user.uid, group=user.gid, environment=dict(user.environment, **(environment or {})))
    if cwd is not None:
        body["cwd"] = cwd
    try:
        result = client.send("POST", "instances/%s/exec" % instance, body) or {}
    except LxdkitError as exc:
        # LXD turns exit codes 126 and 127 into failed operations; the shell's caller wants the code.
        code = _SHELL_FAILURES.get(exc.details.get("lxd_error"))
        if code is None:
            raise
        return code, b"", exc.details["lxd_error"].encode() + b"\n"
    metadata = result.get("metadata") or {}
    output = metadata.get("output") or {}
    stdout = _read_log(client, output.get("1"))
    stderr = _read_log(client, output.get("2"))
    return int(metadata.get("return", -1)), stdout, stderr


def _read_log(client, path):
    if not path:
        return b""
    relative = path.split("/1.0/", 1)[-1]
    # Raw log content, not an API document (pylxd would read JSON output as a bad API answer).
    content = client.request("GET", relative, is_api=False).content
    client.request("DELETE", relative)
    return content


def push(client, instance, path, data, mode=0o644, uid=0, gid=0):
    """Write a file in the instance from bytes or an open binary file (streamed from disk)."""
    headers = client.headers(type="file", mode="%04o" % mode, uid=uid, gid=gid, write="overwrite")
    headers["Content-Type"] = "application/octet-stream"
    client.send("POST", "instances/%s/files" % instance, params={"path": path}, data=data, headers=headers)


def file_kind(client, instance, path):
    """What ``path`` is in the instance (``file``, ``directory``, ``symlink``), or None when it does not exist."""
    try:
        response = client.request("GET", "instances/%s/files" % instance, params={"path": path}, stream=True, is_api=False)
    except LxdkitNotFound:
        return None
    response.close()
    return response.headers.get(client.header("type"), "file")


def pull(client, instance, path, hops=10):
    """Stream a file out of the instance, following symlinks: returns the response (iter_content yields its chunks)."""
    for _hop in range(hops):
        response = client.request("GET", "instances/%s/files" % instance, params={"path": path}, stream=True, is_api=False)
        kind = response.headers.get(client.header("type"), "file")
        if kind == "file":
            return response
        if kind != "symlink":
            response.close()
            raise LxdkitError("%s in %s is a %s, not a file" % (path, instance, kind))
        target = response.content.decode().strip()
        response.close()
        path = target if target.startswith("/") else posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    raise LxdkitError("%s in %s: more than %d symlinks in a row" % (path, instance, hops))
