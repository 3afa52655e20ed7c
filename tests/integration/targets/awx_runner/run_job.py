#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a playbook as an AWX job template does: ansible-runner with a private data directory,
a credential of the custom type of docs/awx.md injected the way AWX injects one (its file
templates written to files, extra variables rendered with their paths). Prints the job's
status, stats and the events' host results as JSON.

Usage: run_job.py DOCS_AWX_MD PROJECT_DIR INVENTORY_DIR PLAYBOOK DATA_DIR CREDENTIAL_JSON EXTRAVARS_JSON"""

import json
import os
import re
import sys

import ansible_runner
import jinja2
import yaml


def credential_type(awx_md):
    """The input and injector configuration of the credential type, as docs/awx.md gives them."""
    text = open(awx_md).read()
    blocks = {}
    for part in ("inputs", "injectors"):
        marker = text.index("<!-- credential-type %s:" % part)
        blocks[part] = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text[marker:], re.S).group(1))
    return blocks


def inject(kind, inputs, directory):
    """AWX's injection of a custom credential: each ``file`` template rendered into a file of
    its own (mode 0600), then ``env`` and ``extra_vars`` rendered with ``tower.filename.<name>``
    (inputs left empty take their declared default)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    filenames = {}
    for key, template in kind["injectors"].get("file", {}).items():
        name = key.split(".", 1)[1]
        path = os.path.join(directory, "cred_" + name)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
            out.write(env.from_string(template).render(**inputs))
        filenames[name] = path
    context = dict(inputs, tower={"filename": filenames})
    return [{key: env.from_string(value).render(**context) for key, value in kind["injectors"].get(section, {}).items()}
            for section in ("env", "extra_vars")]


def main():
    awx_md, project, inventory, playbook, data_dir, credential, extravars = sys.argv[1:8]
    kind = credential_type(awx_md)
    inputs = json.load(open(credential))
    fields = kind["inputs"]["fields"]
    assert set(kind["inputs"]["required"]) <= set(inputs) <= {field["id"] for field in fields}, "credential inputs do not match the type"
    inputs = dict({field["id"]: field["default"] for field in fields if "default" in field}, **inputs)
    os.makedirs(os.path.join(data_dir, "env"), exist_ok=True)
    cred_dir = os.path.join(os.path.dirname(data_dir), "creds")
    os.makedirs(cred_dir, mode=0o700, exist_ok=True)
    environment, injected = inject(kind, inputs, cred_dir)
    variables = dict(json.load(open(extravars)), **injected)
    for name, content in (("extravars", variables), ("envvars", environment), ("passwords", {}),
                          ("settings", {"job_timeout": 300, "suppress_ansible_output": True})):
        with open(os.path.join(data_dir, "env", name), "w") as out:
            yaml.safe_dump(content, out)
    for link, target in (("project", project), ("inventory", inventory)):
        if not os.path.exists(os.path.join(data_dir, link)):
            os.symlink(target, os.path.join(data_dir, link))
    run = ansible_runner.run(private_data_dir=data_dir, playbook=playbook, quiet=True)
    hosts = {}
    for event in run.events:
        if event.get("event", "").startswith("runner_on_"):
            hosts.setdefault(event["event_data"].get("host"), []).append(event["event"])
    print(json.dumps({"status": run.status, "rc": run.rc, "stats": run.stats, "events": sorted({e["event"] for e in run.events}),
                      "host_events": {host: sorted(set(kinds)) for host, kinds in hosts.items()},
                      "artifacts": os.path.join(data_dir, "artifacts")}))


if __name__ == "__main__":
    main()
