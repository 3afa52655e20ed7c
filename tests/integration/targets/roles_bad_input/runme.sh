#!/usr/bin/env bash
# Bad role variables fail in argument validation, naming the variable, before anything changes;
# a missing image fails clearly and leaves no instance behind.
set -eu
prefix="lxdkit-$RANDOM$RANDOM"
scratch=$(mktemp -d)
cleanup() {
  lxc delete --force "$prefix-web" >/dev/null 2>&1 || true
  lxc profile delete "$prefix-profile" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# Runs a play with one role and variables; expects it to fail with a message containing $3.
expect_failure() {  # role, extra vars (JSON), expected text
  cat > "$scratch/play.yml" <<YAML
- hosts: localhost
  connection: local
  gather_facts: false
  vars: {ansible_python_interpreter: "{{ ansible_playbook_python }}"}
  roles: [{role: "lxdkit.lxd.$1"}]
YAML
  if ansible-playbook -i localhost, "$scratch/play.yml" -e "$2" > "$scratch/out.txt" 2>&1; then
    echo "FAIL: role $1 with $2 succeeded"; exit 1
  fi
  if ! grep -qF -- "$3" "$scratch/out.txt"; then
    echo "FAIL: role $1 with $2 did not say: $3"; cat "$scratch/out.txt"; exit 1
  fi
  echo "ok: $1 refused $2 with: $3"
}

# The bridge of the server under test (tests/harness/on-server.sh sets LXDKIT_TEST_SERVER).
network="\"web_server_network\": \"${LXDKIT_TEST_SERVER:-lxd}br0\""

before=$(lxc list --format csv --columns n; lxc profile list --format csv | cut -d, -f1)

expect_failure web_server "{\"web_server_instance\": \"$prefix-web\", \"web_server_listen_port\": \"eighty\"}" \
  "web_server_listen_port"
expect_failure web_server "{\"web_server_instance\": \"$prefix-web\", \"web_server_locations\": \"/health\"}" \
  "web_server_locations"
expect_failure dns_server '{"dns_server_records": [{"name": "www", "type": "A"}]}' \
  "missing required arguments: value"
expect_failure dns_server '{"dns_server_records": [{"name": "www", "type": "BOGUS", "value": "1.2.3.4"}]}' \
  "dns_server_records"
expect_failure backup_rotation '{}' \
  "backup_rotation_instances"
expect_failure backup_rotation '{"backup_rotation_instances": ["x"], "backup_rotation_compression": "rar"}' \
  "backup_rotation_compression"
# The retention dicts take the six keep_* keys and nothing else (a typo is no silent default).
expect_failure backup_rotation '{"backup_rotation_instances": ["x"], "backup_rotation_keep": {"keep_hourlyy": 24}}' \
  "backup_rotation_keep.keep_hourlyy. Supported parameters include: keep_daily, keep_hourly, keep_last, keep_monthly, keep_weekly, keep_yearly"
expect_failure backup_rotation '{"backup_rotation_instances": ["x"], "backup_rotation_second_keep": {"keep_yearly": "many"}}' \
  "'keep_yearly' is of type str found in 'backup_rotation_second_keep'"

after=$(lxc list --format csv --columns n; lxc profile list --format csv | cut -d, -f1)
[ "$before" = "$after" ] || { echo "FAIL: argument validation let something change"; exit 1; }
echo "ok: the server unchanged by the refused runs"

expect_failure web_server "{\"web_server_instance\": \"$prefix-web\", \"web_server_profile\": \"$prefix-profile\", \"web_server_image\": \"$prefix-no-such-image\", $network}" \
  "is not in the local image store"
if lxc info "$prefix-web" >/dev/null 2>&1; then echo "FAIL: an instance was left behind"; exit 1; fi
echo "ok: no instance left behind by the missing image"
# A host port already taken: the proxy device cannot listen, the new instance cannot start,
# and it is removed again instead of being left half-configured.
python -c '
import socket, time
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
time.sleep(120)
' > "$scratch/port" &
holder=$!
for _ in $(seq 1 50); do [ -s "$scratch/port" ] && break; sleep 0.1; done
taken=$(cat "$scratch/port")
expect_failure web_server "{\"web_server_instance\": \"$prefix-web\", \"web_server_profile\": \"$prefix-profile\", \"web_server_listen_port\": $taken, $network}" \
  "address already in use"
kill "$holder"
# LXD 5.0 words it either way ("address already in use" or "Failed to receive fd from listener
# process"): the module names the taken address and the device whatever LXD said.
grep -qF "address already in use on this host: 127.0.0.1:$taken (proxy device " "$scratch/out.txt" \
  || { echo "FAIL: the taken address and its proxy device were not named"; exit 1; }
grep -qF "the instance this task created was deleted again" "$scratch/out.txt" || { echo "FAIL: no word of the cleanup"; exit 1; }
if lxc info "$prefix-web" >/dev/null 2>&1; then echo "FAIL: the instance that could not start was left behind"; exit 1; fi
echo "ok: a taken port fails clearly and leaves no instance"
echo "roles_bad_input: 10 passed, 0 failed"
