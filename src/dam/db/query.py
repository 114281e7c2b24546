"""The WHERE and keyset builder every listing uses, and its typed, opaque cursor.

``Where`` collects conditions joined by AND, numbering their arguments ``$1, $2...`` as it goes, so a
listing states each filter once, as a template and its value::

    where = Where()
    where.add("workspace_id = {}", workspace_id)
    where.maybe("sha256 = {}", sha256)               # only when the value is not None
    where.after(NEWEST, cursor_values)               # the keyset condition, when there is a cursor
    sql = f"SELECT ... WHERE {where.sql} ORDER BY {NEWEST.order_by} LIMIT {where.arg(limit)}"
    rows = await pool.fetch(sql, *where.args)

A ``Sort`` is an ordered tuple of ``Key`` (an SQL expression, the type of its values, a direction)
whose last key is unique (the id), so every row has one place in the order. A listing by another
order (relevance, title, size) is another ``Sort``: the cursor names its sort and carries the last
row's values of every key, typed by the sort, so a cursor of one order is refused by another.

A cursor is base64url (no padding) of the compact JSON ``[sort name, [values...], scope?]``: opaque to
clients, not secret (a client that edits one only moves within what it may list anyway), and checked
on the way back in: anything that is not a cursor of this sort (and of this ``scope``, a digest of
the query a caller binds it to) is ``InvalidInput("cursor is not one this API issued")``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from msgspec import Meta

from dam.domain.errors import InvalidInput

T = TypeVar("T")
NOT_OURS = "cursor is not one this API issued"

# The value types a key may have, as cursors carry them: bounded so a forged value never reaches
# PostgreSQL as something it refuses (a NUL, a bigint overflow, a time outside its range).
Moment = Annotated[datetime, Meta(tz=True)]
BigInt = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
Text = Annotated[str, Meta(max_length=256, pattern=r"^[^\x00]*$")]
KeyType = type[datetime] | type[uuid.UUID] | type[int] | type[float] | type[str]
_DECODED: dict[type, Any] = {datetime: Moment, uuid.UUID: uuid.UUID, int: BigInt, float: float, str: Text}


class Where:
    """Conditions joined by AND, with their numbered arguments (``start``: arguments the statement
    already uses before these, ``$1`` to ``$start``)."""

    def __init__(self, start: int = 0) -> None:
        self.start = start
        self.args: list[object] = []
        self.conditions: list[str] = []

    def arg(self, value: object) -> str:
        """Add one argument; its placeholder (``$n``)."""
        self.args.append(value)
        return f"${self.start + len(self.args)}"

    def add(self, template: str, *values: object) -> Where:
        """Add a condition: ``template``'s ``{}`` (or ``{0}``, ``{1}``... to use one twice) become
        the placeholders of ``values``; literal braces are written ``{{`` and ``}}``."""
        self.conditions.append(template.format(*(self.arg(v) for v in values)))
        return self

    def maybe(self, template: str, value: object) -> Where:
        """``add`` when ``value`` is not None (an optional filter)."""
        return self if value is None else self.add(template, value)

    def after(self, sort: Sort, values: Sequence[object] | None) -> Where:
        """Only rows after the row whose keys were ``values`` (None: from the start)."""
        if values is None:
            return self
        if len(values) != len(sort.keys):
            raise ValueError(f"sort {sort.name} has {len(sort.keys)} keys, not {len(values)}")
        return self.add(sort.keyset(), *values)

    @property
    def sql(self) -> str:
        """The conditions, ``TRUE`` when there are none."""
        return " AND ".join(self.conditions) if self.conditions else "TRUE"


class Key(msgspec.Struct, frozen=True):
    """One key of a sort: an SQL expression that is never NULL (wrap a nullable column in
    ``COALESCE``), the Python type of its values, the attribute of a listed item holding the value,
    and its direction."""

    expr: str
    type: KeyType
    attr: str
    descending: bool = True


class Sort(msgspec.Struct, frozen=True):
    """A named order of a listing; its last key is unique (the id)."""

    name: str
    keys: tuple[Key, ...]

    @property
    def order_by(self) -> str:
        """The ``ORDER BY`` list."""
        return ", ".join(f"{k.expr} {'DESC' if k.descending else 'ASC'}" for k in self.keys)

    def keyset(self) -> str:
        """The condition "after the row with these key values", its values as ``{0}``, ``{1}``...:
        one row comparison when every key runs the same way (an index serves it), else the
        expanded OR of each prefix."""
        sign = ["<" if k.descending else ">" for k in self.keys]
        if len(set(sign)) == 1:
            columns = ", ".join(k.expr for k in self.keys)
            values = ", ".join(f"{{{n}}}" for n in range(len(self.keys)))
            return f"({columns}) {sign[0]} ({values})"
        branches = []
        for n, key in enumerate(self.keys):
            equal = [f"{k.expr} = {{{m}}}" for m, k in enumerate(self.keys[:n])]
            branches.append("(" + " AND ".join([*equal, f"{key.expr} {sign[n]} {{{n}}}"]) + ")")
        return "(" + " OR ".join(branches) + ")"

    def values_of(self, item: object) -> tuple[object, ...]:
        """The key values of a listed item (what its cursor carries)."""
        return tuple(getattr(item, k.attr) for k in self.keys)


class Cursor(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True, omit_defaults=True):
    """What a cursor carries: its sort's name, the last row's key values, the scope it is bound to."""

    sort: str
    values: list[msgspec.Raw]
    scope: str = ""


def scope_of(*parts: object) -> str:
    """A short digest of the query a cursor is bound to (a cursor replayed with another query is
    refused), from its normalised parts."""
    digest = hashlib.blake2b(msgspec.json.encode([str(p) for p in parts]), digest_size=9).digest()
    return base64.urlsafe_b64encode(digest).decode()


def encode(sort: Sort, values: Sequence[object], scope: str = "") -> str:
    """The cursor of the row whose key values are ``values``."""
    raw = [msgspec.Raw(msgspec.json.encode(v)) for v in values]
    return base64.urlsafe_b64encode(msgspec.json.encode(Cursor(sort.name, raw, scope))).decode().rstrip("=")


def decode(cursor: str, sort: Sort, scope: str = "") -> tuple[object, ...]:
    """The key values a cursor of ``sort`` (and ``scope``) carries; anything else is the client's
    error (422 ``invalid_input``)."""
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        found = msgspec.json.decode(text, type=Cursor)
        if found.sort != sort.name or found.scope != scope or len(found.values) != len(sort.keys):
            raise ValueError("another query's cursor")
        return tuple(_value(raw, key.type) for raw, key in zip(found.values, sort.keys, strict=True))
    except (ValueError, OverflowError, binascii.Error, msgspec.DecodeError):
        raise InvalidInput(NOT_OURS) from None


def _value(raw: msgspec.Raw, kind: KeyType) -> object:
    value = msgspec.json.decode(raw, type=_DECODED[kind])
    if isinstance(value, datetime):
        # PostgreSQL compares in UTC: a stamp that cannot be one (year 1 at +14:00) is no cursor of ours.
        return value.astimezone(UTC)
    return value


def page(rows: list[T], limit: int, sort: Sort, scope: str = "") -> tuple[list[T], str | None]:
    """A page of ``rows`` fetched with ``LIMIT limit + 1``, and the cursor of the next one (None:
    this is the last)."""
    items = rows[:limit]
    more = len(rows) > limit and bool(items)
    return items, encode(sort, sort.values_of(items[-1]), scope) if more else None
