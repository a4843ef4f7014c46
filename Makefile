# make demo: set up .venv, analyze the bundled sample site, print where the report is.
# make test: set up, then run every test and check (ruff, mypy, shellcheck, pytest).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kubesnap-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck shellcheck pytest tools clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# System tools the checks need, from Debian/Ubuntu packages when missing.
tools:
	@command -v shellcheck >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq shellcheck >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

shellcheck: tools
	shellcheck -S style collectors/*.sh

pytest: $(STAMP) tools
	$(BIN)/pytest

test: lint typecheck shellcheck pytest

demo: $(STAMP)
	@mkdir -p build/demo
	@bash collectors/kubesnap-collect.sh --output build/demo --timeout 10 >build/demo/.tarball
	@echo "Bundle of this machine: $$(tail -n1 build/demo/.tarball)"
	@tar -tzf "$$(tail -n1 build/demo/.tarball)" | head -n 40

clean:
	rm -rf build .mypy_cache .pytest_cache .ruff_cache
