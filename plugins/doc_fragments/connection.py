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
      - How to reach LXD or Incus. A unix socket as V(unix:/var/lib/lxd/unix.socket) or
        V(unix:/var/lib/incus/unix.socket) (or a bare path), or a remote server as
        V(https://lxd.example.com:8443).
      - When not set, the first local socket that exists is used, tried in this order. The one
        under E(LXD_DIR); Incus's E(INCUS_SOCKET), then the one under E(INCUS_DIR) (as the
        C(incus) client reads them); C(/var/lib/lxd/unix.socket) (LXD's Debian and Ubuntu
        packages); C(/var/snap/lxd/common/lxd/unix.socket) (LXD's snap); O(snap_url); and
        last C(/var/lib/incus/unix.socket) (Incus's packages). On a machine with both LXD and
        Incus, set O(url) to reach Incus.
      - The E(LXD_URL) environment variable is used when this is not set (and wins over the
        socket search).
      - Which server answered (LXD or Incus) is read from the server once per connection,
        never guessed from the path; messages name it.
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
      - A trust token made on the server with C(lxc config trust add) (C(incus config trust add)
        on Incus). Used on first contact over HTTPS only, when the server does not trust
        O(client_cert) yet.
      - It does not apply to a unix socket, whose user is trusted as it is; given there, it
        is ignored with a warning.
    type: str
  trust_password:
    description:
      - The server's C(core.trust_password), the older way to get trusted on first contact
        (LXD over HTTPS only).
      - Incus has no trust password; set against Incus, it is an error (use O(trust_token)).
        Given with a unix socket, it is ignored with a warning.
    type: str
  project:
    description:
      - The project to work in. A project that does not exist is an error, not created.
    type: str
    default: default
  timeout:
    description:
      - Seconds to wait for each answer from LXD.
    type: float
    default: 30
notes:
  - Incus 6.0, LXD's fork, is served by the same options and code. The few request headers
    it renamed (C(X-Incus-*) for C(X-LXD-*), for a backup imported under a new name,
    file transfers, image uploads) are named for the server that answered.
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
    description:
      - The source server's C(core.trust_password), the older way to get trusted.
      - LXD only - Incus has no trust password; set for an Incus source, it is an error (use O(source_trust_token)).
    type: str
"""
