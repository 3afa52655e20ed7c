#!/usr/bin/env bash
# The disaster-recovery drill of issue 21: the site (web and DNS recipes) deployed on a fabric
# daemon (LXD, or Incus in make integration's Incus lane) over HTTPS and backed up by
# backup_rotation (instances and the host's configuration); that daemon killed and its directory
# deleted; an empty daemon (fabric.sh up --bare: only its HTTPS address) gets everything back
# from the backup directory alone with playbooks/recover-host.yml, whose probes (and ours) find
# web and DNS answering again; a second run changes nothing. Cross-checked with lxc. Prints the recovery time (bench/RESULTS.md).
set -eux
prefix="lxdkit-rh-$RANDOM$RANDOM"
source_daemon="it-rh-src-$RANDOM"
new_daemon="it-rh-new-$RANDOM"
web_port=18081
# The kind of the daemons: the server under test (Incus in make integration's Incus lane).
server_kind=${LXDKIT_TEST_SERVER:-lxd}
dns_port=15354
collection="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/lxdkit/lxd"
fabric="$collection/tests/harness/fabric.sh"
scratch=$(mktemp -d)
inventory="$scratch/inventory.ini"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$inventory"

cleanup() {
  local status=$?
  "$fabric" down "$source_daemon" "$new_daemon" || status=1
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=$prefix" 2>/dev/null

up() {  # NAME [--bare]: a daemon that trusts our certificate; prints its env as JSON
  "$fabric" up --kind "$server_kind" ${2:+"$2"} "$1" >&2
  LXD_DIR="$("$fabric" env --json "$1" | python -c 'import json, sys; print(json.load(sys.stdin)["lxd_dir"])')" \
    lxc config trust add "$scratch/client.crt" --name "$prefix" >&2
  "$fabric" env --json "$1"
}
field() { python -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
vars_for() {  # ENV_JSON: the play variables for that daemon
  cat > "$scratch/vars.json" <<JSON
{"rh_prefix": "$prefix", "rh_web_port": $web_port, "rh_dns_port": $dns_port, "rh_backup_dir": "$scratch/backups",
 "srv_url": "$(field "$1" url)", "srv_server_cert": "$(field "$1" server_cert)",
 "client_cert": "$scratch/client.crt", "client_key": "$scratch/client.key",
 "main_socket": "/var/lib/$server_kind/unix.socket", "srv_bridge": "$(field "$1" bridge)"}
JSON
}
unset LXD_DIR LXD_URL LXD_CLIENT_CERT LXD_CLIENT_KEY

# The site and its backups on the first server.
up "$source_daemon" > "$scratch/src.json"
vars_for "$scratch/src.json"
ansible-playbook -i "$inventory" setup.yml -e "@$scratch/vars.json"
ansible-playbook -i "$inventory" site.yml -e "@$scratch/vars.json"
./probe.sh "$(field "$scratch/src.json" address)" "$web_port" "$dns_port" "$prefix"
ls "$scratch/backups" "$scratch/backups/host-config"

# The disaster: the instances die with the machine (stopped by force: a killed daemon would leave
# their processes running on this host), the daemon killed, its directory (instances, images,
# config) gone.
LXD_DIR=$(field "$scratch/src.json" lxd_dir) lxc stop --all --force
kill -KILL "$(cat "$(dirname "$(field "$scratch/src.json" lxd_dir)")/daemon.pid")"
"$fabric" down "$source_daemon"

# An empty server: only its HTTPS address (no pool, network or profile device).
up "$new_daemon" --bare > "$scratch/new.json"
new_dir=$(field "$scratch/new.json" lxd_dir)
new_address=$(field "$scratch/new.json" address)
[ -z "$(LXD_DIR=$new_dir lxc list --format csv --columns n)" ]
[ "$(LXD_DIR=$new_dir lxc storage list --format csv | wc -l)" = 0 ]
vars_for "$scratch/new.json"
cat > "$scratch/recover.json" <<JSON
{"lxd_url": "$(field "$scratch/new.json" url)", "lxd_server_cert": "$(field "$scratch/new.json" server_cert)",
 "lxd_client_cert": "$scratch/client.crt", "lxd_client_key": "$scratch/client.key",
 "recover_backup_dir": "$scratch/backups", "recover_start_order": ["dns01", "web01"],
 "recover_probe_urls": ["http://$new_address:$web_port/"],
 "recover_probe_commands": ["$PWD/probe.sh $new_address $web_port $dns_port $prefix"]}
JSON
printf '[lxd_hosts]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$scratch/hosts.ini"

start=$(date +%s.%N)
ansible-playbook -i "$scratch/hosts.ini" "$collection/playbooks/recover-host.yml" -e "@$scratch/recover.json" -v | tee "$scratch/recover1.log"
end=$(date +%s.%N)
grep -qE '^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0' "$scratch/recover1.log"
echo "recover_host: full recovery of the two-container site took $(python -c "print(round($end - $start, 1))") s"

# Our own probe, and lxc's view of the new server.
./probe.sh "$new_address" "$web_port" "$dns_port" "$prefix"
[ "$(LXD_DIR=$new_dir lxc list --format csv --columns ns | sort | tr '\n' ' ')" = "dns01,RUNNING web01,RUNNING " ]
LXD_DIR=$new_dir lxc profile show web-server | grep -q "/1.0/instances/web01"
LXD_DIR=$new_dir lxc network get "$(field "$scratch/src.json" bridge)" ipv4.nat | grep -qx false
[ "$(LXD_DIR=$new_dir lxc exec web01 -- cat /srv/data/marker)" = "data of $prefix" ]

# Second run: nothing changes.
ansible-playbook -i "$scratch/hosts.ini" "$collection/playbooks/recover-host.yml" -e "@$scratch/recover.json" | tee "$scratch/recover2.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$scratch/recover2.log"
echo "recover_host: passed"
