# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole lxd_server runs on the fake LXD: what is sent (only the keys that change), merge and
replace, the refusals made before any request, and LXD's refusal of a half-applied request
(LXD 5.0 writes member-local keys before it checks the others) set back."""

from __future__ import annotations

from ansible.module_utils import basic

from ansible_collections.lxdkit.lxd.plugins.modules import lxd_server
from ansible_collections.lxdkit.lxd.tests.unit.plugins.fake_lxd import SERVER, FakeLxd, error, run_module, sync, writes

CONFIG = {"core.https_address": "10.247.0.2:8443", "images.auto_update_interval": "0"}


def server(config=None, clustered=False):
    """GET /1.0 of a standalone LXD 5.0.2 (as the fabric's server2 answers it), with ``config``."""
    environment = dict(SERVER["environment"], server="lxd", server_name="vm", addresses=["10.247.0.2:8443"],
                       certificate_fingerprint="ee01" * 16, driver="lxc", storage="dir", kernel_version="6.18.44",
                       server_clustered=clustered)
    return dict(SERVER, api_extensions=["ext%d" % number for number in range(318)], environment=environment,
                config=dict(CONFIG if config is None else config))


def run(fake, capsys, check_mode=False, **args):
    return run_module(fake, lxd_server, capsys, check_mode, **args)


def test_without_config_it_reads_and_returns_the_basics(capsys):
    fake = FakeLxd(server=server())
    result = run(fake, capsys)
    assert result["changed"] is False and writes(fake) == [] and fake.calls == ["GET "]
    assert result["config"] == CONFIG
    assert result["environment"] == {"server": "lxd", "server_name": "vm", "server_version": "5.0.2", "server_clustered": False,
                                     "api_version": "1.0", "api_extensions_count": 318, "addresses": ["10.247.0.2:8443"],
                                     "certificate_fingerprint": "ee01" * 16, "driver": "lxc", "storage": "dir", "kernel_version": "6.18.44"}


def test_merge_patches_only_the_changed_keys_converted(capsys):
    after = dict(CONFIG, **{"images.auto_update_interval": "12", "images.remote_cache_expiry": "5"})
    fake = FakeLxd(server=server())
    fake.route("GET", "", sync(server()), sync(server(after)))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, config={"images.auto_update_interval": 12, "images.remote_cache_expiry": 5})
    assert result["changed"] is True and result["actions"] == ["update"]
    assert writes(fake) == ["PATCH "]
    assert fake.requested("PATCH", "")[0].json == {"config": {"images.auto_update_interval": "12", "images.remote_cache_expiry": "5"}}
    assert result["config"] == after
    assert result["diff"] == {"before": {"config": CONFIG}, "after": {"config": after}}


def test_rerun_and_rerun_in_check_mode_change_nothing(capsys):
    fake = FakeLxd(server=server(dict(CONFIG, **{"images.remote_cache_expiry": "5"})))
    for check_mode in (False, True):
        result = run(fake, capsys, check_mode=check_mode, config={"images.remote_cache_expiry": 5})
        assert result["changed"] is False
    assert writes(fake) == []


def test_check_mode_plans_without_writing(capsys):
    fake = FakeLxd(server=server())
    result = run(fake, capsys, check_mode=True, config={"images.remote_cache_expiry": "5"})
    assert result["changed"] is True and writes(fake) == []
    assert result["config"] == dict(CONFIG, **{"images.remote_cache_expiry": "5"})


def test_empty_or_null_removes_a_key_and_a_missing_one_is_no_change(capsys):
    fake = FakeLxd(server=server(dict(CONFIG, **{"images.remote_cache_expiry": "5"})))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, check_mode=True, config={"images.remote_cache_expiry": None, "backups.compression_algorithm": ""})
    assert result["changed"] is True and result["config"] == CONFIG
    run(fake, capsys, config={"images.remote_cache_expiry": ""})
    assert fake.requested("PATCH", "")[0].json == {"config": {"images.remote_cache_expiry": ""}}
    fake = FakeLxd(server=server())
    assert run(fake, capsys, config={"images.remote_cache_expiry": ""})["changed"] is False and writes(fake) == []


def test_replace_removes_unlisted_keys_but_keeps_addresses_and_the_password(capsys):
    current = dict(CONFIG, **{"core.trust_password": True, "images.remote_cache_expiry": "5", "cluster.https_address": "10.0.0.1:8443"})
    fake = FakeLxd(server=server(current))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, merge_config=False, config={"images.auto_update_interval": 0})
    assert fake.requested("PATCH", "")[0].json == {"config": {"images.remote_cache_expiry": ""}}
    assert result["diff"]["after"]["config"] == {"core.https_address": "10.247.0.2:8443", "images.auto_update_interval": "0",
                                                 "core.trust_password": True, "cluster.https_address": "10.0.0.1:8443"}
    # Listed as "", a kept key goes too.
    fake = FakeLxd(server=server(current))
    fake.route("PATCH", "", sync({}))
    run(fake, capsys, merge_config=False, config={"images.auto_update_interval": 0, "core.trust_password": "", "core.https_address": ""})
    assert fake.requested("PATCH", "")[0].json["config"] == {"images.remote_cache_expiry": "", "core.trust_password": "", "core.https_address": ""}


def test_a_trust_password_is_refused_before_any_request(capsys):
    fake = FakeLxd(server=server())
    result = run(fake, capsys, config={"core.trust_password": "secret"})
    assert result["failed"] is True and "core.trust_password is write-only" in result["msg"] and fake.calls == []
    assert "secret" not in result["msg"]


def test_removing_the_trust_password_on_incus_is_refused_by_name_without_a_write(capsys):
    incus = server()
    incus["environment"] = dict(incus["environment"], server="incus", server_version="6.0.4")
    fake = FakeLxd(server=incus)
    result = run(fake, capsys, config={"core.trust_password": "", "images.remote_cache_expiry": 5})
    assert result["failed"] is True and writes(fake) == []
    assert result["msg"].startswith("config.core.trust_password: Incus (at unix:") and "has no trust password" in result["msg"]
    assert run(FakeLxd(server=server()), capsys, config={"core.trust_password": ""})["changed"] is False  # LXD: none set


def test_lxds_refusal_of_an_unknown_key_names_it_and_nothing_changed(capsys):
    fake = FakeLxd(server=server())
    fake.route("PATCH", "", error(400, "cannot set 'images.bogus' to '1': unknown key"))
    result = run(fake, capsys, config={"images.bogus": 1, "images.remote_cache_expiry": 5})
    assert result["failed"] is True
    assert result["msg"] == "config: LXD refused it: cannot set 'images.bogus' to '1': unknown key. Nothing was changed"
    assert writes(fake) == ["PATCH "]  # the one refused write; the config read back as it was


def test_a_half_applied_refusal_is_set_back(capsys):
    moved = dict(CONFIG, **{"core.https_address": "10.247.0.2:8449"})
    fake = FakeLxd(server=server())
    # connect, then the read after the refusal shows what LXD applied before refusing
    fake.route("GET", "", sync(server()), sync(server(moved)))
    fake.route("PATCH", "", error(400, "cannot set 'images.bogus' to '1': unknown key"), sync({}))
    result = run(fake, capsys, config={"images.bogus": 1, "core.https_address": "10.247.0.2:8449"})
    assert result["failed"] is True
    assert "cannot set 'images.bogus' to '1': unknown key" in result["msg"]
    assert "It had applied core.https_address before refusing; set back, so nothing was changed" in result["msg"]
    assert [request.json for request in fake.requested("PATCH", "")] == [
        {"config": {"images.bogus": "1", "core.https_address": "10.247.0.2:8449"}},
        {"config": {"core.https_address": "10.247.0.2:8443"}}]


def test_a_failed_setting_back_is_reported(capsys):
    moved = dict(CONFIG, **{"core.https_address": "10.247.0.2:8449"})
    fake = FakeLxd(server=server())
    fake.route("GET", "", sync(server()), sync(server(moved)))
    fake.route("PATCH", "", error(400, "cannot set 'images.bogus' to '1': unknown key"), error(500, "database is locked"))
    result = run(fake, capsys, config={"images.bogus": 1, "core.https_address": "10.247.0.2:8449"})
    assert "setting it back failed" in result["msg"] and result["applied"] == ["core.https_address"]


def test_target_is_refused_by_a_standalone_server_before_any_write(capsys):
    fake = FakeLxd(server=server())
    result = run(fake, capsys, target="member2", config={"core.https_address": "10.0.0.12:8443"})
    assert result["failed"] is True and "target 'member2' is for a cluster" in result["msg"] and writes(fake) == []


def test_target_reads_and_writes_the_members_config(capsys):
    member = dict(CONFIG, **{"core.https_address": "10.0.0.12:8443"})
    fake = FakeLxd(server=server(clustered=True))
    stored = dict(member, **{"storage.images_volume": "default/images"})
    fake.route("GET", "", sync(server(clustered=True)), sync(server(member, clustered=True)), sync(server(stored, clustered=True)))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, target="member2", config={"storage.images_volume": "default/images"})
    assert [request.params for request in fake.requested("GET", "")][1:] == [{"target": "member2"}, {"target": "member2"}]
    assert fake.requested("PATCH", "")[0].params == {"target": "member2"}
    assert result["config"]["storage.images_volume"] == "default/images"


def test_the_project_option_is_ignored(capsys):
    fake = FakeLxd(server=server(), projects=["default"])
    result = run(fake, capsys, project="elsewhere")
    assert result["changed"] is False and all("project" not in request.params for request in fake.requests)


def test_a_default_value_is_compared_as_lxd_stores_it_nothing(capsys):
    # LXD 5.0.2 stores nothing for images.remote_cache_expiry=10 (its default): a rerun is no change.
    fake = FakeLxd(server=server())
    result = run(fake, capsys, config={"images.remote_cache_expiry": 10, "backups.compression_algorithm": "gzip"})
    assert result["changed"] is False and writes(fake) == []
    # From another value, back to the default: sent as the default.
    fake = FakeLxd(server=server(dict(CONFIG, **{"images.remote_cache_expiry": "5"})))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, check_mode=True, config={"images.remote_cache_expiry": 10})
    assert result["changed"] is True and result["config"] == CONFIG
    run(fake, capsys, config={"images.remote_cache_expiry": 10})
    assert fake.requested("PATCH", "")[0].json == {"config": {"images.remote_cache_expiry": ""}}


def test_booleans_are_compared_as_lxd_spells_them_and_removed_as_their_default(capsys):
    fake = FakeLxd(server=server(dict(CONFIG, **{"images.auto_update_cached": "false"})))
    fake.route("PATCH", "", sync({}))
    for value in ("no", "FALSE", "0", False):
        assert run(fake, capsys, config={"images.auto_update_cached": value})["changed"] is False
    assert writes(fake) == []
    # LXD 5.0 stores "false" for a boolean set to "": its default is sent instead.
    run(fake, capsys, config={"images.auto_update_cached": ""})
    assert fake.requested("PATCH", "")[0].json == {"config": {"images.auto_update_cached": "true"}}
    fake = FakeLxd(server=server())
    fake.route("PATCH", "", sync({}))
    run(fake, capsys, config={"core.trust_ca_certificates": "On"})
    assert fake.requested("PATCH", "")[0].json == {"config": {"core.trust_ca_certificates": "true"}}


def test_a_value_lxd_stores_otherwise_is_warned_about(capsys, monkeypatch):
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda module, text: warned.append(text))
    fake = FakeLxd(server=server())
    # A newer LXD's default the module does not know: written, and LXD stores nothing.
    fake.route("GET", "", sync(server()), sync(server()))
    fake.route("PATCH", "", sync({}))
    result = run(fake, capsys, config={"loki.loglevel": "info"})
    assert result["changed"] is True
    assert warned == ["config.loki.loglevel: LXD stores nothing (its default) where the task says 'info'; write it as LXD stores it "
                      "(or leave it out when it is LXD's default), or the next run changes it again"]
