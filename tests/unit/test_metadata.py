"""The rules custom metadata keeps (``domain/metadata.py``): size, depth, NUL, key names."""

from __future__ import annotations

from typing import Any

import pytest

from dam.domain.errors import InvalidInput
from dam.domain.metadata import MAX_BYTES, MAX_DEPTH, Edit, Editable, apply, check


def _nested(levels: int) -> dict[str, Any]:
    value: Any = 1
    for _ in range(levels - 1):
        value = {"k": value}
    return {"k": value} if levels else {}


def test_metadata_within_the_rules_is_kept_as_given() -> None:
    given = {"album": "Lisbon", "rating.stars": 4, "people": ["ana", "rui"], "gps": {"lat": 38.7}}
    assert check(given) is given
    assert check(_nested(MAX_DEPTH)) == _nested(MAX_DEPTH)
    assert check({"k": "x" * (MAX_BYTES - 100)})


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        pytest.param({"a b": 1}, "metadata key", id="space-in-key"),
        pytest.param({"": 1}, "metadata key", id="empty-key"),
        pytest.param({"k" * 65: 1}, "metadata key", id="long-key"),
        pytest.param({"k\n": 1}, "metadata key", id="newline-key"),
        pytest.param({"k": "x" * MAX_BYTES}, "64 KiB", id="too-big"),
        pytest.param(_nested(MAX_DEPTH + 1), "8 levels", id="too-deep"),
        pytest.param({"k": [[[[[[[[1]]]]]]]]}, "8 levels", id="too-deep-lists"),
        pytest.param({"k": "a\x00"}, "NUL", id="nul-value"),
        pytest.param({"k": {"a\x00": 1}}, "NUL", id="nul-nested-key"),
    ],
)
def test_metadata_breaking_a_rule_is_refused_saying_which(metadata: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check(metadata)


def test_an_empty_metadata_patch_changes_nothing_and_null_clears_it() -> None:
    current = Editable(title=None, description=None, tags=[], metadata={"client": "acme", "job": 1})
    assert apply(current, Edit(metadata={})).metadata == {"client": "acme", "job": 1}
    assert apply(current, Edit(metadata={"job": None})).metadata == {"client": "acme"}
    assert apply(current, Edit(metadata=None)).metadata == {}
