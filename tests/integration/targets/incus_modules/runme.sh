#!/usr/bin/env bash
# The collection against Incus 6.0 (tests/harness/prepare-incus.sh), through its unix socket,
# every result cross-checked with the incus CLI: the modules (modules.yml), bad input that must
# leave Incus as it was (errors.yml), the connection plugin (connection.yml) and the inventory
# plugin, on instances made here.
set -eux
prefix="lxdkit-$RANDOM$RANDOM"
scratch=$(mktemp -d)
# Every name this run may make on Incus (instances, profile, network, image alias).
cleanup() {
  for name in "$prefix-c" "$prefix-r" "$prefix-d"; do incus delete --force "$name" >/dev/null 2>&1 || true; done
  incus profile delete "$prefix-web" >/dev/null 2>&1 || true
  incus network delete "lxk${prefix: -8}" >/dev/null 2>&1 || true
  incus image delete "$prefix-img" >/dev/null 2>&1 || true
  fingerprint=$(openssl x509 -in "$scratch/client.crt" -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
  [ -z "$fingerprint" ] || incus config trust remove "${fingerprint:0:12}" >/dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
start=$SECONDS

# A client certificate Incus does not trust, for the HTTPS bad-input case.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 2 \
  -keyout "$scratch/client.key" -out "$scratch/client.crt" -subj "/CN=$prefix" 2>/dev/null

ansible-playbook -i localhost, -c local modules.yml -e "prefix=$prefix scratch=$scratch" \
  -e "ansible_python_interpreter=$(command -v python)"
echo "modules: $((SECONDS - start)) s"

# The connection plugin: a Debian container on Incus (python3 inside), reached by its socket.
cat > "$scratch/inventory.ini" <<INI
[controller]
localhost ansible_connection=local ansible_python_interpreter=$(command -v python)

[incus]
$prefix-d ansible_connection=lxdkit.lxd.lxd ansible_lxd_url=unix:/var/lib/incus/unix.socket ansible_python_interpreter=/usr/bin/python3
INI
conn_start=$SECONDS
ANSIBLE_PIPELINING=0 ansible-playbook -i "$scratch/inventory.ini" connection.yml -e "prefix=$prefix scratch=$scratch"
echo "connection plugin: $((SECONDS - conn_start)) s"

# The inventory plugin: the Incus instances this run made, as the incus CLI lists them.
cat > "$scratch/incus.lxd.yml" <<YAML
plugin: lxdkit.lxd.lxd
url: unix:/var/lib/incus/unix.socket
name_pattern: "^$prefix-"
YAML
ansible-inventory -i "$scratch/incus.lxd.yml" --list > "$scratch/inventory.json"
python - "$scratch/inventory.json" "$prefix" <<'PY'
import json, subprocess, sys
def plain(value):  # ansible-inventory marks values from the plugin as unsafe: {"__ansible_unsafe": ...}
    if isinstance(value, dict):
        return value["__ansible_unsafe"] if set(value) == {"__ansible_unsafe"} else dict((k, plain(v)) for k, v in value.items())
    return [plain(item) for item in value] if isinstance(value, list) else value
listed = plain(json.load(open(sys.argv[1])))
prefix = sys.argv[2]
hosts = listed["_meta"]["hostvars"]
incus = dict(line.split(",")[:2] for line in subprocess.check_output(
    ["incus", "list", "-f", "csv", "-c", "ns", "^%s-" % prefix], text=True).splitlines())
assert sorted(hosts) == sorted(incus), (sorted(hosts), incus)
for name, variables in hosts.items():
    assert variables["lxd_status"].upper() == incus[name], (name, variables["lxd_status"], incus[name])
    assert variables["ansible_connection"] == "lxdkit.lxd.lxd"
    assert variables["ansible_lxd_url"] == "unix:/var/lib/incus/unix.socket", variables
print("inventory: %d Incus instances, as incus list shows them" % len(hosts))
PY
# The inventory's hosts reached through the connection plugin with the url it passed on.
ansible -i "$scratch/incus.lxd.yml" "$prefix-d" -m ansible.builtin.command -a "cat /etc/hostname" \
  -e ansible_python_interpreter=/usr/bin/python3 | grep -q "$prefix-d"
echo "incus_modules: $((SECONDS - start)) s"
