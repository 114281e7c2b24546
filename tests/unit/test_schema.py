"""The pure rules of a workspace's metadata schema: which schemas are usable, and which metadata
keeps one (on creation, and on an edit that leaves old values as they were)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from dam.domain.errors import InvalidInput
from dam.domain.schema import EMPTY, MetadataSchema, SchemaField, check, is_date, validate


def _field(key: str, type: Any, **more: Any) -> SchemaField:
    return SchemaField(key=key, label=key.title(), type=type, **more)


SCHEMA = MetadataSchema(
    fields=(
        _field("client", "text", required=True, facet=True),
        _field("rating", "number", facet=True),
        _field("shot_on", "date", facet=True),
        _field("status", "enum", options=("draft", "final")),
        _field("usage", "multi_enum", options=("web", "print", "social")),
        _field("licensed", "bool"),
    )
)
STRICT = msgspec.structs.replace(SCHEMA, strict=True)


def _refused(schema: MetadataSchema, metadata: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        validate(schema, metadata, **kwargs)
    return caught.value.detail


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param({"client": "Tram Co"}, id="only-the-required"),
        pytest.param(
            {
                "client": "Tram Co",
                "rating": 4.5,
                "shot_on": "2026-12-09",
                "status": "final",
                "usage": ["web", "print"],
                "licensed": False,
                "anything": {"else": [1]},
            },
            id="every-type",
        ),
        pytest.param({"client": "c", "rating": 0, "usage": []}, id="zero-and-empty-list"),
        pytest.param({"client": "c", "rating": -(10**30)}, id="a-big-integer"),
        pytest.param({"client": "c", "shot_on": "2026-12-09T14:30:00Z"}, id="timestamp-utc"),
        pytest.param(
            {"client": "c", "shot_on": "2026-12-09t14:30:00.123456789+05:30"}, id="timestamp-offset"
        ),
    ],
)
def test_metadata_that_keeps_the_schema_passes(metadata: dict[str, Any]) -> None:
    validate(SCHEMA, metadata)


@pytest.mark.parametrize(
    ("metadata", "says"),
    [
        pytest.param({"client": 3}, "metadata.client: must be a string", id="text"),
        pytest.param({"client": "c", "rating": "4"}, "metadata.rating: must be a number", id="number-string"),
        pytest.param({"client": "c", "rating": True}, "metadata.rating: must be a number", id="number-bool"),
        pytest.param({"client": "c", "rating": None}, "metadata.rating: must be a number", id="number-null"),
        pytest.param(
            {"client": "c", "shot_on": "09/12/2026"},
            "metadata.shot_on: must be a date (YYYY-MM-DD or RFC 3339)",
            id="date-format",
        ),
        pytest.param(
            {"client": "c", "shot_on": "2026-02-30"}, "metadata.shot_on: must be a date", id="no-such-day"
        ),
        pytest.param(
            {"client": "c", "shot_on": "2026-12-09T14:30:00"},
            "metadata.shot_on: must be a date",
            id="no-offset",
        ),
        pytest.param(
            {"client": "c", "shot_on": 20261209}, "metadata.shot_on: must be a date", id="date-number"
        ),
        pytest.param(
            {"client": "c", "status": "x"}, 'metadata.status: "x" is not one of draft, final', id="enum"
        ),
        pytest.param(
            {"client": "c", "status": ["draft"]}, 'metadata.status: ["draft"] is not one of', id="enum-list"
        ),
        pytest.param(
            {"client": "c", "usage": "web"}, "metadata.usage: must be a list of options", id="multi-not-list"
        ),
        pytest.param(
            {"client": "c", "usage": ["web", "tv"]},
            'metadata.usage: "tv" is not one of web, print, social',
            id="multi-unknown",
        ),
        pytest.param(
            {"client": "c", "usage": ["web", "web"]},
            'metadata.usage: "web" is listed twice',
            id="multi-twice",
        ),
        pytest.param(
            {"client": "c", "licensed": "yes"}, "metadata.licensed: must be true or false", id="bool"
        ),
        pytest.param(
            {"client": "c", "licensed": 1}, "metadata.licensed: must be true or false", id="bool-one"
        ),
        pytest.param({"rating": 3}, "metadata.client: required", id="required-absent"),
        pytest.param({"client": ""}, "metadata.client: required, and must not be empty", id="required-empty"),
    ],
)
def test_metadata_that_breaks_the_schema_is_refused_naming_the_field(
    metadata: dict[str, Any], says: str
) -> None:
    assert _refused(SCHEMA, metadata).startswith(says)


def test_strict_refuses_undeclared_keys_only() -> None:
    validate(SCHEMA, {"client": "c", "extra": 1})
    says = _refused(STRICT, {"client": "c", "extra": 1})
    assert says == "metadata.extra: not a field of this workspace's schema (strict)"
    validate(STRICT, {"client": "c", "rating": 1})
    assert "extra" in _refused(MetadataSchema(strict=True), {"extra": 1})


def test_no_schema_refuses_nothing() -> None:
    validate(EMPTY, {"anything": [1, {"x": None}], "client": 3})
    assert EMPTY.empty
    assert not MetadataSchema(strict=True).empty


def test_an_edit_checks_what_it_changed_and_what_is_required() -> None:
    # Written before the schema: a wrong type and an undeclared key, kept as they were.
    old = {"client": "c", "rating": "four", "legacy": True}
    validate(STRICT, {**old, "status": "final"}, before=old)
    assert _refused(STRICT, {**old, "rating": "five"}, before=old).startswith("metadata.rating:")
    assert _refused(STRICT, {**old, "more": 1}, before=old).startswith("metadata.more:")
    # A value that looks equal in Python but is another JSON value is a change.
    assert _refused(SCHEMA, {"client": "c", "licensed": 1}, before={"client": "c", "licensed": True})
    # Removing a required field, or leaving it absent, is refused whatever else the edit did.
    assert _refused(STRICT, {"rating": "four", "legacy": True}, before=old) == "metadata.client: required"
    assert _refused(SCHEMA, {"rating": 2}, before={}) == "metadata.client: required"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        pytest.param([_field("a b", "text")], 'fields[0].key: "a b" must be 1 to 64', id="key-pattern"),
        pytest.param([_field("k" * 65, "text")], "fields[0].key", id="key-long"),
        pytest.param([_field("", "text")], "fields[0].key", id="key-empty"),
        pytest.param([_field("a\n", "text")], "fields[0].key", id="key-newline"),
        pytest.param(
            [_field("a", "text"), _field("a", "number")],
            'fields[1].key: "a" is declared twice',
            id="key-twice",
        ),
        pytest.param([SchemaField(key="a", label=" ", type="text")], "fields[0].label", id="label-blank"),
        pytest.param(
            [SchemaField(key="a", label="l" * 201, type="text")], "fields[0].label", id="label-long"
        ),
        pytest.param(
            [_field("a", "enum")],
            "fields[0].options: enum fields need a list of 1 to 500",
            id="enum-no-options",
        ),
        pytest.param([_field("a", "multi_enum", options=())], "fields[0].options", id="multi-empty-options"),
        pytest.param(
            [_field("a", "text", options=("x",))],
            "fields[0].options: only enum and multi_enum fields have options",
            id="text-with-options",
        ),
        pytest.param(
            [_field("a", "bool", options=())],
            "fields[0].options: only enum and multi_enum",
            id="bool-empty-options",
        ),
        pytest.param(
            [_field("a", "enum", options=("x", "y", "x"))],
            'fields[0].options[2]: "x" is listed twice',
            id="dup",
        ),
        pytest.param(
            [_field("a", "enum", options=("",))], "fields[0].options[0]: an option is 1 to 200", id="empty"
        ),
        pytest.param([_field("a", "enum", options=("o" * 201,))], "fields[0].options[0]", id="option-long"),
        pytest.param(
            [_field("a", "enum", options=tuple(str(n) for n in range(501)))],
            "fields[0].options: at most 500 options",
            id="501",
        ),
        pytest.param(
            [_field(f"f{n}", "text") for n in range(201)],
            "fields: a schema has at most 200 fields, not 201",
            id="201",
        ),
    ],
)
def test_an_unusable_schema_is_refused_naming_the_rule(fields: list[SchemaField], says: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check(MetadataSchema(fields=tuple(fields)))
    assert caught.value.detail.startswith(says), caught.value.detail


def test_a_schema_at_its_limits_is_usable() -> None:
    fields = [_field(f"f{n}", "text") for n in range(199)]
    fields.append(
        SchemaField(
            key="k" * 64, label="l" * 200, type="enum", options=tuple(f"{n:0>200}" for n in range(500))
        )
    )
    schema = MetadataSchema(fields=tuple(fields), strict=True)
    assert check(schema) is schema
    assert check(SCHEMA) is SCHEMA


def test_the_helpers_search_reads() -> None:
    assert SCHEMA.field("rating") == _field("rating", "number", facet=True)
    assert SCHEMA.field("nope") is None
    assert [f.key for f in SCHEMA.facets] == ["client", "rating", "shot_on"]
    assert [f.key for f in SCHEMA.fields if f.ranged] == ["rating", "shot_on"]
    # It round-trips through JSON as stored, and extra stored keys do not break a reader.
    encoded = msgspec.json.encode(SCHEMA)
    assert msgspec.json.decode(encoded, type=MetadataSchema) == SCHEMA
    stored = b'{"fields": [{"key": "a", "label": "A", "type": "bool", "later": 1}], "strict": false}'
    assert msgspec.json.decode(stored, type=MetadataSchema).field("a") == _field("a", "bool")


def test_a_long_list_of_options_is_cut_short_in_errors() -> None:
    schema = MetadataSchema(fields=(_field("c", "enum", options=tuple(f"o{n}" for n in range(100))),))
    says = _refused(schema, {"c": "x"})
    assert says.endswith("o11, ... (88 more)"), says


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-12-09", True), ("2024-02-29", True), ("2026-12-09T23:59:59Z", True),
        ("2026-12-09T23:59:59.5-08:00", True), ("2026-12-09 23:59:59Z", False), ("2026-12-9", False),
        ("2026-12-09T24:00:00Z", False), ("2026-12-09T10:00:00+24:00", False), ("2026-12-09\n", False),
        ("٢٠٢٦-١٢-٠٩", False), ("2026-W50", False), ("", False),
    ],
)  # fmt: skip
def test_is_date_takes_iso_dates_and_rfc_3339_timestamps(value: str, ok: bool) -> None:
    assert is_date(value) is ok
