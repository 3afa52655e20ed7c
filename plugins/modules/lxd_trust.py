#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: lxdkit contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: lxd_trust
short_description: Manage the certificates an LXD server trusts, and its trust tokens
version_added: 0.1.0
description:
  - Adds client certificates to the server's trust store, changes their name and project
    restrictions, and removes them (C(lxc config trust add/edit/remove)).
  - Issues trust tokens for new clients and revokes pending ones (C(lxc config trust add
    --name), C(lxc config trust revoke-token)). A client then gets trusted on first contact with
    the token, through the O(trust_token) option of any module of this collection, or with
    C(lxc remote add).
  - A certificate is known by its fingerprint (the SHA-256 of the certificate, as
    C(lxc config trust list) shows it); O(state=present) is idempotent by fingerprint and changes
    an existing certificate's name, restriction and projects in place.
author:
  - lxdkit maintainers (@lxdkit)
extends_documentation_fragment:
  - lxdkit.lxd.connection
  - lxdkit.lxd.attributes
  - lxdkit.lxd.attributes.check_diff
options:
  state:
    description:
      - V(present) makes the certificate trusted as described; V(absent) removes it.
      - V(token) makes sure client O(name) can get in. When a pending token for O(name) has the
        same restriction and projects, that token is returned again and nothing changes; when no
        such token is pending, a new one is issued (and pending tokens of O(name) with other
        restrictions, or expired ones, are revoked). When a certificate named O(name) is trusted
        already, the client got in; then no token is issued, RV(token) is null and
        RV(certificate) shows it.
      - V(token_revoked) revokes every pending token issued for O(name).
    type: str
    choices: [present, absent, token, token_revoked]
    default: present
  name:
    description:
      - The certificate's name, or the client name a token is for (the trusted certificate gets it).
      - Needed to add a certificate, and for O(state=token) and O(state=token_revoked).
      - When O(certificate), O(certificate_path) and O(fingerprint) are all left out, O(name) says
        which certificate O(state=present) changes or O(state=absent) removes. LXD does not keep
        names unique; when several certificates have O(name), the task fails and lists their
        fingerprints.
    type: str
  certificate:
    description:
      - The client certificate, PEM (C(-----BEGIN CERTIFICATE-----)), as content. Never a key; a
        private key is refused.
      - Needed to add a certificate; says which certificate O(state=present) changes or
        O(state=absent) removes.
    type: str
  certificate_path:
    description:
      - The client certificate as a PEM file on the host that runs the module. See O(certificate).
    type: path
  fingerprint:
    description:
      - Which trusted certificate O(state=present) changes or O(state=absent) removes, by its
        fingerprint, or the start of it (C(lxc config trust list) shows 12 hex digits). A start
        that fits several certificates is refused.
    type: str
  type:
    description:
      - V(client) (full API access, or restricted to projects) or V(metrics) (the C(/1.0/metrics)
        endpoint only). A new certificate is a V(client) unless this says otherwise.
      - LXD cannot change a certificate's type; a different O(type) for a trusted certificate is
        refused, before anything is sent. LXD issues tokens for V(client) certificates only.
    type: str
    choices: [client, metrics]
  restricted:
    description:
      - V(true) confines the client to O(projects); V(false) lets it into every project. Not
        managed when not given (a new certificate or token is unrestricted).
    type: bool
  projects:
    description:
      - The projects a restricted client may use. Not managed when not given (a new certificate
        or token has none). Every project must exist; missing ones are named, before anything is
        sent.
      - Only with O(restricted=true) (given here, or the certificate's); an unrestricted client
        may use every project, so O(projects) would not restrict it.
    type: list
    elements: str
  project:
    description:
      - Ignored. The trust store lives outside any project, so this module talks to LXD in the
        V(default) project, whatever O(project) says.
notes:
  - The token is a secret that lets any client in. Ansible cannot hide one return value, so set
    C(no_log) on a task with O(state=token) (the registered result still holds the token); the
    module warns when the task does not.
  - LXD keeps pending tokens in memory (as operations); a restart of the daemon drops them, and
    C(core.remote_token_expiry) (see M(lxdkit.lxd.lxd_server)) makes them expire.
  - A new certificate for a client is a new fingerprint, so O(state=present) adds it next to the
    old one; remove the old one by O(fingerprint).
seealso:
  - module: lxdkit.lxd.lxd_server
  - name: Remote API authentication
    description: How LXD trusts clients, and what restricted clients may do.
    link: https://documentation.ubuntu.com/lxd/en/latest/authentication/
"""

EXAMPLES = r"""
- name: On the LXD host, a token for the controller (a secret, hence no_log)
  lxdkit.lxd.lxd_trust:
    state: token
    name: controller
  register: controller_token
  no_log: true

- name: On the controller, first contact over HTTPS with that token; later tasks need none
  lxdkit.lxd.lxd_profile:
    url: https://lxd01.example.com:8443
    client_cert: ~/.config/lxc/client.crt
    client_key: ~/.config/lxc/client.key
    server_cert: files/lxd01.crt
    trust_token: "{{ controller_token.token }}"
    name: web
    config:
      limits.cpu: 2
  delegate_to: localhost

- name: Trust a CI runner's certificate in project ci only
  lxdkit.lxd.lxd_trust:
    name: ci-runner
    certificate_path: files/ci-runner.crt
    restricted: true
    projects: [ci]

- name: A Prometheus scraper, for the metrics endpoint only
  lxdkit.lxd.lxd_trust:
    name: prometheus
    type: metrics
    certificate: "{{ lookup('ansible.builtin.file', 'files/prometheus.crt') }}"

- name: Let the CI runner into project ci-next as well
  lxdkit.lxd.lxd_trust:
    name: ci-runner
    projects: [ci, ci-next]

- name: Revoke tokens nobody used
  lxdkit.lxd.lxd_trust:
    state: token_revoked
    name: controller

- name: Remove a certificate by the fingerprint lxc config trust list shows
  lxdkit.lxd.lxd_trust:
    state: absent
    fingerprint: 7a03e161e59e
"""

RETURN = r"""
certificate:
  description:
    - The certificate after the task (as it would be, in check mode); null when absent.
    - With O(state=token) and O(state=token_revoked), the trusted certificate named O(name), if there is one.
  returned: always
  type: dict
  sample: {fingerprint: 7a03e161e59ecf0728c390f72e78977c7d9ec9d6ec58d1b65c0c2137cf018816, name: ci-runner, type: client,
           restricted: true, projects: [ci]}
token:
  description:
    - The trust token for client O(name), as C(lxc config trust add) prints it (it carries the
      server's addresses and certificate fingerprint, and the secret). A secret, see the notes.
    - Null when a certificate named O(name) is trusted already, and in check mode when a new one
      would be issued.
  returned: when O(state=token)
  type: str
tokens:
  description: The tokens pending for O(name) after the task, without their secrets.
  returned: when O(state=token) or O(state=token_revoked)
  type: list
  elements: dict
  sample:
    - name: controller
      type: client
      restricted: false
      projects: []
      addresses: ["192.0.2.10:8443"]
      expires_at: null
      created_at: "2026-12-02T15:13:13.24501428Z"
      operation: 849ee950-fa9e-4953-aeb7-4b5a52ed27bf
actions:
  description: What the task did (or would do in check mode), in order (V(create), V(update), V(delete), V(revoke_token), V(token)).
  returned: always
  type: list
  elements: str
  sample: [token]
server:
  description: Which server the task talked to (also when it failed there) - C(kind) V(lxd) or V(incus), its C(version), the C(url) it was reached at.
  returned: when the task reached a server
  type: dict
  sample: {kind: incus, version: 6.0.4, url: "unix:/var/lib/incus/unix.socket"}
"""

import datetime

from ansible_collections.lxdkit.lxd.plugins.module_utils._client import DEFAULT_PROJECT, LxdClient
from ansible_collections.lxdkit.lxd.plugins.module_utils._errors import LxdkitError, LxdkitNotFound
from ansible_collections.lxdkit.lxd.plugins.module_utils._module import LxdManager, run_module
from ansible_collections.lxdkit.lxd.plugins.module_utils._retention import parse_lxd_time
from ansible_collections.lxdkit.lxd.plugins.module_utils._server_admin import TrustStore, check_fingerprint, read_certificate, token_string
from ansible_collections.lxdkit.lxd.plugins.module_utils._views import certificate_view, token_view

TOKEN_STATES = ("token", "token_revoked")
# The options that say which certificate, and those that describe one.
IDENTITY = ("certificate", "certificate_path", "fingerprint")
DESCRIPTION = ("type", "restricted", "projects")


class TrustManager(LxdManager):

    def __init__(self, module, client, reconciler):
        # The trust store lives outside any project: requests go without ?project=.
        client = LxdClient.from_options(lambda option: DEFAULT_PROJECT if option == "project" else module.params.get(option))
        super().__init__(module, client, reconciler)
        self.store = TrustStore(self.client)

    def run(self):
        state = self.params["state"]
        self._refuse_before_any_request(state)
        if state == "token":
            return self._token()
        if state == "token_revoked":
            return self._revoke_tokens()
        pem, fingerprint = self._certificate()
        certificates = self.resources("certificate", "certificates", certificate_view)
        current = self._find(fingerprint)
        if state == "absent":
            certificates.delete(current, write=lambda: self.client.send("DELETE", self.store.path(current)))
            return self.reconciler.result(certificate=None)
        if current is None:
            wanted = self._new(fingerprint)
            self._check_projects(wanted)
            body = dict((key, wanted[key]) for key in ("name", "type", "restricted", "projects"))
            certificates.create(wanted, dict(body, certificate=pem))
        else:
            before = certificate_view(current)
            wanted = self._changed(before)
            self._check_projects(wanted)
            body = dict((key, wanted[key]) for key in ("name", "type", "restricted", "projects"))
            certificates.update(before, wanted, body, write=lambda: self.client.send("PUT", self.store.path(current), body))
        return self.reconciler.result(certificate=certificate_view(certificates.final(wanted["fingerprint"], wanted)))

    # -- checks made before anything is sent

    def _refuse_before_any_request(self, state):
        given = [option for option in IDENTITY + DESCRIPTION if self.params[option] is not None]
        if state in TOKEN_STATES:
            if not self.params["name"]:
                raise LxdkitError("name: state=%s needs the client name the token is for" % state)
            wrong = [option for option in given if option in IDENTITY or (state == "token_revoked" and option in DESCRIPTION)]
            if wrong:
                raise LxdkitError("%s: not with state=%s (a token names its client by name only%s)"
                                  % (", ".join(wrong), state, "" if state == "token" else "; revoking needs nothing else"))
            if self.params["type"] == "metrics":
                raise LxdkitError("type: tokens are for client certificates only (LXD and Incus alike); add a metrics certificate with state=present "
                                  "and certificate or certificate_path")
        else:
            if not self.params["name"] and not any(self.params[option] for option in IDENTITY):
                raise LxdkitError("state=%s needs the certificate (certificate or certificate_path), its fingerprint, or its name" % state)
            if state == "absent" and [option for option in given if option in DESCRIPTION]:
                raise LxdkitError("%s: not with state=absent" % ", ".join(option for option in given if option in DESCRIPTION))
        if self.params["restricted"] is False and self.params["projects"]:
            raise LxdkitError("projects: only restrict a client with restricted=true; with restricted=false it may use every project")

    def _certificate(self):
        """``(base64 DER, fingerprint)`` of the certificate given, or ``(None, fingerprint option)``."""
        if self.params["certificate"] is not None:
            pem, fingerprint = read_certificate("certificate", self.params["certificate"])
        elif self.params["certificate_path"] is not None:
            with open(self.params["certificate_path"]) as handle:
                pem, fingerprint = read_certificate("certificate_path %s" % self.params["certificate_path"], handle.read())
        else:
            return None, check_fingerprint("fingerprint", self.params["fingerprint"])
        given = check_fingerprint("fingerprint", self.params["fingerprint"])
        if given and not fingerprint.startswith(given):
            raise LxdkitError("fingerprint %s is not the fingerprint of the certificate given (%s)" % (self.params["fingerprint"], fingerprint))
        return pem, fingerprint

    def _find(self, fingerprint):
        if fingerprint:
            return self.store.by_fingerprint(fingerprint)
        return self.store.by_name(self.params["name"])

    def _new(self, fingerprint):
        params = self.params
        if params["certificate"] is None and params["certificate_path"] is None:
            which = "fingerprint %s" % fingerprint if fingerprint else "the name %r" % params["name"]
            raise LxdkitError("no trusted certificate has %s; to add one, give certificate or certificate_path" % which)
        if not params["name"]:
            raise LxdkitError("name: needed to add a certificate (fingerprint %s)" % fingerprint)
        wanted = dict(fingerprint=fingerprint, name=params["name"], type=params["type"] or "client",
                      restricted=bool(params["restricted"]), projects=sorted(params["projects"] or []))
        self._check_restriction(wanted)
        return wanted

    def _changed(self, before):
        params = self.params
        if params["type"] and params["type"] != before["type"]:
            raise LxdkitError("type: certificate %s (%s) is a %s certificate, and %s cannot change a certificate's type to %s; "
                              "remove it (state=absent) and add it again"
                              % (before["name"], before["fingerprint"][:12], before["type"], self.client.server_name, params["type"]))
        wanted = dict(before)
        if params["name"]:
            wanted["name"] = params["name"]
        if params["restricted"] is not None:
            wanted["restricted"] = params["restricted"]
        if params["projects"] is not None:
            wanted["projects"] = sorted(params["projects"])
        self._check_restriction(wanted)
        return wanted

    def _check_restriction(self, wanted):
        if self.params["projects"] and not wanted["restricted"]:
            raise LxdkitError("projects: certificate %s is not restricted, so it may use every project; give restricted=true "
                              "to confine it to %s" % (wanted["name"], ", ".join(wanted["projects"])))

    def _check_projects(self, wanted):
        if self.params["projects"]:
            missing = self.store.missing_projects(wanted["projects"])
            if missing:
                raise LxdkitError("projects: no such project on %s: %s (create it first, lxd_project)"
                                  % (self.client.label, ", ".join(missing)), missing=missing)

    # -- tokens

    def _token(self):
        name = self.params["name"]
        request = dict(name=name, type="client", restricted=bool(self.params["restricted"]), projects=sorted(self.params["projects"] or []))
        self._check_restriction(request)
        self._check_projects(request)
        trusted = self.store.named(name)
        pending = self.store.tokens(name)
        before = self._tokens_view(pending)
        usable = [operation for operation in pending if self._fits(operation, request)]
        token, after = None, before
        if trusted or usable:
            # The client got in already, or its token is pending still: nothing to issue.
            token = None if trusted else token_string(usable[-1])
            self.reconciler.step("token", before, after, None)
        else:
            token, after = self._issue(request, pending, before)
        self._warn_unless_no_log(token)
        return self.reconciler.result(certificate=certificate_view(trusted[0]) if trusted else None, token=token, tokens=after["tokens"])

    def _issue(self, request, pending, before):
        """Revoke the ``pending`` tokens (stale ones) and issue one for ``request``; return the
        token (None in check mode) and the tokens then pending."""
        if pending:
            self.reconciler.step("revoke_token", before, dict(tokens=[]), lambda: self._revoke(pending))
        issued = []
        planned = dict(request, addresses=[], expires_at=None, created_at=None, operation=None)
        self.reconciler.step("token", dict(tokens=[]), dict(tokens=[planned]), lambda: issued.append(self.store.issue_token(request)))
        if not issued:
            return None, dict(tokens=[planned])
        return token_string(issued[0]), self._tokens_view(issued)

    @staticmethod
    def _fits(operation, request):
        view = token_view(operation)
        if view["expires_at"] is not None and parse_lxd_time(view["expires_at"]) <= datetime.datetime.now(datetime.timezone.utc):
            return False
        return all(view[key] == request[key] for key in ("type", "restricted", "projects"))

    def _revoke_tokens(self):
        pending = self.store.tokens(self.params["name"])
        self.reconciler.step("revoke_token", self._tokens_view(pending), dict(tokens=[]), lambda: self._revoke(pending))
        trusted = self.store.named(self.params["name"])
        return self.reconciler.result(certificate=certificate_view(trusted[0]) if trusted else None, tokens=[])

    def _revoke(self, operations):
        for operation in operations:
            try:
                self.store.revoke_token(operation)
            except LxdkitNotFound:
                pass  # used or expired meanwhile: gone either way

    @staticmethod
    def _tokens_view(operations):
        return dict(tokens=[token_view(operation) for operation in operations])

    def _warn_unless_no_log(self, token):
        self.warn_secret(token, "a trust token, a secret that lets a client in")


def main():
    run_module(
        TrustManager,
        dict(
            state=dict(type="str", choices=["present", "absent", "token", "token_revoked"], default="present"),
            name=dict(type="str"),
            certificate=dict(type="str"),
            certificate_path=dict(type="path"),
            fingerprint=dict(type="str"),
            type=dict(type="str", choices=["client", "metrics"]),
            restricted=dict(type="bool"),
            projects=dict(type="list", elements="str"),
        ),
        mutually_exclusive=[("certificate", "certificate_path")],
    )


if __name__ == "__main__":
    main()
