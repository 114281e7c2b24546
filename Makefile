# Two commands set everything up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt bench harness migrate dev-s3 clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## migrate, start the development S3 store (unless DAM_S3_ENDPOINT_URL is set) and the API
	$(BIN)/dam run

test: $(STAMP) ## the whole suite against the local PostgreSQL, Redis and a throw-away SeaweedFS
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src workers tests bench migrations
	$(BIN)/ruff format --check src workers tests bench migrations
	$(BIN)/mypy --strict src workers

fmt: $(STAMP)
	$(BIN)/ruff format src workers tests bench migrations
	$(BIN)/ruff check --fix src workers tests bench migrations

bench: $(STAMP) ## presign, POST /assets, probe, image and end-to-end ingest figures beside baselines of the same run
	$(BIN)/python bench/run.py

harness: $(STAMP) ## start the native stack, validate it with harness.yaml, stop it
	$(BIN)/python -m dam.harness.native

migrate: $(STAMP)
	$(BIN)/dam migrate

dev-s3: $(STAMP)
	$(BIN)/dam dev-s3

clean:
	rm -rf $(VENV) .dev .pytest_cache .mypy_cache .ruff_cache
