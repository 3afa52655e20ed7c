# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""member_config of lxd_storage_pool and lxd_network on a fake clustered LXD: definitions on
each member, then the cluster-wide creation; reruns compare each member's keys; what is refused
before anything is sent."""

from __future__ import annotations

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_network, lxd_storage_pool
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, run_module, sync, writes

MEMBERS = ["/1.0/cluster/members/node2", "/1.0/cluster/members/node1"]


def cluster():
    environment = dict(SERVER["environment"], server_clustered=True, storage_supported_drivers=[{"Name": "dir", "Remote": False, "Version": "1"}])
    fake = FakeLxd(server=dict(SERVER, environment=environment))
    fake.route("GET", "cluster/members", sync(MEMBERS))
    return fake


def pool(status="Created", config=None, locations=("node1", "node2")):
    return {"name": "p2", "driver": "dir", "description": "", "status": status, "locations": list(locations), "used_by": None,
            "config": dict(config or {})}


def test_a_pool_is_defined_on_each_member_then_created_in_one_task(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", error(404, "Storage pool not found"), sync(pool(config={"rsync.bwlimit": "10MB"})))
    fake.route("POST", "storage-pools", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="p2", driver="dir", config={"rsync.bwlimit": "10MB"},
                        member_config={"node1": {"source": "/srv/a"}})
    posts = fake.requested("POST", "storage-pools")
    assert [post.params.get("target") for post in posts] == ["node1", "node2", None]
    assert posts[0].json == {"name": "p2", "driver": "dir", "config": {"source": "/srv/a"}}
    # A member left out of member_config is defined without keys of its own.
    assert posts[1].json == {"name": "p2", "driver": "dir", "config": {}}
    assert posts[2].json == {"name": "p2", "driver": "dir", "description": "", "config": {"rsync.bwlimit": "10MB"}}
    assert result["actions"] == ["define on node1", "define on node2", "create"]
    assert result["member_config"] == {"node1": {"source": "/srv/a"}, "node2": {}}
    assert result["diff"]["before"] == {} and result["diff"]["after"]["member_config"] == result["member_config"]
    assert result["storage_pool"]["status"] == "Created" and result["old_state"] == "absent"


def test_check_mode_plans_the_definitions_and_writes_nothing(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", error(404, "Storage pool not found"))
    result = run_module(fake, lxd_storage_pool, capsys, check_mode=True, name="p2", driver="dir", member_config={"node2": {"source": "/srv/b"}})
    assert writes(fake) == [] and result["changed"] is True
    assert result["member_config"] == {"node1": {}, "node2": {"source": "/srv/b"}}


def test_a_rerun_reads_each_member_and_changes_nothing(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", sync(pool()), sync(pool(config={"source": "/srv/a"})), sync(pool(config={"source": "/srv/b"})))
    result = run_module(fake, lxd_storage_pool, capsys, name="p2", member_config={"node1": {"source": "/srv/a"}, "node2": {"source": "/srv/b"}})
    assert result["changed"] is False and writes(fake) == []
    assert [get.params.get("target") for get in fake.requested("GET", "storage-pools/p2")] == [None, "node1", "node2"]


def test_a_create_only_member_key_is_refused_naming_the_member(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", sync(pool()), sync(pool(config={"source": "/srv/a"})), sync(pool(config={"source": "/srv/b"})))
    result = run_module(fake, lxd_storage_pool, capsys, name="p2", member_config={"node1": {"source": "/srv/a"}, "node2": {"source": "/srv/c"}})
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("member_config.node2: config.source cannot change after creation")


def test_a_pending_pool_gets_the_missing_definitions_and_is_created(capsys):
    fake = cluster()
    pending = pool(status="Pending", locations=["node1"])
    fake.route("GET", "storage-pools/p2", sync(pending), sync(pool(status="Pending", config={"source": "/srv/a"})), sync(pool()))
    fake.route("POST", "storage-pools", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="p2", member_config={"node1": {"source": "/srv/a"}})
    assert [post.params.get("target") for post in fake.requested("POST", "storage-pools")] == ["node2", None]
    assert result["actions"] == ["define on node2", "create"]


def test_refusals_before_anything_is_sent(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", error(404, "Storage pool not found"))
    msg = run_module(fake, lxd_storage_pool, capsys, name="p2", driver="dir", member_config={"node9": {}})["msg"]
    assert "member_config: node9 is not a member of the cluster" in msg and "its members: node1, node2" in msg
    msg = run_module(fake, lxd_storage_pool, capsys, name="p2", driver="dir", member_config={"node1": {"rsync.bwlimit": "1MB"}})["msg"]
    assert msg.startswith("member_config.node1.rsync.bwlimit is not a per-member key of a storage pool")
    msg = run_module(fake, lxd_storage_pool, capsys, name="p2", driver="dir", config={"source": "/x"}, member_config={})["msg"]
    assert msg.startswith("config.source is per cluster member: with member_config, give it there")
    msg = run_module(fake, lxd_storage_pool, capsys, name="p2", driver="dir", target="node1", member_config={})["msg"]
    assert "mutually exclusive" in msg and "member_config" in msg
    assert writes(fake) == []
    standalone = FakeLxd()
    msg = run_module(standalone, lxd_storage_pool, capsys, name="p2", driver="dir", member_config={"node1": {}})["msg"]
    assert msg.startswith("member_config is for a cluster") and writes(standalone) == []


def test_a_pool_pending_on_every_member_is_created_by_a_task_without_target(capsys):
    fake = cluster()
    fake.route("GET", "storage-pools/p2", sync(pool(status="Pending")), sync(pool()))
    fake.route("POST", "storage-pools", sync(None))
    result = run_module(fake, lxd_storage_pool, capsys, name="p2", config={"rsync.bwlimit": "5MB"})
    post = fake.requested("POST", "storage-pools")[0]
    assert post.params.get("target") is None and post.json["config"] == {"rsync.bwlimit": "5MB"}
    assert result["actions"] == ["create"] and not fake.requested("PUT", "storage-pools/p2")


def network(status="Created", config=None, locations=("node1", "node2")):
    return {"name": "cbr0", "type": "bridge", "managed": True, "description": "", "status": status, "locations": list(locations),
            "used_by": [], "config": dict(config or {})}


def test_a_network_member_key_changes_with_a_patch_on_that_member(capsys):
    fake = cluster()
    shared = {"ipv4.address": "10.246.0.1/24", "ipv4.nat": "false", "ipv6.address": "none"}
    fake.route("GET", "networks/cbr0", sync(network(config=shared)), sync(network(config=dict(shared, **{"bridge.external_interfaces": "eth1"}))),
               sync(network(config=shared)), sync(network(config=shared)))
    fake.route("PATCH", "networks/cbr0", sync(None))
    fake.route("GET", "networks/cbr0/state", sync({"state": "up"}))
    result = run_module(fake, lxd_network, capsys, name="cbr0", config=shared,
                        member_config={"node1": {"bridge.external_interfaces": "eth1"}, "node2": {"bridge.external_interfaces": "eth2"}})
    patch = fake.requested("PATCH", "networks/cbr0")
    assert [(request.params.get("target"), request.json) for request in patch] == [("node2", {"config": {"bridge.external_interfaces": "eth2"}})]
    assert result["actions"] == ["update on node2"]
    assert result["diff"]["before"]["member_config"]["node2"] == {} and result["diff"]["after"]["member_config"]["node2"] == {
        "bridge.external_interfaces": "eth2"}


def test_a_network_is_defined_on_each_member_then_created(capsys):
    fake = cluster()
    shared = {"ipv4.address": "10.246.0.1/24", "ipv4.nat": "false", "ipv6.address": "none"}
    fake.route("GET", "networks/cbr0", error(404, "Network not found"), sync(network(config=shared)))
    fake.route("POST", "networks", sync(None))
    fake.route("GET", "networks/cbr0/state", sync({"state": "up"}))
    result = run_module(fake, lxd_network, capsys, name="cbr0", config=shared, member_config={})
    posts = fake.requested("POST", "networks")
    assert [post.params.get("target") for post in posts] == ["node1", "node2", None]
    assert posts[0].json == {"name": "cbr0", "type": "bridge", "config": {}}
    assert posts[2].json == {"name": "cbr0", "type": "bridge", "description": "", "config": shared}
    msg = run_module(fake, lxd_network, capsys, name="cbr0", member_config={"node1": {"ipv4.address": "10.0.0.1/24"}})["msg"]
    assert msg.startswith("member_config.node1.ipv4.address is not a per-member key of a network")
    assert result["network_state"] == {"state": "up"}
