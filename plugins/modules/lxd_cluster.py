#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_cluster
short_description: Form an LXD cluster, or join a server to one
version_added: 0.2.0
description:
  - Run against one LXD server (its unix socket, or O(url)). Without O(join_token) it enables
    clustering on that server, which becomes the first member of a new cluster (C(lxc cluster
    enable)). With O(join_token) it joins that server to the cluster that issued the token, as
    C(lxd init) does with a preseed's C(cluster_token), through the API (C(PUT /1.0/cluster)).
  - A server that is a member already is left alone when it is the member O(server_name) of the
    cluster the token names (a rerun changes nothing); a member of another cluster, or under
    another name, is an error that says so.
  - Joining wipes what the joining server had; it takes the cluster's storage pools, networks,
    profiles and images. Join servers that are new (C(lxd init) not run, or only
    C(core.https_address) set); LXD refuses a join while the server has instances.
  - Issue the token with M(lxdkit.lxd.lxd_cluster_member) (O(lxdkit.lxd.lxd_cluster_member#module:state=present)
    for a name that is not a member yet) against the cluster, then pass it here.
  - The server needs a network address the other members reach (C(core.https_address), or
    O(server_address)).
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  server_name:
    description:
      - The name of this server in the cluster (its member name). Give every member its own; LXD's
        default, the host name, is the same for all daemons of one machine.
      - A join token is issued for one name; it must be this one.
    type: str
    required: true
  join_token:
    description:
      - The join token (the base64 text C(lxc cluster add NAME) prints, or what
        M(lxdkit.lxd.lxd_cluster_member) returns as RV(lxdkit.lxd.lxd_cluster_member#module:join_token)).
        It names the cluster's addresses and the fingerprint of its certificate; the certificate
        is fetched from the first address that answers and checked against that fingerprint
        before anything is sent.
      - Without it, clustering is enabled on this server (a new cluster).
    type: str
  server_address:
    description:
      - The address (C(HOST:PORT)) the other members reach this server on. Default its
        C(core.https_address).
    type: str
  member_config:
    description:
      - This server's own values for the cluster's storage pools and networks, as LXD's join takes
        them (C(lxc query /1.0/cluster) on a member lists what they are), a list of
        C(entity) (V(storage-pool) or V(network)), C(name), C(key) and C(value). A C(dir) pool
        needs none; a C(zfs) or C(lvm) pool needs its C(source) here.
    type: list
    elements: dict
notes:
  - LXD 5.0 cannot leave a cluster from the member itself; remove a member with
    M(lxdkit.lxd.lxd_cluster_member) O(lxdkit.lxd.lxd_cluster_member#module:state=absent) against the cluster.
seealso:
  - module: lxdkit.lxd.lxd_cluster_member
  - name: How to form an LXD cluster
    description: LXD's guide.
    link: https://documentation.ubuntu.com/lxd/stable-5.0/howto/cluster_form/
"""

EXAMPLES = r"""
- name: The first member (a new cluster)
  lxdkit.lxd.lxd_cluster:
    server_name: node1
  delegate_to: node1

- name: A join token for node2, from the cluster
  lxdkit.lxd.lxd_cluster_member:
    name: node2
  delegate_to: node1
  register: node2_token

- name: Node2 joins
  lxdkit.lxd.lxd_cluster:
    server_name: node2
    join_token: "{{ node2_token.join_token }}"
  delegate_to: node2
"""

RETURN = r"""
cluster:
  description: GET /1.0/cluster of the server after the task (planned in check mode).
  returned: always
  type: dict
  sample: {enabled: true, server_name: node2, member_config: []}
members:
  description: The cluster's members as LXD lists them (empty in check mode when the server is not clustered yet).
  returned: always
  type: list
  elements: dict
  sample: [{server_name: node1, url: "https://10.0.0.1:8443", status: Online, roles: [database-leader, database]}]
actions:
  description: What the task did (or would do in check mode), V(enable) or V(join).
  returned: always
  type: list
  elements: str
  sample: [join]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._cluster import (Cluster, check_member_config, decode_join_token, fetch_certificate,
                                                                          join_token_field)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name


class ClusterManager(LxdManager):

    def run(self):
        name = self.params["server_name"]
        check_object_name("server_name", name)
        member_config = check_member_config("member_config", self.params["member_config"])
        token = decode_join_token("join_token", self.params["join_token"]) if self.params["join_token"] else None
        if token and token["server_name"] != name:
            raise LxdkitError("join_token was issued for member %r; this task's server_name is %r: issue a token for %r"
                              % (token["server_name"], name, name))
        cluster = Cluster(self.client)
        current = cluster.state()
        before = dict(enabled=bool(current.get("enabled")), server_name=current.get("server_name") or "")
        after = dict(enabled=True, server_name=name)
        if before["enabled"]:
            self._check_member(before, token)
        elif token:
            body = self._join_body(name, token, member_config)
            self.reconciler.step("join", before, dict(after, cluster_address=body["cluster_address"]), lambda: cluster.join(body))
        else:
            if member_config:
                raise LxdkitError("member_config is for a join (with join_token); a new cluster takes its pools and networks as they are")
            self._address()
            self.reconciler.step("enable", before, after, lambda: cluster.enable(name))
        if self.reconciler.check_mode and not before["enabled"]:
            return self.reconciler.result(cluster=dict(current, **after), members=[])
        return self.reconciler.result(cluster=cluster.state(), members=cluster.members())

    def _check_member(self, before, token):
        """A member already: the right name, and (with a token) the token's cluster."""
        if before["server_name"] != self.params["server_name"]:
            raise LxdkitError("server_name: the server at %s is cluster member %r already; LXD renames a member with "
                              "lxc cluster rename, not by joining again" % (self.client.where, before["server_name"]))
        fingerprint = self.client.server.get("environment", {}).get("certificate_fingerprint")
        if token and fingerprint and fingerprint != token["fingerprint"]:
            raise LxdkitError("join_token: the server at %s is a member of another cluster (its certificate %s, the token's %s); "
                              "remove it from that cluster first" % (self.client.where, fingerprint[:16], token["fingerprint"][:16]))

    def _address(self):
        address = self.params["server_address"] or self.client.server.get("config", {}).get("core.https_address")
        if not address:
            raise LxdkitError("server_address: the server at %s has no core.https_address, so other members could not reach it; "
                              "set core.https_address (lxd_server) or give server_address" % self.client.where)
        return address

    def _join_body(self, name, token, member_config):
        failures = []
        for address in token["addresses"]:
            try:
                certificate = fetch_certificate(address, token["fingerprint"], self.client.timeout)
                break
            except OSError as exc:
                failures.append("%s: %s" % (address, exc))
        else:
            raise LxdkitError("join_token: no address of the cluster answers from here (%s)" % "; ".join(failures))
        body = dict(server_name=name, enabled=True, server_address=self._address(), cluster_address=address,
                    cluster_certificate=certificate, member_config=member_config)
        body[join_token_field(self.client)] = self.params["join_token"].strip()
        return body


def main():
    run_module(
        ClusterManager,
        dict(
            server_name=dict(type="str", required=True),
            join_token=dict(type="str", no_log=True),
            server_address=dict(type="str"),
            member_config=dict(type="list", elements="dict"),
        ),
    )


if __name__ == "__main__":
    main()
