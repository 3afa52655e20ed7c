#!/usr/bin/env bash
# on-server.sh SERVER COMMAND...: run COMMAND (ansible-test integration ..., from the collection's
# build copy) with the integration targets talking to SERVER: lxd (the default: COMMAND as it is)
# or incus (Incus 6.0 of tests/harness/prepare-incus.sh). The one switch behind
# `make integration SERVER=incus`.
#
# For incus, in a copy of the build copy made for this run (never the source tree, and never the
# build copy the other make goals use; removed at the end):
#   - every target gets the ansible-test aliases env/set/LXD_URL/unix:/var/lib/incus/unix.socket and
#     env/set/LXDKIT_TEST_SERVER/incus (ansible-test passes targets no other environment): the
#     modules, the connection and the inventory plugin then reach Incus, and a target can tell
#     which server it tests;
#   - a directory first in PATH whose `lxc` runs `incus` (the targets cross-check with the CLI),
#     with LXD's few commands that Incus spells otherwise translated; with LXD_DIR set (a fabric
#     LXD daemon) it runs the real lxc;
#   - targets marked lxd_only in their aliases (each says why) are left out.
set -euo pipefail

server=${1:?usage: on-server.sh lxd|incus COMMAND...}
shift
case "$server" in
  lxd) exec "$@" ;;
  incus) ;;
  *) echo "on-server.sh: SERVER must be lxd or incus (got '$server')" >&2; exit 2 ;;
esac

incus_socket=/var/lib/incus/unix.socket
if ! incus query /1.0 >/dev/null 2>&1; then
  echo "on-server.sh: Incus does not answer at $incus_socket: run make incus first" >&2
  exit 1
fi
[ -d tests/integration/targets ] || { echo "on-server.sh: run from the collection's build copy" >&2; exit 2; }

workdir=$(mktemp -d /tmp/lxdkit-on-incus.XXXXXX)
trap 'rm -rf "$workdir"' EXIT
namespace_dir=$(dirname "$PWD")
copy="$workdir/ansible_collections/$(basename "$namespace_dir")/$(basename "$PWD")"
mkdir -p "$(dirname "$copy")"
cp -a . "$copy"
cd "$copy"

for aliases in tests/integration/targets/*/aliases; do
  grep -qx 'env/set/LXDKIT_TEST_SERVER/incus' "$aliases" ||
    printf 'env/set/LXD_URL/unix:%s\nenv/set/LXDKIT_TEST_SERVER/incus\n' "$incus_socket" >> "$aliases"
done

shim="$workdir/bin"
mkdir "$shim"
real_lxc=$(command -v lxc)
cat > "$shim/lxc" <<SHIM
#!/usr/bin/env bash
# lxc for the targets, answered by incus (tests/harness/on-server.sh).
[ -z "\${LXD_DIR:-}" ] || exec "$real_lxc" "\$@"
case "\${1:-}" in
  snapshot) shift; exec incus snapshot create "\$@" ;;
  restore) shift; exec incus snapshot restore "\$@" ;;
  delete) case "\${2:-}" in */*) exec incus snapshot delete "\${2%%/*}" "\${2#*/}" ;; esac ;;
esac
if [ "\${1:-}" = config ] && [ "\${2:-}" = trust ] && [ "\${3:-}" = add ] && [ -f "\${4:-}" ]; then
  shift 3; exec incus config trust add-certificate "\$@"
fi
exec incus "\$@"
SHIM
chmod +x "$shim/lxc"

PATH="$shim:$PATH" "$@" --exclude lxd_only/
