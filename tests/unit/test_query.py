"""The WHERE/keyset builder and its cursor: numbered arguments, keysets for any sort, and cursors
that come back as typed values or are refused as the client's error."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from dam.db import assets, audit, upload_tokens
from dam.db.query import Key, Sort, Where, decode, encode, page, scope_of
from dam.domain.errors import InvalidInput

NEWEST = assets.NEWEST
BY_NAME = Sort(
    "name", (Key("lower(filename)", str, "filename", descending=False), Key("id", uuid.UUID, "id"))
)
BY_SCORE = Sort("relevance", (Key("score", float, "score"), Key("created_at", datetime, "created_at"),
                              Key("id", uuid.UUID, "id")))  # fmt: skip
AT = datetime(2026, 12, 3, 9, 30, 1, 123456, tzinfo=UTC)
ID = uuid.UUID("0b6c3f52-8a1e-4a55-9d1b-5f8e0c2d7a41")


def _raw(value: object) -> str:
    """A cursor of the current format around any JSON value (to forge one)."""
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


def test_where_numbers_arguments_in_order_and_skips_absent_filters() -> None:
    where = Where().add("workspace_id = {}", 7).maybe("sha256 = {}", None).maybe("status = {}", "ready")
    where.add("{0} IN (a, b)", "x")
    assert where.sql == "workspace_id = $1 AND status = $2 AND $3 IN (a, b)"
    assert where.args == [7, "ready", "x"]
    assert where.arg(50) == "$4"
    assert Where().sql == "TRUE"


def test_where_continues_after_the_arguments_a_statement_already_uses() -> None:
    where = Where(start=2).add("created_by = {}", "u")
    assert where.sql == "created_by = $3"


def test_a_keyset_of_one_direction_is_one_row_comparison() -> None:
    where = Where().after(NEWEST, (AT, ID))
    assert where.sql == "(created_at, id) < ($1, $2)"
    assert NEWEST.order_by == "created_at DESC, id DESC"
    assert audit.NEWEST.order_by == "l.at DESC, l.id DESC"
    assert upload_tokens.NEWEST.order_by == "created_at DESC, id DESC"


def test_a_keyset_of_mixed_directions_expands_each_prefix() -> None:
    where = Where().add("workspace_id = {}", 1).after(BY_NAME, ("a.jpg", ID))
    assert where.sql == "workspace_id = $1 AND ((lower(filename) > $2) OR (lower(filename) = $2 AND id < $3))"
    assert BY_NAME.order_by == "lower(filename) ASC, id DESC"
    assert Where().after(NEWEST, None).sql == "TRUE"


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        pytest.param(NEWEST, (AT, ID), id="newest"),
        pytest.param(audit.NEWEST, (AT, 2**63 - 1), id="audit-bigint"),
        pytest.param(BY_NAME, ("Ünïcode name.jpg", ID), id="by-name"),
        pytest.param(BY_SCORE, (0.123456789, AT, ID), id="relevance"),
    ],
)
def test_a_cursor_round_trips_its_typed_values(sort: Sort, values: tuple[object, ...]) -> None:
    cursor = encode(sort, values)
    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor
    assert len(cursor) < 200
    assert decode(cursor, sort) == values


def test_a_cursor_carries_times_in_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    (decoded, _) = decode(encode(NEWEST, (local, ID)), NEWEST)
    assert decoded == AT
    assert decoded.utcoffset() == timedelta(0)


def test_a_cursor_is_refused_by_another_sort_or_query() -> None:
    by_name = encode(BY_NAME, ("a", ID))
    with pytest.raises(InvalidInput, match="cursor is not one this API issued"):
        decode(by_name, NEWEST)
    bound = encode(NEWEST, (AT, ID), scope_of("q=cat", "type=image"))
    assert decode(bound, NEWEST, scope_of("q=cat", "type=image")) == (AT, ID)
    with pytest.raises(InvalidInput):
        decode(bound, NEWEST, scope_of("q=dog", "type=image"))
    with pytest.raises(InvalidInput):
        decode(bound, NEWEST)  # unbound listing, bound cursor


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("not-a-cursor", id="not-base64-json"),
        pytest.param("%%%", id="not-base64"),
        pytest.param("", id="empty"),
        pytest.param("é", id="not-ascii"),
        pytest.param("MjAyNnxub3BlCg", id="old-format"),
        pytest.param(
            base64.urlsafe_b64encode(f"{AT.isoformat()}|{ID}".encode()).decode().rstrip("="), id="old-cursor"
        ),
        pytest.param(_raw(["newest", ["2026-12-03T09:30:01Z"]]), id="too-few-values"),
        pytest.param(_raw(["newest", ["2026-12-03T09:30:01Z", str(ID), 3]]), id="too-many-values"),
        pytest.param(_raw(["newest", ["2026-12-03T09:30:01", str(ID)]]), id="naive-time"),
        pytest.param(_raw(["newest", ["0001-01-01T00:00:00+14:00", str(ID)]]), id="before-utc-year-1"),
        pytest.param(_raw(["newest", ["tomorrow", str(ID)]]), id="not-a-time"),
        pytest.param(_raw(["newest", [1, str(ID)]]), id="number-for-time"),
        pytest.param(_raw(["newest", ["2026-12-03T09:30:01Z", "nope"]]), id="not-a-uuid"),
        pytest.param(_raw(["newest", ["2026-12-03T09:30:01Z", str(ID)], "scope", "extra"]), id="extra-field"),
        pytest.param(_raw({"sort": "newest"}), id="object"),
        pytest.param(_raw(["relevance", [1.0, "2026-12-03T09:30:01Z", str(ID)]]), id="foreign-sort"),
    ],
)
def test_a_malformed_or_foreign_cursor_is_the_clients_error(cursor: str) -> None:
    with pytest.raises(InvalidInput, match="cursor is not one this API issued"):
        decode(cursor, NEWEST)


@pytest.mark.parametrize(
    ("sort", "values"),
    [
        pytest.param(audit.NEWEST, ["2026-12-03T09:30:01Z", 2**63], id="bigint-overflow"),
        pytest.param(BY_NAME, ["a\x00b", str(ID)], id="nul-in-text"),
        pytest.param(BY_NAME, ["x" * 257, str(ID)], id="text-too-long"),
    ],
)
def test_a_tampered_value_postgresql_would_refuse_never_reaches_it(sort: Sort, values: list[object]) -> None:
    with pytest.raises(InvalidInput):
        decode(_raw([sort.name, values]), sort)


class _Row(msgspec.Struct, frozen=True):
    created_at: datetime
    id: uuid.UUID


def test_a_page_has_a_next_cursor_only_when_a_row_was_left_over() -> None:
    rows = [_Row(AT - timedelta(seconds=n), uuid.uuid4()) for n in range(3)]
    items, cursor = page(rows, 2, NEWEST)
    assert items == rows[:2]
    assert cursor is not None
    assert decode(cursor, NEWEST) == (rows[1].created_at, rows[1].id)
    assert page(rows[:2], 2, NEWEST) == (rows[:2], None)
    assert page([], 2, NEWEST) == ([], None)
