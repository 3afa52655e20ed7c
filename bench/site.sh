#!/usr/bin/env bash
# Benchmark: the site playbook (web server, DNS server, backups of both) from nothing, then a
# no-op rerun, on this machine's LXD. It first removes what `make demo` made (web01, dns01,
# the web-server profile, their backup files) and leaves the converged site behind, as the demo.
# Usage: bench/site.sh   (needs make venv lxd)
set -euo pipefail
cd "$(dirname "$0")/.."
collections=/tmp/lxdkit-bench-collections
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make -s venv collection COLLECTIONS=$collections >/dev/null

for instance in web01 dns01; do lxc delete --force "$instance" >/dev/null 2>&1 || true; done
lxc profile delete web-server >/dev/null 2>&1 || true
rm -f /var/backups/lxd/web01-* /var/backups/lxd/dns01-* /var/backups/lxd-second/web01-* /var/backups/lxd-second/dns01-*

run_site() {  # $1 log name; prints seconds
  local start end
  start=$(date +%s.%N)
  (cd "$collections/ansible_collections/lxdkit/lxd" &&
    ANSIBLE_COLLECTIONS_PATH=$collections "$OLDPWD/.venv/bin/ansible-playbook" -i playbooks/inventory/hosts.yml playbooks/site.yml) \
    > "$work/$1.log" 2>&1 || { cat "$work/$1.log"; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
recap() { grep -E '^localhost +:' "$work/$1.log" | sed -E 's/ +/ /g; s/^localhost : //; s/ $//'; }
changed() { grep -Eo 'changed=[0-9]+' "$work/$1.log" | tail -n 1 | cut -d= -f2; }

first=$(run_site first)
rerun=$(run_site rerun)
printf '\nplaybooks/site.yml, LXD %s, ansible-core %s, %s cores\n\n' "$(lxd --version)" \
  "$(.venv/bin/ansible --version | head -n 1 | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+')" "$(nproc)"
printf '| run | seconds | recap |\n|---|---|---|\n'
printf '| first converge (from nothing) | %.1f | %s |\n' "$first" "$(recap first)"
printf '| no-op rerun | %.1f | %s |\n' "$rerun" "$(recap rerun)"
[ "$(changed rerun)" -eq 0 ] || { echo "the rerun changed something" >&2; exit 1; }
