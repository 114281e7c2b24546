"""The web app's own checks, run by pytest so that ``make test`` runs them: its TypeScript types
match the service's OpenAPI document, and its Vitest unit tests pass (``make app`` or ``make test``
installs its packages first)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from dam.api.webapp import accepted
from dam_dev.openapi import openapi_document

APP = Path(__file__).resolve().parents[2] / "frontend" / "app"
BIN = APP / "node_modules" / ".bin"


def node_tool(name: str) -> Path:
    """A tool of the app's packages; fails (not skips) when they are not installed."""
    tool = BIN / name
    assert tool.exists(), f"{tool} is missing: run `make app` (make test installs the app's packages)"
    return tool


def test_checked_in_api_types_match_the_openapi_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(json.dumps(openapi_document(), indent=2, sort_keys=True))
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [node_tool("openapi-typescript"), document, "-o", generated, "--silent"],
        cwd=APP, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    checked_in = APP / "src" / "lib" / "api" / "schema.d.ts"
    assert generated.read_text() == checked_in.read_text(), (
        "frontend/app/src/lib/api/schema.d.ts differs from what the OpenAPI document generates:"
        " run `make api-types`"
    )


def test_vitest_unit_tests_pass() -> None:
    run = subprocess.run(
        [node_tool("vitest"), "run", "--reporter=dot"],
        cwd=APP, capture_output=True, text=True, timeout=300, env={**os.environ, "CI": "1", "NO_COLOR": "1"},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        pytest.param("gzip, deflate, br", {"gzip", "deflate", "br"}, id="plain-list"),
        pytest.param("br;q=0, gzip;q=0.8", {"gzip"}, id="q-zero-refuses"),
        pytest.param("", set(), id="none"),
        pytest.param("*", {"*"}, id="anything"),
    ],
)
def test_accept_encoding_names_the_codings_a_client_takes(header: str, codings: set[str]) -> None:
    assert accepted(header) - {""} == codings
