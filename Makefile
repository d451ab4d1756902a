# Gatehouse: every target does its own set-up, so each works on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
MOTO_PORT ?= 5555
# checkov has its own venv: it pins boto3, packaging and networkx below what the project uses.
CHECKOV_VERSION ?= 3.3.30
CHECKOV := $(VENV)/checkov/bin/checkov
# The local OpenID provider (panva's oidc-provider), installed from the committed lock file.
OIDC := local-oidc/node_modules/.package-lock.json
# axe-core, which the browser tests inject into each page, from its committed lock file.
AXE := tests/e2e/axe/node_modules/.package-lock.json

.PHONY: run test test-fast lint package checkov bench browser clean

$(OIDC): local-oidc/package.json local-oidc/package-lock.json
	cd local-oidc && npm ci --no-audit --no-fund --silent
	touch $(OIDC)

$(AXE): tests/e2e/axe/package.json tests/e2e/axe/package-lock.json
	cd tests/e2e/axe && npm ci --no-audit --no-fund --silent
	touch $(AXE)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: the whole stack on http://localhost:$(PORT) against an embedded moto server.
run: $(STAMP) $(OIDC)
	exec $(BIN)/python -m gatehouse.local serve --port $(PORT) --moto-port $(MOTO_PORT)

$(CHECKOV): | $(STAMP)
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'

## make test: lint, the template's security scan, then the three tiers (unit, conformance, e2e over HTTP and in Chromium).
test: $(STAMP) $(OIDC) $(AXE) browser
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory checkov
	$(BIN)/pytest

## make checkov: the SAM template alone (no layer build), scanned; every accepted finding is skipped in it with a reason.
checkov: $(STAMP) $(CHECKOV)
	$(BIN)/python -m infra.build --template-only --out build/checkov
	$(CHECKOV) -f build/checkov/template.yaml --framework cloudformation --quiet --compact --skip-download

test-fast: $(STAMP)
	$(BIN)/pytest -m 'not e2e and not slow'

## Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium could not be installed: browser tests will fail"; }

## make package: the deployable stack in build/ (SAM template, one artifact per function, the layer).
package: $(STAMP)
	$(BIN)/python -m infra.build --out build

## make bench: the benchmark table (AWS calls per flow, cold-start imports, sizes, login throughput).
bench: $(STAMP) package
	$(BIN)/python -m tests.bench.run

clean:
	rm -rf build .venv .mypy_cache .ruff_cache local-oidc/node_modules tests/e2e/axe/node_modules
