#!/usr/bin/env bash
# The lxdkit.lxd.lxd connection against a Debian container, with and without pipelining.
set -eux
prefix="lxdkit-$RANDOM$RANDOM"
export ANSIBLE_ROLES_PATH=..
cleanup() { lxc delete --force "$prefix-c" >/dev/null 2>&1 || true; rm -rf "$scratch"; }
scratch=$(mktemp -d)
trap cleanup EXIT

cat > "$scratch/inventory.ini" <<INI
[controller]
localhost ansible_connection=local ansible_python_interpreter=$(command -v python)

[containers]
$prefix-c ansible_connection=lxdkit.lxd.lxd ansible_python_interpreter=/usr/bin/python3

[users]
$prefix-u ansible_connection=lxdkit.lxd.lxd ansible_lxd_instance=$prefix-c ansible_user=lxdkituser ansible_pipelining=false ansible_python_interpreter=/usr/bin/python3
INI

ansible-playbook -i "$scratch/inventory.ini" setup.yml -e "container=$prefix-c"
ANSIBLE_PIPELINING=1 ansible-playbook -i "$scratch/inventory.ini" tasks.yml -e "scratch=$scratch pipelining=true"
ANSIBLE_PIPELINING=0 ansible-playbook -i "$scratch/inventory.ini" tasks.yml -e "scratch=$scratch pipelining=false"

# As a user, with become. ansible_pipelining=false on the host wins over the environment:
# modules are put as files in the user's home (PUT AnsiballZ_...), owned by the user.
user_start=$SECONDS
ANSIBLE_PIPELINING=1 ansible-playbook -vvv -i "$scratch/inventory.ini" user.yml > "$scratch/user.log"
grep -q "PUT .* TO /home/lxdkituser/.ansible/tmp/.*/AnsiballZ_stat.py" "$scratch/user.log"
# With pipelining on for that host, the stat module (no become) is piped, not put.
ANSIBLE_PIPELINING=1 ansible-playbook -vvv -i "$scratch/inventory.ini" user.yml -e ansible_pipelining=true > "$scratch/user-pipelined.log"
if grep -q "AnsiballZ_stat.py" "$scratch/user-pipelined.log"; then
  echo "the stat module was put as a file although pipelining was on"; exit 1
fi
echo "tasks as a user: $((SECONDS - user_start)) s"

# The same connection over HTTPS with a client certificate and the server's certificate pinned.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=$prefix" 2>/dev/null
lxc config trust add "$scratch/client.crt" --name "$prefix"
fingerprint=$(openssl x509 -in "$scratch/client.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
cat > "$scratch/https.ini" <<INI
[containers]
$prefix-c ansible_connection=lxdkit.lxd.lxd ansible_python_interpreter=/usr/bin/python3 ansible_lxd_url=https://$(lxc config get core.https_address) ansible_lxd_client_cert=$scratch/client.crt ansible_lxd_client_key=$scratch/client.key ansible_lxd_server_cert=/var/lib/${LXDKIT_TEST_SERVER:-lxd}/server.crt
INI
https_status=0
ANSIBLE_PIPELINING=1 ansible-playbook -i "$scratch/https.ini" https.yml -e "scratch=$scratch" || https_status=$?
lxc config trust remove "${fingerprint:0:12}"
[ "$https_status" -eq 0 ]

ansible-playbook -i "$scratch/inventory.ini" stopped.yml -e "container=$prefix-c"
