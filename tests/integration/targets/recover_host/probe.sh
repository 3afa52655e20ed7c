#!/usr/bin/env bash
# probe.sh ADDRESS WEB_PORT DNS_PORT PREFIX: the web page and the DNS answer for www.lxd.test.
set -euo pipefail
curl -sf --noproxy '*' --max-time 5 "http://$1:$2/" | grep -qF "web01 of $4"
answer=$(dig +short +time=3 +tries=1 @"$1" -p "$3" www.lxd.test A)
grep -qE '^web01\.lxd\.test\.$' <<< "$answer"
grep -qE '^[0-9]+(\.[0-9]+){3}$' <<< "$answer"
