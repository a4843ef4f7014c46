# make demo: set up .venv, analyze the bundled sample site, print where the report is.
# make test: set up, then run the checks (ruff, mypy, shellcheck) and the fast tests (pytest -m "not slow").
# make test-slow: the slow end-to-end set (full matrices, fuzzing with many examples, benchmarks' smoke
# tests); CI (.ci/run) runs make test, then make test-slow.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kubesnap-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Python writes the bytecode of what it imports (into .venv and the project's __pycache__, both ignored by
# git) even where the environment says PYTHONDONTWRITEBYTECODE: without it, every kubesnap process of the
# tests compiled the analyzer and its libraries again (1.6 s against 0.6 s to import them), a fifth of a
# fresh clone's make test.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo test test-slow lint typecheck shellcheck pytest tools docs bench bench-collector clean

# uv installs the same packages as pip in about a third of the time (6-12 s against 22-31 s for a fresh
# .venv, most of make test's setup); pip does it alone when uv cannot be had. Neither byte-compiles
# every installed module: Python compiles what it imports, once. The venv starts without pip (ensurepip
# alone takes 3 s): uv comes from the system's pip where it has one, and uv then puts pip in the venv too.
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	@{ test -x $(BIN)/uv || $(PYTHON) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check --no-compile 'uv>=0.4' 2>/dev/null || \
		{ $(BIN)/python -m ensurepip --default-pip >/dev/null && $(PIP) 'uv>=0.4'; }; } && $(UV) -e '.[dev]' pip || \
		{ echo "uv did not install the packages: pip instead"; $(BIN)/python -m ensurepip --default-pip >/dev/null; $(PIP) -e '.[dev]'; }
	@touch $(STAMP)

# System tools the checks need, from Debian/Ubuntu packages when missing. mawk, gawk, busybox and
# original-awk (the one true awk): the collector's tests run it with each awk a node may have. openssh-server and sudo:
# the collect-site tests run a real sshd on 127.0.0.1 and test sudo -n. ripgrep: kubesnap grep's hits are checked
# against ripgrep's (tests/test_grep.py, bench/grep.py).
tools:
	@command -v shellcheck >/dev/null && command -v chromium >/dev/null && test -x /usr/bin/time && \
		command -v mawk >/dev/null && command -v gawk >/dev/null && command -v busybox >/dev/null && command -v original-awk >/dev/null && \
		test -x /usr/sbin/sshd && command -v ssh >/dev/null && command -v sudo >/dev/null && command -v rg >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq shellcheck chromium time mawk gawk busybox original-awk \
		openssh-server openssh-client sudo ripgrep >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

shellcheck: tools
	shellcheck -S style collectors/*.sh

# the report's browser tests must run here, not skip. Two workers (pytest-xdist), a test file per
# worker; fixture sites are built once and cached in build/test-cache (tests/sitecache.py). pytest
# exits 5 when it ran no test, which fails the target.
PYTEST := KUBESNAP_REQUIRE_BROWSER=1 KUBESNAP_REQUIRE_AWKS=1 $(BIN)/pytest -n 2 --dist loadfile

pytest: $(STAMP) tools
	$(PYTEST) -m "not slow"

# The checks (ruff, mypy, shellcheck: about 10 s on one core) run beside pytest, their output printed after
# its; make test fails when either fails.
test: $(STAMP) tools
	@mkdir -p build; $(MAKE) --no-print-directory -k -j3 lint typecheck shellcheck >build/checks.log 2>&1 & checks=$$!; \
	$(PYTEST) -m "not slow"; tests=$$?; wait $$checks; status=$$?; cat build/checks.log; \
	[ $$status -eq 0 ] || echo "make test: the checks above failed"; [ $$tests -eq 0 ] && [ $$status -eq 0 ]

# the slow set, and every property test again with all its examples (the fast set runs a quarter of them)
test-slow: $(STAMP) tools
	KUBESNAP_THOROUGH=1 $(PYTEST) -m "slow or property"

# The seed's six servers (fixtures/seed_site.py), collected by the real collector from fake
# nodes, then analyzed.
demo: $(STAMP)
	@test -d build/seed-site/bundles || $(BIN)/python -m fixtures.build seed-site build/seed-site >/dev/null
	@# (analyzed afresh each time: a database of an older schema is refused, and the demo's is only a build product)
	@rm -rf build/demo
	@$(BIN)/kubesnap analyze build/seed-site/bundles -o build/demo
	@echo
	@echo "The seed's walk, as one query (controlplane01's kube-apiserver):"
	@$(BIN)/kubesnap sql --db build/demo/kubesnap.duckdb "SELECT node, pod, left(pod_id, 13) AS pod_id, container, left(container_id, 13) AS container_id, shim_pid, pid, join_method FROM pod_processes WHERE pod LIKE 'kube-apiserver-playcekube-controlplane01' AND pid IS NOT NULL"

docs: $(STAMP)
	$(BIN)/python -m analyzer.docs schema > docs/schema.md
	$(BIN)/python -m analyzer.docs rules > docs/rules.md
	$(BIN)/python -m analyzer.docs cli > docs/cli.md
	$(BIN)/python -m analyzer.docs sources > docs/sources.md

# about 40 minutes on a 2-core machine: a 100-node site with 5 GiB of pod logs; the collector on 1 GiB
# of logs with each awk; ingest at scale (100,000 tiny members, 1 and 4 GiB of logs in one bundle;
# archives cached in build/bench-cache); 20 fake hosts collected over ssh; every red-team case
# (each benchmark writes its own section of docs/performance.md)
bench: $(STAMP) tools
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.grep
	$(BIN)/python -m bench.collector
	$(BIN)/python -m bench.ingest_scale
	$(BIN)/python -m bench.site_collect
	$(BIN)/python -m bench.redteam

# the collector on a node with 1 GiB of pod logs, with mawk, gawk and busybox awk, against
# tar -czf (the collector section of docs/performance.md)
bench-collector: $(STAMP) tools
	$(BIN)/python -m bench.collector

clean:
	rm -rf build .mypy_cache .pytest_cache .ruff_cache
