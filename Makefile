# Digit Lab. `make run` serves the app; `make test` runs the whole suite; `make bench` measures.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test bench bench-report install install-test chromium postgresql init clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt
	PYTHONWARNINGS=ignore $(BIN)/pip install -q --no-deps -e .  # quiet: setuptools' editable-install notice reads like a failure
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.test-installed

# Debian's Chromium for the browser tests (playwright drives /usr/bin/chromium; it never downloads a browser).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "Could not install chromium: the browser tests will fail."; \
	  else echo "chromium is missing and this is not root: install Debian's chromium for the browser tests."; fi; \
	fi

# Debian's PostgreSQL for the tuning scale-out test (a throw-away cluster the test starts on loopback).
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null \
	      || echo "Could not install postgresql: the PostgreSQL tuning test will fail."; \
	  else echo "PostgreSQL is missing and this is not root: install Debian's postgresql for its test."; fi; \
	fi

init: $(VENV)/.installed
	$(BIN)/python -m ml init

# The server answers at once: on a fresh store a quick interim model serves while the default trains
# in the background (`init` trains the default to the end instead, for the CLI).
run: $(VENV)/.installed
	$(BIN)/python -m ml serve --port $(PORT)

test: $(VENV)/.test-installed chromium postgresql
	$(BIN)/ruff check --quiet .
	$(BIN)/lint-imports --no-cache  # the layering contracts in pyproject.toml (pages -> dashboard -> ml -> data, the ml package order, no circles)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 3 --dist loadfile --no-loadscope-reorder  # three workers on 2 cores (a third of the suite waits on servers, browsers and child processes), files in tests/conftest.py SLOW_FIRST order

# Measures, writes bench/results.json, then rewrites the figures table of docs/performance.md from it
# (also when a figure failed: its row says so; the exit status is the bench's).
bench: $(VENV)/.test-installed
	$(BIN)/python -m bench $(if $(QUICK),--quick,); status=$$?; $(BIN)/python -m bench.report; exit $$status

# docs/performance.md's table from the bench/results.json already there (no measuring).
bench-report: $(VENV)/.installed
	$(BIN)/python -m bench.report

clean:
	rm -rf $(VENV) bench/results.json
