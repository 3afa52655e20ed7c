#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_cluster_member
short_description: Manage the members of an LXD cluster, and issue join tokens
version_added: 0.2.0
description:
  - Run against the cluster (any member's socket or address). Manages one member by name (its
    description, failure domain, groups and config; evacuates it before maintenance and
    restores it afterwards; removes it).
  - For a name that is not a member yet, O(state=present) issues a join token (C(lxc cluster
    add NAME)) and returns it as RV(join_token); while that token is pending a rerun returns it
    again and changes nothing. Pass it to M(lxdkit.lxd.lxd_cluster) on the new server.
  - An offline member (its daemon down or unreachable) cannot be evacuated, restored or changed;
    the task fails naming it and its status; O(force=true) removes it all the same.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  name:
    description: The member's name (C(lxc cluster list)).
    type: str
    required: true
  description:
    description: Description. Not managed when not given.
    type: str
  failure_domain:
    description:
      - Failure domain (V(rack1)); LXD spreads database roles over domains. Not managed when not
        given; V(default) is LXD's default.
    type: str
  groups:
    description:
      - Cluster groups the member is in (they must exist; C(lxc cluster group create)). The whole
        list; not managed when not given. LXD keeps every member in at least one group.
    type: list
    elements: str
  roles:
    description:
      - The roles the member takes on request, the whole list of them, from V(event-hub) (it relays
        the cluster's events; LXD 5.0 needs the API extension C(event_hub)) and V(ovn-chassis) (an
        OVN chassis, API extension C(cluster_ovn_chassis)). Not managed when not given; V([]) drops both.
      - LXD assigns the database roles (C(database), C(database-leader), C(database-standby))
        itself; they are kept as they are and cannot be listed here.
    type: list
    elements: str
    choices: [event-hub, ovn-chassis]
  config:
    description:
      - Member config keys (C(scheduler.instance), C(user.*)). Not managed when not given; keys
        not listed are removed unless O(merge_config=true).
    type: dict
  merge_config:
    description: V(true) keeps config keys that O(config) does not list.
    type: bool
    default: false
  state:
    description:
      - V(present) the member exists as described (a join token for a name that is no member).
      - V(evacuated) its instances are moved to other members, or stopped, per their
        C(cluster.evacuate), and it takes no new ones (C(lxc cluster evacuate)); V(restored) it
        takes them back (C(lxc cluster restore)). Both change nothing when the member is so
        already. LXD 5.0.2's default, C(cluster.evacuate=auto), stops a container that has a
        proxy device instead of moving it (seen in this collection's tests); set
        C(cluster.evacuate=migrate) on instances that must keep serving.
      - V(absent) removes the member (C(lxc cluster remove)) and revokes pending join tokens for
        its name; LXD refuses while instances live on it, and when the cluster would lose its
        database quorum, and the task reports LXD's reason.
    type: str
    choices: [present, evacuated, restored, absent]
    default: present
  force:
    description: With O(state=absent), remove an offline member too (C(lxc cluster remove --force)).
    type: bool
    default: false
seealso:
  - module: lxdkit.lxd.lxd_cluster
  - name: LXD cluster member management
    description: Evacuation, restore and removal of members.
    link: https://documentation.ubuntu.com/lxd/stable-5.0/howto/cluster_manage/
"""

EXAMPLES = r"""
- name: A join token for node3 (a secret, hence no_log)
  lxdkit.lxd.lxd_cluster_member:
    name: node3
  register: node3
  no_log: true

- name: Node2 in rack 2
  lxdkit.lxd.lxd_cluster_member:
    name: node2
    description: Second rack
    failure_domain: rack2

- name: Node1 relays the cluster's events
  lxdkit.lxd.lxd_cluster_member:
    name: node1
    roles: [event-hub]

- name: Before maintenance, move node2's instances away
  lxdkit.lxd.lxd_cluster_member:
    name: node2
    state: evacuated

- name: After it, take them back
  lxdkit.lxd.lxd_cluster_member:
    name: node2
    state: restored

- name: Remove a member whose machine is gone
  lxdkit.lxd.lxd_cluster_member:
    name: node3
    state: absent
    force: true
"""

RETURN = r"""
member:
  description: The member as LXD has it after the task (planned in check mode); null when absent or not a member yet.
  returned: always
  type: dict
  sample: {server_name: node2, url: "https://10.0.0.2:8443", status: Online, failure_domain: rack2, groups: [default],
           roles: [event-hub, database]}
join_token:
  description:
    - The join token for a name that is not a member (O(state=present)); null otherwise and in check mode.
    - A secret for as long as it is pending; keep it out of logs (C(no_log)) when you print it.
  returned: always
  type: str
actions:
  description: What the task did (or would do in check mode).
  returned: always
  type: list
  elements: str
  sample: [evacuate]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

from ansible_collections.lxdkit.lxd.plugins.module_utils._cluster import (EVACUATED, OFFLINE, ONLINE, WRITABLE_ROLES, Cluster, join_token_string, member_roles,
                                                                          member_view)
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._names import check_object_name
from ansible_collections.lxdkit.lxd.plugins.module_utils._reconcile import desired_map
from ansible_collections.lxdkit.lxd.plugins.module_utils._values import string_map

# The state each action leaves a member in, and LXD's action.
_STATE_ACTIONS = {"evacuated": (EVACUATED, "evacuate"), "restored": (ONLINE, "restore")}


class ClusterMemberManager(LxdManager):

    def run(self):
        name, state = self.params["name"], self.params["state"]
        check_object_name("name", name)
        config = string_map("config", self.params["config"])
        cluster = Cluster(self.client)
        if not cluster.clustered():
            raise LxdkitError("the server at %s is not clustered: form a cluster first (lxd_cluster)" % self.client.where)
        current = cluster.member(name)
        if state == "absent":
            return self._absent(cluster, name, current)
        if current is None:
            if state != "present":
                raise LxdkitError("name: %r is not a member of the cluster at %s (its members: %s)"
                                  % (name, self.client.where, ", ".join(sorted(m.get("server_name") for m in cluster.members()))))
            return self._token(cluster, name)
        before = member_view(current)
        wanted = dict(before)
        for field in ("description", "failure_domain"):
            if self.params[field] is not None:
                wanted[field] = self.params[field]
        if self.params["groups"] is not None:
            wanted["groups"] = sorted(set(self.params["groups"]))
        roles = member_roles("roles", self.client, current.get("roles") or [], self.params["roles"])
        wanted["roles"] = sorted(roles)
        wanted["config"] = desired_map(before["config"], config, self.params["merge_config"])
        if wanted != before:
            self._require_online(current, "change")
            body = dict(description=wanted["description"], failure_domain=wanted["failure_domain"], groups=wanted["groups"],
                        config=wanted["config"], roles=roles)
            self.reconciler.step("update", before, wanted, lambda: cluster.update_member(name, body))
        if state in _STATE_ACTIONS:
            status, action = _STATE_ACTIONS[state]
            if current.get("status") != status:
                self._require_online(current, action, allowed=(ONLINE, EVACUATED))
                self.reconciler.step(action, wanted, dict(wanted, status=status), lambda: cluster.change_state(name, action))
                wanted = dict(wanted, status=status)
        member = cluster.member(name) if self.reconciler.changed and not self.reconciler.check_mode else dict(current, **_fields(wanted))
        return self.reconciler.result(member=member, join_token=None)

    def _require_online(self, member, what, allowed=(ONLINE, EVACUATED)):
        if member.get("status") not in allowed:
            raise LxdkitError("cluster member %s is %s (%s): LXD cannot %s it; start its daemon again, or remove it with "
                              "state=absent and force=true" % (member.get("server_name"), (member.get("status") or "unknown").lower(),
                                                               member.get("message") or "no message", what),
                              member_status=member.get("status"))

    def _token(self, cluster, name):
        pending = cluster.tokens(name)
        if pending:
            token = join_token_string(pending[-1])
        else:
            issued = {}
            self.reconciler.step("issue join token", None, dict(name=name, status="join token pending"),
                                 lambda: issued.update(operation=cluster.issue_token(name)))
            token = join_token_string(issued["operation"]) if issued else None
        self.warn_secret(token, "a cluster join token, a secret that lets a server join the cluster")
        return self.reconciler.result(member=None, join_token=token)

    def _absent(self, cluster, name, current):
        for token in cluster.tokens(name):
            self.reconciler.action("revoke join token", lambda token=token: cluster.revoke_token(token))
        if current is not None:
            if current.get("status") == OFFLINE and not self.params["force"]:
                raise LxdkitError("cluster member %s is offline (%s): LXD removes an offline member only with force=true "
                                  "(its instances and volumes are forgotten)" % (name, current.get("message") or "no message"),
                                  member_status=OFFLINE)
            self.reconciler.step("remove", member_view(current), None, lambda: cluster.remove(name, self.params["force"]))
        return self.reconciler.result(member=None, join_token=None)


def _fields(view):
    return dict(description=view["description"], failure_domain=view["failure_domain"], groups=view["groups"],
                roles=view["roles"], config=view["config"], status=view["status"])


def main():
    run_module(
        ClusterMemberManager,
        dict(
            name=dict(type="str", required=True),
            description=dict(type="str"),
            failure_domain=dict(type="str"),
            groups=dict(type="list", elements="str"),
            roles=dict(type="list", elements="str", choices=list(WRITABLE_ROLES)),
            config=dict(type="dict"),
            merge_config=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "evacuated", "restored", "absent"], default="present"),
            force=dict(type="bool", default=False),
        ),
    )


if __name__ == "__main__":
    main()
