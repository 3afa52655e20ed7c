"""The same deletions as lxd_snapshot state=pruned, without Ansible or any collection code:
the standard library alone over LXD's unix socket. One thread keeps PARALLEL deletions
running: it starts a DELETE, and once PARALLEL are running waits for the oldest first, as the
module does. What is left of the time is LXD's own work. Prints the seconds taken.

Usage: prune_without_ansible.py OWNER PARALLEL SNAPSHOT...   (socket: $LXD_SOCKET or LXD's default)
OWNER is an instance, or POOL/VOLUME for the snapshots of a custom volume (instance names
cannot hold a slash).
"""
import collections
import http.client
import json
import os
import socket
import sys
import time
from urllib.parse import quote

SOCKET = os.environ.get("LXD_SOCKET", "/var/lib/lxd/unix.socket")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("lxd", timeout=120)

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(SOCKET)


def call(connection, method, path):
    connection.request(method, path)
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def main():
    owner, parallel, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    if "/" in owner:
        pool, volume = owner.split("/", 1)
        snapshots = "/1.0/storage-pools/%s/volumes/custom/%s/snapshots/" % (quote(pool), quote(volume))
    else:
        snapshots = "/1.0/instances/%s/snapshots/" % quote(owner)
    idle = [UnixConnection() for slot in range(parallel + 1)]
    running = collections.deque()  # connections whose operation wait is sent, oldest first
    refused = []

    def wait_oldest():
        connection = running.popleft()
        # LXD 5.0's backup.yaml race fails some operations after the snapshot is gone; what
        # matters here is the time, and the caller counts what is still listed.
        connection.getresponse().read()
        idle.append(connection)

    start = time.monotonic()
    for name in names:
        if len(running) >= parallel:
            wait_oldest()
        connection = idle.pop()
        status, body = call(connection, "DELETE", snapshots + quote(name))
        if status != 202:
            refused.append("%s: %s" % (name, body.get("error")))
            idle.append(connection)
            continue
        # The wait is sent now and its answer read later: the connection holds it meanwhile.
        connection.request("GET", body["operation"] + "/wait?timeout=120")
        running.append(connection)
    while running:
        wait_oldest()
    print("%.2f" % (time.monotonic() - start))
    if refused:
        sys.exit("refused: %s" % "; ".join(refused[:5]))


if __name__ == "__main__":
    main()
