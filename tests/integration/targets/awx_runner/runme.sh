#!/usr/bin/env bash
# playbooks/web.yml as an AWX job template runs it: through ansible-runner with a private data
# directory, the LXD connection from a credential of docs/awx.md's custom type (HTTPS to
# its HTTPS address, a client certificate made for this run and trusted only while it runs).
# web.yml rather than site.yml: one role keeps the two runs inside the target's 90 s budget,
# and the runner path (data dir, injection, events) is the same for any recipe.
set -euo pipefail
prefix="lxdkit-awx-$RANDOM$RANDOM"
scratch=$(mktemp -d)
fingerprint=""
cleanup() {
  lxc delete --force "$prefix-web" >/dev/null 2>&1 || true
  lxc profile delete "$prefix-web" >/dev/null 2>&1 || true
  [ -z "$fingerprint" ] || lxc config trust remove "$fingerprint" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
here=$(cd "$(dirname "$0")" && pwd)
# The collection as installed (ansible-test runs a copy of this target alone, elsewhere).
collection="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/lxdkit/lxd"
[ -f "$collection/docs/awx.md" ]

# The server under test (tests/harness/on-server.sh sets LXDKIT_TEST_SERVER): its HTTPS address,
# certificate and bridge.
server=${LXDKIT_TEST_SERVER:-lxd}
HTTPS_URL="https://$(lxc config get core.https_address)"
SERVER_DIR=/var/lib/$server
export HTTPS_URL SERVER_DIR

# A client certificate for this run only, trusted by the server until cleanup.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 1 -subj "/CN=$prefix" \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" 2>/dev/null
lxc config trust add "$scratch/client.crt" --name "$prefix" >/dev/null 2>&1 || lxc config trust add "$scratch/client.crt"
fingerprint=$(openssl x509 -in "$scratch/client.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
python - "$scratch" <<'PY'
import json, os, sys
scratch = sys.argv[1]
https_url, server_dir = os.environ["HTTPS_URL"], os.environ["SERVER_DIR"]
read = lambda path: open(path).read()
json.dump({"lxd_url": https_url, "lxd_client_cert": read(scratch + "/client.crt"),
           "lxd_client_key": read(scratch + "/client.key"), "lxd_server_cert": read(server_dir + "/server.crt")}, open(scratch + "/credential.json", "w"))
PY
cat > "$scratch/extravars.json" <<JSON
{"web_server_instance": "$prefix-web", "web_server_profile": "$prefix-web",
 "web_server_listen_port": $((20000 + RANDOM % 20000)), "web_server_image": "${LXD_TEST_IMAGE_NGINX:-lxdkit-debian}",
 "web_server_network": "${server}br0"}
JSON

run() {  # $1: run name
  mkdir -p "$scratch/$1"
  python "$here/run_job.py" "$collection/docs/awx.md" "$collection/playbooks" "$collection/playbooks/inventory" web.yml \
    "$scratch/$1/data" "$scratch/credential.json" "$scratch/extravars.json" > "$scratch/$1.json"
  cat "$scratch/$1.json"
}
key_body=$(grep -v -- '-----' "$scratch/client.key" | tr -d '\n')

for name in first second; do
  start=$(date +%s)
  run "$name"
  echo "$name run: $(( $(date +%s) - start )) s"
  python - "$scratch/$name.json" "$name" "$key_body" <<'PY'
import json, os, sys
result, name, key_body = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
stats = result["stats"]
assert result["status"] == "successful" and result["rc"] == 0, result
assert set(stats["ok"]) == {"localhost"} and not stats["failures"] and not stats["dark"], stats
assert result["host_events"]["localhost"] and "runner_on_failed" not in result["host_events"]["localhost"], result
assert "playbook_on_stats" in result["events"]
if name == "first":
    assert stats["changed"].get("localhost", 0) > 0, stats
else:
    assert stats["changed"].get("localhost", 0) == 0, stats
# The key's text (one line of it is enough to leak it) in no event, no artifact, no stdout.
lines = [key_body[i:i + 40] for i in range(0, len(key_body) - 40, 40)]
for root, _dirs, files in os.walk(result["artifacts"]):
    for file_name in files:
        text = open(os.path.join(root, file_name), errors="replace").read().replace("\\n", "").replace("\n", "")
        assert not any(line in text for line in lines), "key material in " + os.path.join(root, file_name)
# Every lxdkit.lxd task went over HTTPS with the injected paths (not the local socket).
urls, keys = set(), set()
events_dir = os.path.join(result["artifacts"], os.listdir(result["artifacts"])[0], "job_events")
for file_name in os.listdir(events_dir):
    event = json.load(open(os.path.join(events_dir, file_name)))
    invocation = event.get("event_data", {}).get("res", {}).get("invocation", {}).get("module_args", {})
    if event["event"] == "runner_on_ok" and event["event_data"].get("resolved_action", "").startswith("lxdkit.lxd."):
        urls.add(invocation.get("url"))
        keys.add(invocation.get("client_key"))
assert urls == {os.environ["HTTPS_URL"]}, urls
assert len(keys) == 1 and next(iter(keys)).endswith("/creds/cred_client_key"), keys
print(name, "run checked:", stats["ok"], stats["changed"])
PY
done

# Cross-checked with the lxc CLI: the instance runs, and the connection went over HTTPS with
# the test's certificate (LXD records the certificate as trusted under the test's name).
lxc list "$prefix-web" --format csv --columns ns | grep -qx "$prefix-web,RUNNING"
lxc config trust list --format csv | grep -q "$prefix"
