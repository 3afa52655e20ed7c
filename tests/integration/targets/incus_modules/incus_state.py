"""Print what the bad-input tasks must leave as it was on Incus, as the incus CLI reads it:
this test's instances and their status, profiles and network with the shared default profile
and incusbr0, the trusted certificate of this test's client, and the config, devices, profiles
and snapshots of the instance given as the first argument (PREFIX-c); the second argument is the
client certificate. Only this test's objects and the shared ones: make integration's Incus lane
changes its own objects on the same Incus at the same time."""
import hashlib
import json
import ssl
import subprocess
import sys


def incus(*args):
    return subprocess.check_output(("incus",) + args, text=True)


def rows(*args, keep):
    return "".join(line + "\n" for line in incus(*args).splitlines() if keep(line.split(",")[0]))


instance, certificate = sys.argv[1], sys.argv[2]
prefix = instance.rsplit("-", 1)[0]
with open(certificate) as pem:
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem.read())).hexdigest()
print(rows("list", "-f", "csv", "-c", "ns", keep=lambda name: name.startswith(prefix)), end="")
print(rows("profile", "list", "-f", "csv", "-c", "n", keep=lambda name: name == "default" or name.startswith(prefix)), end="")
print(rows("network", "list", "-f", "csv", "-c", "n", keep=lambda name: name in ("incusbr0", "lxk" + prefix[-8:])), end="")
print(rows("config", "trust", "list", "-f", "csv", "-c", "f", keep=fingerprint.startswith), end="")
state = json.loads(incus("query", "/1.0/instances/%s?recursion=1" % instance))
print(json.dumps([state["config"], state["devices"], state["profiles"],
                  sorted(snapshot["name"] for snapshot in state.get("snapshots") or [])], sort_keys=True))
