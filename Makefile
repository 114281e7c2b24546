# Two commands set everything up: `make run` and `make test` (see README.md); `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium with Playwright (no browser download at run time).
CHROMIUM ?= /usr/bin/chromium

.PHONY: help install run test test-unit chromium lint fmt bench harness migrate dev-s3 clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

help: ## list the targets and what they do
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv and install the project with its dev extras (done by every target that needs it)

run: $(STAMP) ## migrate, start the development S3 store (unless DAM_S3_ENDPOINT_URL is set) and the API
	$(BIN)/dam run

test: $(STAMP) $(CHROMIUM) ## the whole suite, unit tests first, against the local PostgreSQL, Redis and a throw-away SeaweedFS
	$(BIN)/pytest

test-unit: $(STAMP) ## the unit tests only (pytest -m unit): pure functions, no services needed
	$(BIN)/pytest -m unit

chromium: $(CHROMIUM) ## Debian's Chromium for the browser tests, installed with apt-get if it is missing

$(CHROMIUM):
	@echo "$@ is missing: installing Debian's chromium for the browser tests"
	export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }
	@test -x $@ || { echo "chromium was installed but $@ is still missing" >&2; exit 1; }

lint: $(STAMP) ## ruff check and ruff format --check on everything, mypy --strict on src/ and workers/, the layer contracts (lint-imports)
	$(BIN)/ruff check src workers tests bench migrations
	$(BIN)/ruff format --check src workers tests bench migrations
	$(BIN)/mypy --strict src workers
	$(BIN)/lint-imports

fmt: $(STAMP) ## format and autofix with ruff
	$(BIN)/ruff format src workers tests bench migrations
	$(BIN)/ruff check --fix src workers tests bench migrations

bench: $(STAMP) ## presign, POST /assets, probe, image and end-to-end ingest figures beside baselines of the same run
	$(BIN)/python bench/run.py

harness: $(STAMP) ## start the native stack, validate it with harness.yaml, stop it
	$(BIN)/python -m dam.harness.native

migrate: $(STAMP) ## create the database if it is missing and apply the migrations
	$(BIN)/dam migrate

dev-s3: $(STAMP) ## only the development S3 store (SeaweedFS on 127.0.0.1:8333)
	$(BIN)/dam dev-s3

clean: ## remove .venv, .dev and the tool caches
	rm -rf $(VENV) .dev .pytest_cache .mypy_cache .ruff_cache
