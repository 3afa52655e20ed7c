# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of LxdClient (module_utils/_client.py): every lxdkit.lxd module,
    # and with PLUGINS the connection and inventory plugins, take exactly these.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - How to reach LXD. A unix socket as V(unix:/var/lib/lxd/unix.socket) (or a bare path),
        or a remote server as V(https://lxd.example.com:8443).
      - When not set, the local socket is found under E(LXD_DIR), then
        C(/var/lib/lxd/unix.socket) (Debian and Ubuntu packages), then
        C(/var/snap/lxd/common/lxd/unix.socket) (snap).
      - The E(LXD_URL) environment variable is used when this is not set.
    type: str
  snap_url:
    description:
      - Another unix socket tried after O(url); accepted so that tasks written for
        community.general's LXD modules run unchanged.
    type: str
  client_cert:
    description:
      - Client certificate (PEM) for HTTPS. Without it, C(~/.config/lxc/client.crt) is used if it exists.
      - The E(LXD_CLIENT_CERT) environment variable is used when this is not set.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Key of O(client_cert). Without it, C(~/.config/lxc/client.key) is used if it exists.
      - The E(LXD_CLIENT_KEY) environment variable is used when this is not set.
    type: path
    aliases: [key_file]
  server_cert:
    description:
      - The server's certificate (PEM). The connection is accepted when the server presents
        exactly this certificate, which suits LXD's self-signed certificates.
    type: path
  validate_certs:
    description:
      - Verify the server's certificate against the system CAs when O(server_cert) is not given.
    type: bool
    default: true
  trust_token:
    description:
      - A trust token made on the server with C(lxc config trust add). Used on first contact
        only, when the server does not trust O(client_cert) yet.
    type: str
  trust_password:
    description:
      - The server's C(core.trust_password), the older way to get trusted on first contact.
    type: str
  project:
    description:
      - The LXD project to work in. A project that does not exist is an error, not created.
    type: str
    default: default
  timeout:
    description:
      - Seconds to wait for each answer from LXD.
    type: float
    default: 30
notes:
  - The local unix socket is spoken with the Python standard library alone. An HTTPS O(url)
    needs the Python library C(pylxd) where the client runs, on the controller for the
    connection and inventory plugins; for a module, on the host that runs it (usually the
    controller, with O(url) pointing at a remote server).
requirements:
  - pylxd >= 2.3.2, for an HTTPS O(url) only
"""

    # The plugins' additions: what a module reads with env_fallback in its argument spec is
    # plugin configuration (env) here. Plugins extend DOCUMENTATION and this.
    PLUGINS = r"""
options:
  url:
    env:
      - name: LXD_URL
  client_cert:
    env:
      - name: LXD_CLIENT_CERT
  client_key:
    env:
      - name: LXD_CLIENT_KEY
"""

    # The connection plugin's host variables, one per option: ansible_lxd_<option>. The
    # inventory plugin sets them on its hosts.
    VARS = r"""
options:
  url:
    vars:
      - name: ansible_lxd_url
  snap_url:
    vars:
      - name: ansible_lxd_snap_url
  client_cert:
    vars:
      - name: ansible_lxd_client_cert
  client_key:
    vars:
      - name: ansible_lxd_client_key
  server_cert:
    vars:
      - name: ansible_lxd_server_cert
  validate_certs:
    vars:
      - name: ansible_lxd_validate_certs
  trust_token:
    vars:
      - name: ansible_lxd_trust_token
  trust_password:
    vars:
      - name: ansible_lxd_trust_password
  project:
    vars:
      - name: ansible_lxd_project
  timeout:
    vars:
      - name: ansible_lxd_timeout
"""

    # The second server of the modules that copy from one server to another
    # (module_utils/_servers.py): source_url and source_project are documented by each module.
    SOURCE = r"""
options:
  source_client_cert:
    description: Client certificate for the source server (default O(client_cert), with O(client_key)).
    type: path
  source_client_key:
    description: Key of O(source_client_cert) (default O(client_key), with O(client_cert)).
    type: path
  source_server_cert:
    description: The source server's certificate (PEM), pinned as O(server_cert) pins the server the task works on.
    type: path
  source_validate_certs:
    description: Verify the source server's certificate against the system CAs when O(source_server_cert) is not given.
    type: bool
    default: true
  source_trust_token:
    description: A trust token of the source server, for the first contact (as O(trust_token)).
    type: str
  source_trust_password:
    description: The source server's C(core.trust_password), the older way to get trusted.
    type: str
"""
