# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: lxd
short_description: Run tasks in LXD instances through the LXD API
version_added: 0.1.0
description:
  - Executes commands and moves files in LXD containers through LXD's REST API, over the local
    unix socket or HTTPS with client certificates. It needs no C(lxc) binary and no CLI remote,
    so it works from AWX/Tower execution environments and against remote LXD servers.
  - Commands run with LXD's recorded output; module payloads (pipelining) and other standard
    input are pushed as a file next to the command and removed after it.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.connection.plugins
  - lxdkit.lxd.connection.vars
notes:
  - Without C(ansible_lxd_timeout), Ansible gives O(timeout) its own connection timeout, as to any
    connection plugin with a C(timeout) option (C(--timeout), E(ANSIBLE_TIMEOUT) or C(timeout) in
    C([defaults]); 10 seconds unless configured), not the default of 30 seconds that modules use.
options:
  instance:
    description:
      - The instance to run in; default the host's C(ansible_host), or its inventory name
        (for C(delegate_to), the delegated host's).
    type: str
    vars:
      - name: ansible_lxd_instance
"""

EXAMPLES = r"""
# inventory.yml
# all:
#   hosts:
#     web01:
#       ansible_connection: lxdkit.lxd.lxd
#     db:
#       ansible_connection: lxdkit.lxd.lxd
#       ansible_lxd_instance: postgres-01
#       ansible_lxd_url: https://lxd01.example.com:8443
#       ansible_lxd_client_cert: ~/.config/lxc/client.crt
#       ansible_lxd_client_key: ~/.config/lxc/client.key
#       ansible_lxd_server_cert: files/lxd01.crt
#       ansible_lxd_project: databases
#       ansible_lxd_trust_token: "{{ lxd01_trust_token }}"   # first contact only
"""

import os

from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._exec import pull, push, run
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

display = Display()


class Connection(ConnectionBase):
    """Tasks in LXD instances over the LXD API."""

    transport = "lxdkit.lxd.lxd"
    has_pipelining = True
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = None
        self._instance = None

    def _connect(self):
        if self._connected:
            return self
        self._instance = self.get_option("instance") or self._play_context.remote_addr
        # As a module builds its client: every connection option, so that both reach LXD alike.
        self._client = LxdClient.from_options(self.get_option)
        try:
            self._check_running()
        except AnsibleConnectionFailure:
            self.close()
            raise
        display.vvv("LXD %s: connected to instance %s" % (self._client.where, self._instance), host=self._instance)
        self._connected = True
        return self

    def _check_running(self):
        try:
            instance = self._client.find("instances/%s" % self._instance)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure(exc.msg)
        if instance is None:
            raise AnsibleConnectionFailure("instance %s does not exist in project %s on LXD at %s"
                                           % (self._instance, self._client.project, self._client.where))
        if instance.get("status") != "Running":
            raise AnsibleConnectionFailure("instance %s is %s: start it before running tasks in it"
                                           % (self._instance, instance.get("status")))

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        executable = self._play_context.executable or "/bin/sh"
        display.vvv("EXEC %s" % cmd, host=self._instance)
        try:
            return run(self._client, self._instance, [executable, "-c", to_text(cmd)], stdin=in_data)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("running a command in %s failed: %s" % (self._instance, exc.msg))

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._connect()
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self._instance)
        if not os.path.isfile(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % in_path)
        try:
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as stream:
                push(self._client, self._instance, out_path, stream, mode=0o600)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("copying %s to %s in %s failed: %s" % (in_path, out_path, self._instance, exc.msg))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self._instance)
        try:
            response = pull(self._client, self._instance, in_path)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("fetching %s from %s failed: %s" % (in_path, self._instance, exc.msg))
        try:
            with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as out:
                for chunk in self._client.download(in_path, CHUNK, response=response):
                    out.write(chunk)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("fetching %s from %s failed: %s" % (in_path, self._instance, exc.msg))

    def close(self):
        # The client keeps its connections to LXD open between requests: they end here.
        if self._client is not None:
            self._client.close()
            self._client = None
        super().close()
        self._connected = False
