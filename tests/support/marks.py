"""Markers given by folder: tests/unit is ``unit``, tests/integration is ``integration``."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
FOLDER_MARKS = ("unit", "integration")


def folder_mark(item: pytest.Item) -> str | None:
    """``unit`` or ``integration`` after the tests/ folder the item lives in; None elsewhere."""
    if not item.path.is_relative_to(TESTS):
        return None
    parts = item.path.relative_to(TESTS).parts
    return parts[0] if parts and parts[0] in FOLDER_MARKS else None
