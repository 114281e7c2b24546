"""The test suite; shared helpers live in tests/support."""

from __future__ import annotations

import pytest

# Helpers in tests/support assert on answers: rewritten, their failures show the values compared.
pytest.register_assert_rewrite("tests.support")
