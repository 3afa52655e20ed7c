#!/usr/bin/env bash
# probe.sh ADDRESS WEB_PORT DNS_PORT PREFIX: the web page, and the DNS answer for www.<zone>
# (a CNAME to the web instance and its IPv4 address).
set -euo pipefail
curl -sf --noproxy '*' --max-time 5 "http://$1:$2/" | grep -qF "web of $4"
answer=$(dig +short +time=3 +tries=1 @"$1" -p "$3" "www.$4.test" A)
grep -qE "^$4-web\\.$4\\.test\\.\$" <<< "$answer"
grep -qE '^[0-9]+(\.[0-9]+){3}$' <<< "$answer"
