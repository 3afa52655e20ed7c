#!/usr/bin/env bash
# The web_server role deployed on a second daemon (tests/harness/fabric.sh; LXD, or Incus in make
# integration's Incus lane) over HTTPS, with a trusted client certificate and the server's
# certificate pinned, never through a unix socket: the Debian image pushed there from the main
# server, the role run with module_defaults and the connection's ansible_lxd_* variables, the
# proxy device on the server's fabric address, the page fetched from this host; a second run
# changes nothing. What it made is removed with the modules, then the daemon is stopped.
set -eux
prefix="lxdkit-rr-$RANDOM$RANDOM"
daemon="it-rr-$RANDOM$RANDOM"
port=18080
# The kind of the second server: the server under test (Incus in make integration's Incus lane).
server_kind=${LXDKIT_TEST_SERVER:-lxd}
server_title=$([ "$server_kind" = incus ] && echo Incus || echo LXD)
main_socket=/var/lib/$server_kind/unix.socket
# Where ansible-test put the collection, as setup_fabric finds the harness.
fabric="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/lxdkit/lxd/tests/harness/fabric.sh"
scratch=$(mktemp -d)
inventory="$scratch/inventory.ini"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$inventory"

cleanup() {
  local status=$?
  if [ -s "$scratch/vars.json" ]; then
    ansible-playbook -i "$inventory" cleanup.yml -e "@$scratch/vars.json" || status=1
  fi
  "$fabric" down "$daemon" || status=1
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT

"$fabric" up --kind "$server_kind" "$daemon"
"$fabric" env --json "$daemon" > "$scratch/srv.json"
srv() { python -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$scratch/srv.json" "$1"; }
srv_dir=$(srv lxd_dir)
srv_url=$(srv url)
srv_address=$(srv address)

# A client certificate, trusted on the second server as its admin would (lxc on its socket).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=$prefix" 2>/dev/null
LXD_DIR=$srv_dir lxc config trust add "$scratch/client.crt" --name "$prefix"

cat > "$scratch/vars.json" <<JSON
{"rr_prefix": "$prefix", "rr_port": $port, "srv_name": "$daemon", "srv_url": "$srv_url",
 "srv_address": "$srv_address", "srv_server_cert": "$(srv server_cert)",
 "client_cert": "$scratch/client.crt", "client_key": "$scratch/client.key", "main_socket": "$main_socket",
 "srv_bridge": "$(srv bridge)"}
JSON
# Nothing below may fall back to a unix socket.
unset LXD_DIR LXD_URL LXD_CLIENT_CERT LXD_CLIENT_KEY

ansible-playbook -i "$inventory" setup.yml -e "@$scratch/vars.json"

# First run, with the connection's -vvv lines: every task inside the container went over HTTPS.
ansible-playbook -i "$inventory" site.yml -e "@$scratch/vars.json" -vvv > "$scratch/first.log" 2>&1 || { cat "$scratch/first.log"; exit 1; }
grep -E '^localhost +: ok=' "$scratch/first.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0' "$scratch/first.log"
grep -qF "$server_title at $srv_url: connected to instance $prefix-web" "$scratch/first.log"
if grep -E '(LXD|Incus) at [^ ]+: connected to instance' "$scratch/first.log" | grep -vqF "$server_title at $srv_url:"; then
  echo "FAIL: a task reached the container through another server"; exit 1
fi

ansible-playbook -i "$inventory" verify.yml -e "@$scratch/vars.json"

# Second run: nothing changes.
ansible-playbook -i "$inventory" site.yml -e "@$scratch/vars.json" | tee "$scratch/second.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$scratch/second.log"

ansible-playbook -i "$inventory" verify.yml -e "@$scratch/vars.json"

# Cross-checks with lxc: the instance runs on the second server, with its proxy on the fabric
# address, and not on the main LXD; the main LXD's loopback does not serve the page.
[ "$(LXD_DIR=$srv_dir lxc list "^$prefix-web\$" --format csv --columns ns)" = "$prefix-web,RUNNING" ]
[ "$(LXD_DIR=$srv_dir lxc config device get "$prefix-web" http listen)" = "tcp:$srv_address:$port" ]
[ -z "$(lxc list "^$prefix-web\$" --format csv --columns n)" ]
[ "$(LXD_DIR=$srv_dir lxc profile show "$prefix-web-server" | grep -c "/1.0/instances/$prefix-web")" -eq 1 ]

# The cleanup, checked: nothing of the target's is left on the second server.
ansible-playbook -i "$inventory" cleanup.yml -e "@$scratch/vars.json"
[ -z "$(LXD_DIR=$srv_dir lxc list --format csv --columns n)" ]
[ -z "$(LXD_DIR=$srv_dir lxc image list --format csv --columns f)" ]
if LXD_DIR=$srv_dir lxc profile show "$prefix-web-server" >/dev/null 2>&1; then echo "FAIL: profile left behind"; exit 1; fi
echo "roles_remote_server: passed"
