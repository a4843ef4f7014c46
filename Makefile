# make demo: set up .venv, analyze the bundled sample site, print where the report is.
# make test: set up, then run every test and check (ruff, mypy, shellcheck, pytest).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kubesnap-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck shellcheck pytest tools docs bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# System tools the checks need, from Debian/Ubuntu packages when missing.
tools:
	@command -v shellcheck >/dev/null && command -v chromium >/dev/null && test -x /usr/bin/time || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq shellcheck chromium time >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

shellcheck: tools
	shellcheck -S style collectors/*.sh

# the report's browser tests must run here, not skip
pytest: $(STAMP) tools
	KUBESNAP_REQUIRE_BROWSER=1 $(BIN)/pytest

test: lint typecheck shellcheck pytest

# The seed's six servers (fixtures/seed_site.py), collected by the real collector from fake
# nodes, then analyzed.
demo: $(STAMP)
	@test -d build/seed-site/bundles || $(BIN)/python -m fixtures.build seed-site build/seed-site >/dev/null
	@$(BIN)/kubesnap analyze build/seed-site/bundles -o build/demo
	@echo
	@echo "The seed's walk, as one query (controlplane01's kube-apiserver):"
	@$(BIN)/kubesnap sql --db build/demo/kubesnap.duckdb "SELECT node, pod, left(pod_id, 13) AS pod_id, container, left(container_id, 13) AS container_id, shim_pid, pid, join_method FROM pod_processes WHERE pod LIKE 'kube-apiserver-playcekube-controlplane01' AND pid IS NOT NULL"

docs: $(STAMP)
	$(BIN)/python -m analyzer.docs schema > docs/schema.md
	$(BIN)/python -m analyzer.docs rules > docs/rules.md
	$(BIN)/python -m analyzer.docs cli > docs/cli.md

# about 10 minutes on a 2-core machine: a 100-node site with 5 GiB of pod logs (docs/performance.md)
bench: $(STAMP) tools
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.redteam

clean:
	rm -rf build .mypy_cache .pytest_cache .ruff_cache
