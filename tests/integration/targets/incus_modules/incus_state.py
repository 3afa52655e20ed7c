"""Print what the bad-input tasks must leave as it was on Incus, as the incus CLI reads it:
instances and their status, profiles, networks, trusted certificates, and the config, devices,
profiles and snapshots of the instance given as the argument."""
import json
import subprocess
import sys


def incus(*args):
    return subprocess.check_output(("incus",) + args, text=True)


print(incus("list", "-f", "csv", "-c", "ns"), end="")
print(incus("profile", "list", "-f", "csv", "-c", "n"), end="")
print(incus("network", "list", "-f", "csv", "-c", "n"), end="")
print(incus("config", "trust", "list", "-f", "csv", "-c", "f"), end="")
instance = json.loads(incus("query", "/1.0/instances/%s?recursion=1" % sys.argv[1]))
print(json.dumps([instance["config"], instance["devices"], instance["profiles"],
                  sorted(snapshot["name"] for snapshot in instance.get("snapshots") or [])], sort_keys=True))
