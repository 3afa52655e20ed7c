# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""lxd_cluster and lxd_cluster_member on the fake LXD: what enable, join, member changes,
evacuate/restore, removal and join tokens send, and what is refused before anything is sent."""

from __future__ import annotations

import base64
import json

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_cluster, lxd_cluster_member
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, operation, run_module, sync, writes

CLUSTER_FINGERPRINT = "0f" * 32
SECRET = "be" * 32


def standalone(address="10.247.0.4:8443"):
    return FakeLxd(server=dict(SERVER, config={"core.https_address": address} if address else {}))


def clustered(name="m1", extensions=("event_hub", "cluster_ovn_chassis")):
    environment = dict(SERVER["environment"], server_clustered=True, server_name=name, certificate_fingerprint=CLUSTER_FINGERPRINT)
    fake = FakeLxd(server=dict(SERVER, config={"core.https_address": "10.247.0.3:8443"}, environment=environment,
                               api_extensions=SERVER["api_extensions"] + list(extensions)))
    return fake


def token_for(name, fingerprint=CLUSTER_FINGERPRINT):
    fields = {"server_name": name, "fingerprint": fingerprint, "addresses": ["10.247.0.3:8443"], "secret": SECRET,
              "expires_at": "2026-12-03T09:46:03Z"}
    return base64.b64encode(json.dumps(fields).encode()).decode()


MEMBER = {"server_name": "m2", "url": "https://10.247.0.4:8443", "status": "Online", "message": "Fully operational",
          "description": "", "failure_domain": "default", "groups": ["default"], "config": {}, "roles": ["database"]}


def test_enable_puts_the_name_and_returns_the_cluster(capsys):
    fake = standalone()
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}),
               sync({"enabled": True, "server_name": "m1", "member_config": []}))
    fake.route("PUT", "cluster", operation())
    fake.route("GET", "cluster/members", sync([dict(MEMBER, server_name="m1")]))
    result = run_module(fake, lxd_cluster, capsys, server_name="m1")
    assert result["changed"] is True and result["actions"] == ["enable"]
    assert fake.requested("PUT", "cluster")[0].json == {"server_name": "m1", "enabled": True}
    assert result["cluster"]["enabled"] is True and [m["server_name"] for m in result["members"]] == ["m1"]
    assert result["diff"] == {"before": {"enabled": False, "server_name": ""}, "after": {"enabled": True, "server_name": "m1"}}


def test_enable_without_a_network_address_is_refused(capsys):
    fake = standalone(address=None)
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}))
    result = run_module(fake, lxd_cluster, capsys, server_name="m1")
    assert result["failed"] is True and result["msg"].startswith("server_address: the server at") and writes(fake) == []


def test_a_join_sends_the_whole_token_and_the_pinned_certificate(capsys, monkeypatch):
    fetched = []
    monkeypatch.setattr(lxd_cluster, "fetch_certificate", lambda address, fingerprint, timeout: fetched.append((address, fingerprint)) or "PEM")
    fake = standalone()
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}), sync({"enabled": True, "server_name": "m2"}))
    fake.route("PUT", "cluster", operation())
    fake.route("GET", "cluster/members", sync([MEMBER]))
    token = token_for("m2")
    result = run_module(fake, lxd_cluster, capsys, server_name="m2", join_token=token,
                        member_config=[{"entity": "storage-pool", "name": "default", "key": "source", "value": ""}])
    assert fetched == [("10.247.0.3:8443", CLUSTER_FINGERPRINT)]
    assert fake.requested("PUT", "cluster")[0].json == {
        "server_name": "m2", "enabled": True, "server_address": "10.247.0.4:8443", "cluster_address": "10.247.0.3:8443",
        "cluster_certificate": "PEM", "cluster_password": token,
        "member_config": [{"entity": "storage-pool", "name": "default", "key": "source", "value": ""}]}
    assert result["actions"] == ["join"] and SECRET not in json.dumps(result)


def test_incus_gets_the_join_token_as_cluster_token(capsys, monkeypatch):
    monkeypatch.setattr(lxd_cluster, "fetch_certificate", lambda address, fingerprint, timeout: "PEM")
    fake = standalone()
    fake.server["environment"] = dict(fake.server["environment"], server="incus", server_version="6.0.4")
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}), sync({"enabled": True, "server_name": "m2"}))
    fake.route("PUT", "cluster", operation())
    fake.route("GET", "cluster/members", sync([MEMBER]))
    token = token_for("m2")
    run_module(fake, lxd_cluster, capsys, server_name="m2", join_token=token)
    sent = fake.requested("PUT", "cluster")[0].json
    assert sent["cluster_token"] == token and "cluster_password" not in sent


def test_a_join_in_check_mode_fetches_the_certificate_but_writes_nothing(capsys, monkeypatch):
    monkeypatch.setattr(lxd_cluster, "fetch_certificate", lambda address, fingerprint, timeout: "PEM")
    fake = standalone()
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}))
    result = run_module(fake, lxd_cluster, capsys, check_mode=True, server_name="m2", join_token=token_for("m2"))
    assert result["changed"] is True and writes(fake) == [] and result["members"] == []


def test_an_unreachable_cluster_is_named(capsys, monkeypatch):
    def refuse(address, fingerprint, timeout):
        raise ConnectionRefusedError(111, "Connection refused")
    monkeypatch.setattr(lxd_cluster, "fetch_certificate", refuse)
    fake = standalone()
    fake.route("GET", "cluster", sync({"enabled": False, "server_name": "", "member_config": []}))
    result = run_module(fake, lxd_cluster, capsys, server_name="m2", join_token=token_for("m2"))
    assert result["msg"].startswith("join_token: no address of the cluster answers from here (10.247.0.3:8443:") and writes(fake) == []


def test_bad_tokens_and_names_are_refused_before_anything_is_sent(capsys):
    fake = standalone()
    assert run_module(fake, lxd_cluster, capsys, server_name="m3", join_token=token_for("m2"))["msg"] == (
        "join_token was issued for member 'm2'; this task's server_name is 'm3': issue a token for 'm3'")
    assert run_module(fake, lxd_cluster, capsys, server_name="m3", join_token="not a token")["msg"].startswith(
        "join_token is not a cluster join token")
    trust = base64.b64encode(json.dumps({"client_name": "c", "fingerprint": "ab", "addresses": ["x:1"], "secret": "s"}).encode()).decode()
    assert "it lacks server_name" in run_module(fake, lxd_cluster, capsys, server_name="m3", join_token=trust)["msg"]
    msg = run_module(fake, lxd_cluster, capsys, server_name="m3", join_token=token_for("m3"),
                     member_config=[{"entity": "disk", "name": "x", "key": "y"}])["msg"]
    assert msg == "member_config[0].entity must be storage-pool or network, got 'disk'"
    assert writes(fake) == []


def test_a_member_already_is_no_change_and_another_cluster_is_an_error(capsys):
    fake = clustered("m2")
    fake.route("GET", "cluster", sync({"enabled": True, "server_name": "m2", "member_config": []}))
    fake.route("GET", "cluster/members", sync([MEMBER]))
    result = run_module(fake, lxd_cluster, capsys, server_name="m2", join_token=token_for("m2"))
    assert result["changed"] is False and writes(fake) == []
    result = run_module(fake, lxd_cluster, capsys, server_name="m2", join_token=token_for("m2", fingerprint="aa" * 32))
    assert "is a member of another cluster" in result["msg"]
    result = run_module(fake, lxd_cluster, capsys, server_name="other")
    assert result["msg"].startswith("server_name: the server at") and "is cluster member 'm2' already" in result["msg"]


def test_a_token_is_issued_once_and_returned_while_pending(capsys):
    fake = clustered()
    fake.route("GET", "cluster/members/m3", error(404, "Cluster member not found"))
    metadata = {"serverName": "m3", "fingerprint": CLUSTER_FINGERPRINT, "addresses": ["10.247.0.3:8443"], "secret": SECRET,
                "expiresAt": "2026-12-03T09:46:03Z"}
    fake.route("GET", "operations", sync({"running": []}), sync({"running": [{"id": "t1", "class": "token", "metadata": metadata}]}))
    fake.route("POST", "cluster/members", operation(metadata, op_id="t1"))
    first = run_module(fake, lxd_cluster_member, capsys, name="m3")
    assert first["changed"] is True and first["actions"] == ["issue join token"]
    assert fake.requested("POST", "cluster/members")[0].json == {"server_name": "m3"}
    token = json.loads(base64.b64decode(first["join_token"]))
    assert list(token) == ["server_name", "fingerprint", "addresses", "secret", "expires_at"] and token["secret"] == SECRET
    assert "set no_log: true on this task" in json.dumps(first["warnings"])
    again = run_module(fake, lxd_cluster_member, capsys, name="m3")
    assert again["changed"] is False and again["join_token"] == first["join_token"]
    assert len(fake.requested("POST", "cluster/members")) == 1


def test_member_settings_are_put_with_the_roles_kept(capsys):
    fake = clustered()
    fake.route("GET", "cluster/members/m2", sync(MEMBER), sync(dict(MEMBER, failure_domain="rack2")))
    fake.route("PUT", "cluster/members/m2", sync(None))
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", failure_domain="rack2")
    assert fake.requested("PUT", "cluster/members/m2")[0].json == {
        "description": "", "failure_domain": "rack2", "groups": ["default"], "config": {}, "roles": ["database"]}
    assert result["actions"] == ["update"] and result["member"]["failure_domain"] == "rack2"


def test_roles_on_request_are_set_and_the_database_roles_kept(capsys):
    fake = clustered()
    leader = dict(MEMBER, roles=["database-leader", "database"])
    with_hub = dict(leader, roles=["event-hub", "database-leader", "database"])
    fake.route("GET", "cluster/members/m2", sync(leader), sync(with_hub))
    fake.route("PUT", "cluster/members/m2", sync(None))
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", roles=["event-hub"])
    assert result["actions"] == ["update"] and fake.requested("PUT", "cluster/members/m2")[0].json["roles"] == ["database-leader", "database", "event-hub"]
    assert result["diff"]["before"]["roles"] == ["database", "database-leader"]
    assert result["diff"]["after"]["roles"] == ["database", "database-leader", "event-hub"]
    assert result["member"]["roles"] == ["event-hub", "database-leader", "database"]
    again = run_module(fake, lxd_cluster_member, capsys, name="m2", roles=["event-hub"])
    assert again["changed"] is False
    untouched = run_module(fake, lxd_cluster_member, capsys, name="m2", description="")
    assert untouched["changed"] is False and len(fake.requested("PUT", "cluster/members/m2")) == 1
    dropped = run_module(fake, lxd_cluster_member, capsys, check_mode=True, name="m2", roles=[])
    assert dropped["changed"] is True and dropped["member"]["roles"] == ["database", "database-leader"]
    assert len(fake.requested("PUT", "cluster/members/m2")) == 1
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", roles=["database"])
    assert result["failed"] is True and "roles" in result["msg"] and "event-hub, ovn-chassis" in result["msg"]
    assert len(fake.requested("PUT", "cluster/members/m2")) == 1


def test_a_role_the_server_does_not_know_is_refused(capsys):
    fake = clustered(extensions=("event_hub",))
    fake.route("GET", "cluster/members/m2", sync(MEMBER))
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", roles=["ovn-chassis"])
    assert result["msg"].startswith("roles: the server at") and "lacks the API extension cluster_ovn_chassis" in result["msg"]
    assert writes(fake) == []


def test_evacuate_and_restore_follow_the_status(capsys):
    fake = clustered()
    fake.route("GET", "cluster/members/m2", sync(MEMBER), sync(dict(MEMBER, status="Evacuated")))
    fake.route("POST", "cluster/members/m2/state", operation())
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", state="evacuated")
    assert result["actions"] == ["evacuate"] and fake.requested("POST", "cluster/members/m2/state")[0].json == {"action": "evacuate"}
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", state="evacuated")
    assert result["changed"] is False
    result = run_module(fake, lxd_cluster_member, capsys, check_mode=True, name="m2", state="restored")
    assert result["actions"] == ["restore"] and len(fake.requested("POST", "cluster/members/m2/state")) == 1


def test_an_offline_member_is_named_and_left_alone(capsys):
    fake = clustered()
    offline = dict(MEMBER, status="Offline", message="No heartbeat for 30s")
    fake.route("GET", "cluster/members/m2", sync(offline))
    fake.route("GET", "operations", sync({"running": []}))
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", state="evacuated")
    assert result["msg"].startswith("cluster member m2 is offline (No heartbeat for 30s): LXD cannot evacuate it")
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", state="absent")
    assert "only with force=true" in result["msg"] and writes(fake) == []
    fake.route("DELETE", "cluster/members/m2", sync(None))
    result = run_module(fake, lxd_cluster_member, capsys, name="m2", state="absent", force=True)
    assert result["actions"] == ["remove"] and fake.requested("DELETE", "cluster/members/m2")[0].params == {"force": "1"}


def test_a_standalone_server_and_an_unknown_member_are_refused(capsys):
    assert run_module(standalone(), lxd_cluster_member, capsys, name="m2")["msg"].startswith("the server at")
    fake = clustered()
    fake.route("GET", "cluster/members", sync([dict(MEMBER, server_name="m1"), MEMBER]))
    result = run_module(fake, lxd_cluster_member, capsys, name="m9", state="evacuated")
    assert result["msg"].startswith("name: 'm9' is not a member of the cluster at") and "(its members: m1, m2)" in result["msg"]
