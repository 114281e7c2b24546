"""The third-party API clients of the contract tests, in their own venv (``make tools``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.config import ROOT

TOOLS_BIN = ROOT / ".venv-tools" / "bin"


def tool(name: str) -> Path:
    """A program of ``.venv-tools``; fails the test with what to run when the venv is missing."""
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: `make tools` (a step of `make test`) installs it")
    return path
