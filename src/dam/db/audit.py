"""The audit log: appended in the caller's transaction, read back newest first, keyset-paged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import msgspec

from dam.db.pool import Pool, Queries
from dam.db.query import Key, Sort, Where
from dam.domain.audit import Entry, Filters, Row

_COLUMNS = (
    "action, outcome, workspace_id, actor, user_id, key_id, token_id, share_id, asset_id, target_id,"
    " address, detail"
)


_NAMES = tuple(column.strip() for column in _COLUMNS.split(","))
_TYPES = ("text", "text", "uuid", "text", "uuid", "uuid", "uuid", "uuid", "uuid", "uuid", "text", "jsonb")


def audited(statement: str, nargs: int, take: dict[str, str]) -> str:
    """``statement`` (an INSERT, UPDATE or DELETE ... RETURNING) with the audit row appended by the
    same statement: one round trip, and a row only when the action touched one (a refused or lost
    move writes none). Its parameters follow the statement's ``nargs`` (``params(entry, take)``);
    ``take`` names columns whose values come from the acted row instead (``asset_id="acted.id"``)."""
    unknown = set(take) - set(_NAMES)
    if unknown:
        raise ValueError(f"not audit columns: {sorted(unknown)}")
    values, n = [], nargs
    for column, kind in zip(_NAMES, _TYPES, strict=True):
        if column in take:
            values.append(take[column])
        else:
            n += 1
            values.append(f"${n}::{kind}")
    return f"""WITH acted AS ({statement}),
                    logged AS (INSERT INTO audit_log ({_COLUMNS}) SELECT {", ".join(values)} FROM acted)
               SELECT * FROM acted"""


def params(entry: Entry, take: Iterable[str] = ()) -> tuple[object, ...]:
    """The audit row's parameters, but for the columns ``take`` fills from the acted row."""
    values = (
        entry.action.value, entry.outcome, entry.workspace_id, entry.actor, entry.user_id, entry.key_id,
        entry.token_id, entry.share_id, entry.asset_id, entry.target_id,
        entry.address[:64] if entry.address else None, entry.detail,
    )  # fmt: skip
    skipped = set(take)
    return tuple(value for column, value in zip(_NAMES, values, strict=True) if column not in skipped)


def statement(sql: str, nargs: int, entry: Entry | None, **take: str) -> tuple[str, tuple[object, ...]]:
    """``sql`` audited with ``entry`` (or as it is, when there is none), and the extra parameters."""
    if entry is None:
        return sql, ()
    return audited(sql, nargs, take), params(entry, take)


async def record(conn: Queries, entry: Entry) -> None:
    """Append one row (inside the transaction of the action it records)."""
    values = ", ".join(f"${n + 1}::{kind}" for n, kind in enumerate(_TYPES))
    await conn.execute(f"INSERT INTO audit_log ({_COLUMNS}) VALUES ({values})", *params(entry))


NEWEST = Sort("newest", (Key("l.at", datetime, "at"), Key("l.id", int, "id")))
"""Newest first: ``GET /audit``'s order."""


async def entries(pool: Pool, filters: Filters, *, after: Sequence[object] | None, limit: int) -> list[Row]:
    """Rows matching ``filters``, newest first, after the row whose keys were ``after``."""
    where = (
        Where()
        .maybe("l.workspace_id = {}", filters.workspace_id)
        .maybe("{0} IN (l.user_id, l.key_id, l.token_id, l.share_id)", filters.actor)
        .maybe("l.action = {}", filters.action.value if filters.action else None)
        .maybe("l.asset_id = {}", filters.asset_id)
        .maybe("l.at >= {}", filters.since)
        .maybe("l.at < {}", filters.until)
        .after(NEWEST, after)
    )
    records = await pool.fetch(
        f"""SELECT l.id, l.at, {", ".join(f"l.{c}" for c in _NAMES)}, u.email
            FROM audit_log l LEFT JOIN users u ON u.id = l.user_id
            WHERE {where.sql} ORDER BY {NEWEST.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [msgspec.convert(dict(r.items()), Row) for r in records]
