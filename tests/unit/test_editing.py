"""The pure rules of editing: RFC 7396 merge patches, If-Match, what an edit changed, tag names."""

from __future__ import annotations

from typing import Any

import pytest

from dam.domain import tags
from dam.domain.errors import InvalidInput, PreconditionFailed
from dam.domain.media import AudioTags, Description, MediaInfo
from dam.domain.metadata import Edit, Editable, apply, changes, merge_patch, precondition

# The examples of RFC 7396, appendix A: target, patch, result.
RFC_7396 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(
    ("target", "patch", "result"), [pytest.param(*case, id=f"rfc-{n}") for n, case in enumerate(RFC_7396)]
)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    before = repr(target)
    assert merge_patch(target, patch) == result
    assert repr(target) == before  # the target is not changed in place


def _editable(**changes: Any) -> Editable:
    base: dict[str, Any] = {"title": "T", "description": None, "tags": ["a"], "metadata": {"k": {"x": 1}}}
    return Editable(**{**base, **changes})


def test_an_edit_leaves_what_it_does_not_name() -> None:
    assert apply(_editable(), Edit()) == _editable()
    assert apply(_editable(), Edit(title=None, tags=None, metadata=None)) == _editable(
        title=None, tags=[], metadata={}
    )
    assert apply(_editable(), Edit(metadata={"k": {"y": 2}})).metadata == {"k": {"x": 1, "y": 2}}
    assert apply(_editable(), Edit(tags=[" b ", "B", "c"])).tags == ["b", "c"]


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        pytest.param(Edit(title="x" * 501), "title", id="title"),
        pytest.param(Edit(description="x" * 10_001), "description", id="description"),
        pytest.param(Edit(metadata={"bad key": 1}), "metadata key", id="key"),
        pytest.param(Edit(tags=[""]), "empty", id="empty-tag"),
        pytest.param(Edit(tags=[str(n) for n in range(101)]), "at most 100", id="many-tags"),
    ],
)
def test_an_edit_outside_the_rules_is_refused(edit: Edit, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        apply(_editable(), edit)


def test_changes_name_fields_and_metadata_keys() -> None:
    assert changes(_editable(), _editable()) == {}
    after = _editable(title="U", metadata={"k": {"x": 1}, "n": None})
    assert changes(_editable(), after) == {"changed": ["title", "metadata"], "metadata_keys": ["n"]}


@pytest.mark.parametrize(
    ("header", "holds"),
    [
        pytest.param(None, True, id="absent"),
        pytest.param('"3"', True, id="same"),
        pytest.param('"2", "3"', True, id="in-a-list"),
        pytest.param("*", True, id="any"),
        pytest.param('"2"', False, id="stale"),
        pytest.param('W/"3"', False, id="weak"),
        pytest.param("3", False, id="unquoted"),
    ],
)
def test_if_match_is_a_strong_comparison(header: str | None, holds: bool) -> None:
    if holds:
        precondition(header, 3)
    else:
        with pytest.raises(PreconditionFailed):
            precondition(header, 3)


def test_tag_names_match_in_any_case() -> None:
    assert tags.key_of("Straße") == tags.key_of("STRASSE")
    assert tags.distinct(["Beach", "BEACH", "sun", "beach"]) == ["Beach", "sun"]
    assert tags.merged(["a", "B"], ["b", "c", "A"]) == ["a", "B", "c"]
    assert tags.merged([str(n) for n in range(100)], ["more"]) == [str(n) for n in range(100)]


def test_keywords_come_from_photo_keywords_and_audio_genres() -> None:
    info = MediaInfo(
        kind="image", description=Description(keywords=["Harbour", " harbour ", "", "x" * 150]),
        tags=AudioTags(genre="Rock;Pop"),
    )  # fmt: skip
    assert tags.keywords(info) == ["Harbour", "x" * 100, "Rock", "Pop"]
    assert tags.keywords(MediaInfo(kind="image")) == []
