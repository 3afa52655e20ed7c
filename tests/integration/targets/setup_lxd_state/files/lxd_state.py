"""Print LXD's objects as JSON, for before/after comparisons in the bad-input tests.

Only objects whose name matches --match are kept (tests on a shared daemon compare their own
objects plus the shared ones they could damage), and times LXD updates on its own are dropped.
"""

import argparse
import json
import re
import subprocess

COLLECTIONS = {
    "profiles": "/1.0/profiles?recursion=1",
    "networks": "/1.0/networks?recursion=1",
    "network_acls": "/1.0/network-acls?recursion=1",
    "instances": "/1.0/instances?recursion=1",
    "snapshots": None,
    "images": "/1.0/images?recursion=1",
    "volumes": "/1.0/storage-pools/default/volumes?recursion=1",
}
# Changed by LXD when anything uses the object, not by the module under test.
UNSTABLE = ("last_used_at", "used_by")


def query(path):
    return json.loads(subprocess.run(["lxc", "query", path], check=True, capture_output=True, text=True).stdout)


def names(item):
    if "aliases" in item:  # images are known by their aliases
        return [alias["name"] for alias in item["aliases"]] or [item.get("fingerprint", "")]
    return [item.get("name", "")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--match", default=".*", help="regular expression for object names to keep")
    pattern = re.compile(parser.parse_args().match)
    state = {}
    for kind, path in COLLECTIONS.items():
        if path is None:
            continue
        kept = [item for item in query(path) if any(pattern.search(name) for name in names(item))]
        for item in kept:
            for key in UNSTABLE:
                item.pop(key, None)
        state[kind] = sorted(kept, key=names)
    state["snapshots"] = dict(
        (instance["name"], [snapshot["name"] for snapshot in query("/1.0/instances/%s/snapshots?recursion=1" % instance["name"])])
        for instance in state["instances"])
    print(json.dumps(state, sort_keys=True))


if __name__ == "__main__":
    main()
