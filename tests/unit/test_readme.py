"""The README stays true to the code: every setting the service reads is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from dam.settings import ENV_VARS

pytestmark = pytest.mark.unit
README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    missing = [name for name in ENV_VARS if f"`{name}`" not in README]
    assert missing == []
