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
  - ansible.builtin.connection_pipelining
notes:
  - Without C(ansible_lxd_timeout), Ansible gives O(timeout) its own connection timeout, as to any
    connection plugin with a C(timeout) option (C(--timeout), E(ANSIBLE_TIMEOUT) or C(timeout) in
    C([defaults]); 10 seconds unless configured), not the default of 30 seconds that modules use.
  - "From community.general.lxd: C(ansible_user) and C(remote_user) mean the same; C(ansible_lxd_host)
    names the instance (C(ansible_lxd_instance) wins when both are set); C(ansible_lxd_remote) names
    a remote of the C(lxc) client's configuration, read from E(LXD_CONF), C(~/.config/lxc) or
    C(~/snap/lxd/common/config) (its address, and its C(servercerts/REMOTE.crt) and the C(client.crt)
    and C(client.key) beside it unless given); C(lxd_become_method) does not apply, since commands
    run as the user directly, and gives a warning."
options:
  instance:
    description:
      - The instance to run in; default the host's C(ansible_host), or its inventory name
        (for C(delegate_to), the delegated host's).
    type: str
    vars:
      - name: ansible_lxd_host
      - name: ansible_lxd_instance
  remote_user:
    description:
      - The user that commands run as in the instance; V(root) unless set.
    type: str
    default: root
    vars:
      - name: ansible_user
    env:
      - name: ANSIBLE_REMOTE_USER
    ini:
      - section: defaults
        key: remote_user
    keyword:
      - name: remote_user
    version_added: 0.2.0
  remote:
    description:
      - A remote of the C(lxc) client's configuration (C(lxc remote list)), as community.general.lxd
        takes it; V(local) (the default) is the local server. Its address is the server, unless
        O(url) is given too, which is an error.
    type: str
    default: local
    vars:
      - name: ansible_lxd_remote
    version_added: 0.2.0
  lxd_become_method:
    description:
      - community.general.lxd's way to reach O(remote_user) through C(su). It does not apply here,
        where commands run as the user directly; setting it gives a warning. Use C(become) for
        privilege escalation.
    type: str
    vars:
      - name: lxd_become_method
    version_added: 0.2.0
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
#     app:
#       ansible_connection: lxdkit.lxd.lxd
#       ansible_user: deploy            # commands run as deploy, in its home directory
#       ansible_become_method: sudo     # become root from there
#       ansible_pipelining: false       # modules copied as files
#     legacy:
#       ansible_connection: lxdkit.lxd.lxd
#       ansible_lxd_remote: lab         # a remote of `lxc remote list`
#       ansible_lxd_host: legacy-01
"""

import os

import yaml
from ansible.errors import AnsibleConnectionFailure, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._exec import account, file_kind, pull, push, run
from ansible_collections.lxdkit.lxd.plugins.module_utils._workers import CHUNK

display = Display()


def lxc_config_dir():
    """Where the lxc client keeps config.yml, as lxc looks for it."""
    if os.environ.get("LXD_CONF"):
        return os.environ["LXD_CONF"]
    for candidate in ("~/.config/lxc", "~/snap/lxd/common/config"):
        path = os.path.expanduser(candidate)
        if os.path.isfile(os.path.join(path, "config.yml")):
            return path
    return os.path.expanduser("~/.config/lxc")


def remote_options(name, config_dir):
    """The connection options for a remote of the lxc client: url, and the certificates beside it."""
    config_path = os.path.join(config_dir, "config.yml")
    try:
        with open(config_path) as stream:
            remotes = (yaml.safe_load(stream) or {}).get("remotes") or {}
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleConnectionFailure("ansible_lxd_remote %s: cannot read the lxc configuration %s: %s" % (name, config_path, exc))
    remote = remotes.get(name)
    if not isinstance(remote, dict) or not remote.get("addr"):
        raise AnsibleConnectionFailure("ansible_lxd_remote %s is not a remote of %s; known: %s"
                                       % (name, config_path, ", ".join(sorted(remotes)) or "none"))
    if remote.get("protocol", "lxd") != "lxd":
        raise AnsibleConnectionFailure("ansible_lxd_remote %s is a %s image server, not an LXD server to run tasks on"
                                       % (name, remote.get("protocol")))
    address = remote["addr"]
    options = dict(url="unix:" + address[len("unix://"):] if address.startswith("unix://") else address)
    for option, path in (("server_cert", os.path.join(config_dir, "servercerts", name + ".crt")),
                         ("client_cert", os.path.join(config_dir, "client.crt")),
                         ("client_key", os.path.join(config_dir, "client.key"))):
        if os.path.isfile(path):
            options[option] = path
    return options


class Connection(ConnectionBase):
    """Tasks in LXD instances over the LXD API."""

    transport = "lxdkit.lxd.lxd"
    has_pipelining = True
    # Commands have no terminal: a become plugin that needs one is refused by Ansible up front.
    has_tty = False
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._client = None
        self._instance = None
        self._user = None  # the Account commands run as; None for root
        self._cwd = None  # the user's home, or / when it has none

    def _client_options(self):
        """The connection options, with those of ansible_lxd_remote where it names one."""
        options = {}
        remote = self.get_option("remote")
        if remote and remote != "local":
            if self.get_option("url"):
                raise AnsibleConnectionFailure("give ansible_lxd_remote (%s) or ansible_lxd_url (%s), not both"
                                               % (remote, self.get_option("url")))
            options = remote_options(remote, lxc_config_dir())
            # Certificates given explicitly win over the ones found beside the remote.
            options = dict((name, value) for name, value in options.items() if name == "url" or not self.get_option(name))
        return lambda name: options[name] if name in options else self.get_option(name)

    def _connect(self):
        if self._connected:
            return self
        if self.get_option("lxd_become_method"):
            display.warning("lxd_become_method does not apply to lxdkit.lxd.lxd: commands run as remote_user (%s) "
                            "directly, through LXD exec's user and group; use become to escalate privileges"
                            % self.get_option("remote_user"))
        self._instance = self.get_option("instance") or self._play_context.remote_addr
        # As a module builds its client: every connection option, so that both reach LXD alike.
        self._client = LxdClient.from_options(self._client_options())
        try:
            self._check_running()
            self._user = self._remote_account()
        except AnsibleConnectionFailure:
            self.close()
            raise
        display.vvv("%s: connected to instance %s as %s" % (self._client.label, self._instance, self.get_option("remote_user")),
                    host=self._instance)
        self._connected = True
        return self

    def _check_running(self):
        try:
            instance = self._client.find("instances/%s" % self._instance)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure(exc.msg)
        for text in self._client.warnings:
            display.warning(text)
        if instance is None:
            raise AnsibleConnectionFailure("instance %s does not exist in project %s on %s at %s"
                                           % (self._instance, self._client.project, self._client.server_name, self._client.where))
        if instance.get("status") != "Running":
            raise AnsibleConnectionFailure("instance %s is %s: start it before running tasks in it"
                                           % (self._instance, instance.get("status")))

    def _remote_account(self):
        """The Account of remote_user, read once per connection; None for root (LXD exec's default)."""
        name = self.get_option("remote_user") or "root"
        if name == "root":
            return None
        try:
            user = account(self._client, self._instance, name)
            if user is not None:
                self._cwd = user.home if file_kind(self._client, self._instance, user.home) == "directory" else "/"
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("reading the users of %s failed: %s" % (self._instance, exc.msg))
        if user is None:
            raise AnsibleConnectionFailure("remote_user %s (ansible_user) does not exist in instance %s (not in its /etc/passwd)"
                                           % (name, self._instance))
        return user

    def _as_user(self):
        """run()'s user and cwd arguments for the remote user."""
        if self._user is None:
            return {}
        return dict(user=self._user, cwd=self._cwd)

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        executable = self._play_context.executable or "/bin/sh"
        display.vvv("EXEC %s" % cmd, host=self._instance)
        if sudoable and self.become and self.become.expect_prompt():
            # No terminal: sudo -S and su read the password from standard input, one line.
            password = self.become.get_option("become_pass", playcontext=self._play_context) or ""
            in_data = to_bytes(password) + b"\n" + (to_bytes(in_data) if in_data is not None else b"")
        try:
            return run(self._client, self._instance, [executable, "-c", to_text(cmd)], stdin=in_data, **self._as_user())
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("running a command in %s failed: %s" % (self._instance, exc.msg))

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._connect()
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self._instance)
        if not os.path.isfile(to_bytes(in_path, errors="surrogate_or_strict")):
            raise AnsibleFileNotFound("file or module does not exist: %s" % in_path)
        owner = dict(uid=self._user.uid, gid=self._user.gid) if self._user is not None else {}
        try:
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as stream:
                push(self._client, self._instance, out_path, stream, mode=0o600, **owner)
        except LxdkitError as exc:
            raise AnsibleConnectionFailure("copying %s to %s in %s failed: %s" % (in_path, out_path, self._instance, exc.msg))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self._instance)
        try:
            if self._user is not None:
                # The API reads as root: the user gets only what the user may read.
                rc, _out, _err = run(self._client, self._instance, ["test", "-r", in_path], **self._as_user())
                if rc != 0:
                    raise AnsibleConnectionFailure("fetching %s from %s failed: %s cannot read it" % (in_path, self._instance, self._user.name))
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
        self._user = self._cwd = None
        super().close()
        self._connected = False
