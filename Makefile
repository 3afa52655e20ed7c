# Two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
# ansible-test wants the collection under ansible_collections/NAMESPACE/NAME, outside any git
# work tree (inside one it lists files with git, and build/ is ignored there).
COLLECTIONS ?= /tmp/lxdkit-collections-$(shell printf %s "$(CURDIR)" | md5sum | cut -c1-8)
COLLECTION := $(COLLECTIONS)/ansible_collections/lxdkit/lxd
TEST_PYTHON := 3.11
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PATH := $(BIN):$(PATH)

.PHONY: test demo bench venv lxd incus test-tools collection ecosystem docs oldest molecule sanity lint units integration changelog-lint clean

test: sanity lint units integration molecule changelog-lint ecosystem oldest

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

lxd:
	tests/harness/prepare-lxd.sh

# Incus 6.0 beside the main LXD (the incus_modules target); the busybox image comes from LXD.
incus: lxd
	tests/harness/prepare-incus.sh

# Programs the tests call: shellcheck (sanity, for the harness scripts) and the compressors
# the unit tests make backup archives with.
TEST_TOOLS := shellcheck zstd xz bzip2 lz4
test-tools:
	for tool in $(TEST_TOOLS); do command -v $$tool >/dev/null || missing=1; done; \
	  [ -z "$$missing" ] || { apt-get update -q >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck zstd xz-utils bzip2 lz4 >/dev/null; }

# A copy of the tracked (and new, not ignored) files at the path ansible-test expects.
collection:
	rm -rf $(COLLECTION)
	mkdir -p $(COLLECTION)
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
		| tar -c -T - | tar -x -C $(COLLECTION)

# ansible-test bootstraps pip in its sanity venvs with a script from a host this machine cannot
# reach; an equivalent offline script goes where ansible-test caches that download.
# $(1): the virtualenv whose ansible-test will look for it.
offline_get_pip = pin=$$(grep -ho "pip='[0-9.]*'" $(1)/lib/python*/site-packages/ansible_test/_internal/python_requirements.py | head -n1 | grep -o '[0-9.]*' | tr . _); \
	  mkdir -p $(HOME)/.ansible/test/cache && cp tests/harness/get_pip_offline.py $(HOME)/.ansible/test/cache/get_pip_$$pin.py

sanity: venv collection test-tools
	$(call offline_get_pip,$(VENV))
	cd $(COLLECTION) && ansible-test sanity --color no --venv --python $(TEST_PYTHON)

# Offline (.ansible-lint): the collection is resolved from the build copy, never installed.
lint: venv collection
	ansible-lint --profile production

units: venv collection test-tools
	cd $(COLLECTION) && ansible-test units --color no --local --python $(TEST_PYTHON)

# The targets against each server of SERVERS, both at the same time (tests/harness/on-server.sh);
# the incus lane leaves out the targets marked lxd_only. SERVERS=lxd or SERVERS=incus runs one.
SERVERS ?= lxd incus
integration: venv collection lxd incus
	cd $(COLLECTION) && $(CURDIR)/tests/harness/on-server.sh "$(SERVERS)" \
	  ansible-test integration --color no --local --allow-destructive --python $(TEST_PYTHON) $(TARGETS)

changelog-lint: venv
	antsibull-changelog lint

# The oldest supported ansible-core (requires_ansible): sanity, units, and the foundation's
# integration targets. The newest runs everything above.
OLDEST_VENV := .venv-oldest
OLDEST_TARGETS ?= lxd_profile lxd_connection_options
$(OLDEST_VENV)/.installed: requirements-oldest.txt
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_VENV)/bin/pip install -q -r requirements-oldest.txt
	touch $@

oldest: $(OLDEST_VENV)/.installed collection test-tools lxd
	$(call offline_get_pip,$(OLDEST_VENV))
	cd $(COLLECTION) && PATH=$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH ansible-test sanity --color no --venv --python $(TEST_PYTHON)
	cd $(COLLECTION) && PATH=$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH ansible-test units --color no --local --python $(TEST_PYTHON)
	cd $(COLLECTION) && PATH=$(CURDIR)/$(OLDEST_VENV)/bin:$$PATH ansible-test integration --color no --local --allow-destructive --python $(TEST_PYTHON) $(OLDEST_TARGETS)

# Galaxy / Automation Hub import check, docs lint and execution-environment definition.
ECO_VENV := .venv-eco
$(ECO_VENV)/.installed: requirements-eco.txt
	$(PYTHON) -m venv $(ECO_VENV)
	$(ECO_VENV)/bin/pip install -q -r requirements-eco.txt
	touch $@

ecosystem: $(ECO_VENV)/.installed collection
	rm -rf $(COLLECTIONS)/dist $(COLLECTIONS)/ee
	cd $(COLLECTION) && $(CURDIR)/$(ECO_VENV)/bin/ansible-galaxy collection build --output-path $(COLLECTIONS)/dist
	cd $(COLLECTIONS)/dist && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tests/ecosystem/galaxy-importer.cfg PATH=$(CURDIR)/$(ECO_VENV)/bin:$$PATH \
	  $(CURDIR)/$(ECO_VENV)/bin/python -m galaxy_importer.main lxdkit-lxd-*.tar.gz
	cd $(COLLECTION) && $(CURDIR)/$(ECO_VENV)/bin/antsibull-docs lint-collection-docs --plugin-docs .
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(call render_docs,$$tmp) \
	  && { diff -r $(DOCS_DIR) "$$tmp" && $(call docs_indexed,$$tmp); } \
	  || { echo "$(DOCS_DIR)/ or docs/README.md is out of date with the collection's docs: run make docs" >&2; exit 1; }
	$(ECO_VENV)/bin/ansible-builder create -f execution-environment.yml --context $(COLLECTIONS)/ee

# One page per module, plugin and role in docs/plugins/, rendered by antsibull-docs from the
# collection's DOCUMENTATION/EXAMPLES/RETURN and meta/argument_specs.yml. Simplified RST (GitHub
# renders it; antsibull-docs has no Markdown output), without the antsibull-docs version, so the
# pages change only with the docs (and the collection version). `make ecosystem` checks them.
DOCS_DIR := docs/plugins
# $(1): an empty directory of ours (antsibull-docs wants mode 700).
render_docs = PATH=$(CURDIR)/$(ECO_VENV)/bin:$$PATH $(CURDIR)/$(ECO_VENV)/bin/antsibull-docs collection \
	  --use-current --squash-hierarchy --output-format simplified-rst --no-add-antsibull-docs-version \
	  --fail-on-error --dest-dir $(1) lxdkit.lxd >/dev/null
# docs/README.md links every page in $(1).
docs_indexed = for page in $(1)/*.rst; do grep -qF "(plugins/$${page\#\#*/})" docs/README.md \
	  || { echo "docs/README.md has no link to plugins/$${page\#\#*/}" >&2; exit 1; }; done

docs: $(ECO_VENV)/.installed collection
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && $(call render_docs,$$tmp) \
	  && rm -rf $(DOCS_DIR) && mkdir -p $(DOCS_DIR) && cp "$$tmp"/*.rst $(DOCS_DIR)/ \
	  && $(call docs_indexed,$$tmp)

# The recipes on this machine's LXD: web server, DNS server, backups. A second run changes nothing.
demo: venv collection lxd
	cd $(COLLECTION) && ansible-playbook -i playbooks/inventory/hosts.yml playbooks/site.yml

# Every Molecule scenario of every role, against the real servers (run from the build copy,
# where the collection resolves as lxdkit.lxd): one per role against LXD, and the cluster role's
# incus scenario on three Incus daemons.
ROLES := web_server dns_server backup_rotation cluster
molecule: venv collection lxd incus
	set -e; for role in $(ROLES); do (cd $(COLLECTION)/roles/$$role && molecule test --all); done

# Every benchmark side by side with its competitors, one report (not part of make test).
bench: venv lxd incus
	bench/run-all.sh

clean:
	rm -rf $(COLLECTIONS) tests/output
