"""Set-up for the snapshot benchmarks: take snapshots of one instance, one after the other, over
the server's unix socket with the standard library (no client start per snapshot, so the
set-up of 300 snapshots costs the server's work alone). Works with LXD and Incus alike.

Usage: make_snapshots.py SOCKET INSTANCE NAME...
"""
import http.client
import json
import socket
import sys
from urllib.parse import quote


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def call(connection, method, path, body=None):
    data = None if body is None else json.dumps(body)
    connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    return json.loads(response.read() or b"{}")


def main():
    path, instance, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    connection = UnixConnection(path)
    for name in names:
        started = call(connection, "POST", "/1.0/instances/%s/snapshots" % quote(instance), {"name": name})
        if started.get("type") != "async":
            sys.exit("snapshot %s refused: %s" % (name, started.get("error")))
        done = call(connection, "GET", started["operation"] + "/wait?timeout=120")
        if done.get("metadata", {}).get("status") != "Success":
            sys.exit("snapshot %s failed: %s" % (name, done.get("metadata", {}).get("err") or done.get("error")))


if __name__ == "__main__":
    main()
