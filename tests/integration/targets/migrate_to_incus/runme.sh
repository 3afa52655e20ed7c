#!/usr/bin/env bash
# LXD to Incus (issue 20) with playbooks/migrate-to-incus.yml: the web and DNS recipes, a custom
# volume with data and a snapshot of each instance on an LXD server (a fabric daemon over HTTPS);
# moved to this machine's Incus (its unix socket), LXD's bridge mapped onto Incus's own; the web
# page, the DNS answer and the data checked there, LXD left as it was (instances stopped), a second
# run changing nothing; the roles run again on Incus (only the DNS zone changes), then idempotent.
# Cross-checked with the lxc and incus CLIs. Prints how long the move took.
set -eux
prefix="mi$RANDOM$RANDOM"
source_daemon="it-mi-$RANDOM"
web_port=$((18100 + RANDOM % 400))
dns_port=$((15400 + RANDOM % 400))
collection="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/lxdkit/lxd"
fabric="$collection/tests/harness/fabric.sh"
scratch=$(mktemp -d)
unset LXD_DIR LXD_URL LXD_CLIENT_CERT LXD_CLIENT_KEY

cleanup() {
  local status=$?
  for name in "$prefix-web" "$prefix-dns"; do incus delete --force "$name" >/dev/null 2>&1 || true; done
  for name in "$prefix-web" "$prefix-data"; do incus profile delete "$name" >/dev/null 2>&1 || true; done
  incus storage volume delete default "$prefix-data" >/dev/null 2>&1 || true
  "$fabric" down "$source_daemon" || status=1
  rm -rf "$scratch"
  exit "$status"
}
trap cleanup EXIT
printf '[lxd_hosts]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python)" > "$scratch/hosts.ini"
field() { python -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=$prefix" 2>/dev/null
"$fabric" up "$source_daemon" >&2
"$fabric" env --json "$source_daemon" > "$scratch/lxd.json"
lxd_dir=$(field "$scratch/lxd.json" lxd_dir)
LXD_DIR=$lxd_dir lxc config trust add "$scratch/client.crt" --name "$prefix"

cat > "$scratch/lxd-site.json" <<JSON
{"mi_prefix": "$prefix", "mi_web_port": $web_port, "mi_dns_port": $dns_port,
 "site_url": "$(field "$scratch/lxd.json" url)", "site_server_cert": "$(field "$scratch/lxd.json" server_cert)",
 "site_client_cert": "$scratch/client.crt", "site_client_key": "$scratch/client.key", "site_network": "lxdbr0"}
JSON
ansible-playbook -i "$scratch/hosts.ini" setup.yml -e "@$scratch/lxd-site.json"
ansible-playbook -i "$scratch/hosts.ini" site.yml -e "@$scratch/lxd-site.json"
lxd_address=$(field "$scratch/lxd.json" address)
./probe.sh "$lxd_address" "$web_port" "$dns_port" "$prefix"
LXD_DIR=$lxd_dir lxc list --format csv --columns ns | sort > "$scratch/lxd-before.csv"
LXD_DIR=$lxd_dir lxc profile list --format csv | cut -d, -f1 | sort > "$scratch/lxd-profiles-before.csv"

# The move.
cat > "$scratch/migrate.json" <<JSON
{"migrate_dir": "$scratch/move",
 "migrate_lxd": {"url": "$(field "$scratch/lxd.json" url)", "server_cert": "$(field "$scratch/lxd.json" server_cert)",
                 "client_cert": "$scratch/client.crt", "client_key": "$scratch/client.key"},
 "migrate_incus": {"url": "unix:/var/lib/incus/unix.socket"},
 "migrate_mapping": {"networks": {"lxdbr0": "incusbr0"}},
 "migrate_start_order": ["$prefix-dns", "$prefix-web"],
 "migrate_probe_urls": ["http://127.0.0.1:$web_port/"],
 "migrate_probe_commands": ["$PWD/probe.sh 127.0.0.1 $web_port $dns_port $prefix"]}
JSON

# Bad input: each refused with a message that names it, before anything changes on either server.
# This run's instances only: the Incus lane of make integration works on the same Incus meanwhile.
incus list --format csv --columns ns "^$prefix-" | sort > "$scratch/incus-before.csv"
refused() {  # EXPECTED_TEXT EXTRA_VARS_JSON: the playbook fails, saying EXPECTED_TEXT
  if ansible-playbook -i "$scratch/hosts.ini" "$collection/playbooks/migrate-to-incus.yml" -e "@$scratch/migrate.json" -e "$2" \
      > "$scratch/refused.log" 2>&1; then
    echo "migrate-to-incus.yml took $2" >&2; return 1
  fi
  grep -qF "$1" "$scratch/refused.log" || { cat "$scratch/refused.log"; return 1; }
}
refused "migrate_lxd must reach LXD and migrate_incus Incus" \
  '{"migrate_lxd": {"url": "unix:/var/lib/incus/unix.socket"}, "migrate_incus": {"url": "unix:/var/lib/incus/unix.socket"}}'
refused "migrate_instances names instances LXD does not have: nosuch" '{"migrate_instances": ["nosuch"]}'
refused "migrate_mapping may only have the keys pools, networks, projects and profiles" '{"migrate_mapping": {"bridges": {}}}'
refused "migrate_dir must name a directory for the exports" '{"migrate_dir": ""}'
refused "migrate_compression must be one of none, gzip" '{"migrate_compression": "rar"}'
LXD_DIR=$lxd_dir lxc list --format csv --columns ns | sort | diff "$scratch/lxd-before.csv" -
incus list --format csv --columns ns "^$prefix-" | sort | diff "$scratch/incus-before.csv" -
[ ! -e "$scratch/move" ]

start=$(date +%s.%N)
ansible-playbook -i "$scratch/hosts.ini" "$collection/playbooks/migrate-to-incus.yml" -e "@$scratch/migrate.json" | tee "$scratch/move1.log"
end=$(date +%s.%N)
grep -qE '^localhost +: ok=[0-9]+ +changed=[1-9][0-9]* +unreachable=0 +failed=0' "$scratch/move1.log"
echo "migrate_to_incus: the move of the two-container site took $(python -c "print(round($end - $start, 1))") s"

# Incus as the incus CLI sees it: both instances running, their snapshots, the data, the profiles
# (the nic on incusbr0), the volume; the services answer on this host.
[ "$(incus list --format csv --columns ns "^$prefix-" | sort | tr '\n' ' ')" = "$prefix-dns,RUNNING $prefix-web,RUNNING " ]
incus info "$prefix-web" | grep -q "before-move"
incus info "$prefix-dns" | grep -q "before-move"
[ "$(incus exec "$prefix-dns" -- cat /srv/data/marker)" = "data of $prefix" ]
incus profile show "$prefix-web" | grep -q "network: incusbr0"
# LXD's key names, in Incus's.
[ "$(incus config get "$prefix-dns" security.guestapi)" = false ]
[ "$(incus profile get "$prefix-web" security.guestapi.images)" = false ]
incus storage volume show default "$prefix-data" >/dev/null
./probe.sh 127.0.0.1 "$web_port" "$dns_port" "$prefix"
# LXD as it was, but for the instances, stopped; nothing removed.
LXD_DIR=$lxd_dir lxc list --format csv --columns ns | sort > "$scratch/lxd-after.csv"
[ "$(sed 's/RUNNING/STOPPED/' "$scratch/lxd-before.csv")" = "$(cat "$scratch/lxd-after.csv")" ]
LXD_DIR=$lxd_dir lxc profile list --format csv | cut -d, -f1 | sort | diff "$scratch/lxd-profiles-before.csv" -
LXD_DIR=$lxd_dir lxc storage volume show default "$prefix-data" >/dev/null

# Second run: nothing changes.
ansible-playbook -i "$scratch/hosts.ini" "$collection/playbooks/migrate-to-incus.yml" -e "@$scratch/migrate.json" | tee "$scratch/move2.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$scratch/move2.log"

# The roles on Incus: the DNS zone takes Incus's addresses; then nothing changes.
cat > "$scratch/incus-site.json" <<JSON
{"mi_prefix": "$prefix", "mi_web_port": $web_port, "mi_dns_port": $dns_port,
 "site_url": "unix:/var/lib/incus/unix.socket", "site_network": "incusbr0"}
JSON
ansible-playbook -i "$scratch/hosts.ini" site.yml -e "@$scratch/incus-site.json" | tee "$scratch/site-incus1.log"
web_address=$(incus list --format csv --columns 4 "^$prefix-web\$" | cut -d' ' -f1)
[ "$(dig +short +time=3 +tries=1 @127.0.0.1 -p "$dns_port" "$prefix-web.$prefix.test" A)" = "$web_address" ]
ansible-playbook -i "$scratch/hosts.ini" site.yml -e "@$scratch/incus-site.json" | tee "$scratch/site-incus2.log"
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0' "$scratch/site-incus2.log"
# site.yml names the guest API keys as LXD does: on Incus they were found in Incus's spelling.
[ "$(incus config get "$prefix-dns" security.guestapi)" = false ]
[ "$(incus profile get "$prefix-web" security.guestapi.images)" = false ]
if incus config show "$prefix-dns" | grep -q devlxd || incus profile show "$prefix-web" | grep -q devlxd; then
  echo "FAIL: LXD's key names reached Incus"; exit 1
fi
./probe.sh 127.0.0.1 "$web_port" "$dns_port" "$prefix"
echo "migrate_to_incus: passed"
