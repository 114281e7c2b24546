"""Collections and their ordered members: every SQL statement touching them lives here.

Statements take the unit's connection (``Connection``) when they belong to a write, or any
``Queries`` for a read. Members whose asset is deleted stay in the table (an asset's row outlives
it) and are left out of every count and listing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg
import msgspec

from dam.db.assets import ASSET_COLUMNS, asset_of
from dam.db.pool import Connection, Queries
from dam.db.query import Key, Sort, Where
from dam.domain.access import Owner
from dam.domain.assets import Asset
from dam.domain.collections import Collection, Node
from dam.domain.status import HIDDEN

_COLUMNS = (
    "c.id, c.workspace_id, c.name, c.description, c.parent_id, c.query, c.created_by, c.created_by_key,"
    " c.created_at, c.updated_at"
)
_GONE = [s.value for s in sorted(HIDDEN)]  # trashed or deleted: left out of every collection
_GONE_SQL = ", ".join(f"'{v}'" for v in _GONE)
# The members of collection ``c`` that count: their asset is not trashed or deleted.
_COUNT = f"""CASE WHEN c.query IS NULL THEN (
    SELECT count(*) FROM collection_assets m JOIN assets a ON a.id = m.asset_id
    WHERE m.collection_id = c.id AND a.status NOT IN ({_GONE_SQL})) END AS asset_count"""
_COVER = f"""CASE WHEN c.query IS NULL THEN (
    SELECT m.asset_id FROM collection_assets m JOIN assets a ON a.id = m.asset_id
    WHERE m.collection_id = c.id AND a.status NOT IN ({_GONE_SQL})
    ORDER BY m.position, m.asset_id LIMIT 1) END AS cover_asset_id"""
# The collection $1 and every one below it.
_DOWN = """WITH RECURSIVE down AS (
    SELECT id FROM collections WHERE id = $1
    UNION SELECT c.id FROM collections c JOIN down ON c.parent_id = down.id)"""
_PREFIXED = ", ".join(f"a.{c.strip()}" for c in ASSET_COLUMNS.split(","))

IN_ORDER = Sort(
    "position",
    (Key("m.position", int, "position", descending=False), Key("m.asset_id", uuid.UUID, "id", False)),
)
"""A collection's own order: by position, then id."""


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A member as its collection lists it."""

    id: uuid.UUID
    position: int
    asset: Asset


def _collection(record: asyncpg.Record | None) -> Collection | None:
    return None if record is None else msgspec.convert(dict(record.items()), Collection)


async def insert(
    conn: Queries,
    *,
    workspace_id: uuid.UUID,
    name: str,
    description: str,
    parent_id: uuid.UUID | None,
    query: str | None,
    created_by: uuid.UUID | None,
    created_by_key: uuid.UUID | None,
) -> Collection:
    """A new collection (its parent already checked to be of the same workspace)."""
    record = await conn.fetchrow(
        f"""INSERT INTO collections AS c (id, workspace_id, name, description, parent_id, query, created_by,
                                          created_by_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}, {_COUNT}""",
        uuid.uuid4(), workspace_id, name, description, parent_id, query, created_by, created_by_key,
    )  # fmt: skip
    found = _collection(record)
    assert found is not None
    return found


async def get(
    conn: Queries, collection_id: uuid.UUID, workspace_id: uuid.UUID, *, lock: bool = False
) -> Collection | None:
    """The workspace's collection (another workspace's is as absent as an unknown one); ``lock``:
    its row locked until the transaction ends (member changes of one collection run one at a time)."""
    if lock:
        await conn.execute(
            "SELECT 1 FROM collections WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            collection_id,
            workspace_id,
        )
    return _collection(
        await conn.fetchrow(
            f"SELECT {_COLUMNS}, {_COUNT} FROM collections c WHERE c.id = $1 AND c.workspace_id = $2",
            collection_id,
            workspace_id,
        )
    )


async def tree(conn: Queries, workspace_id: uuid.UUID) -> list[Node]:
    """Every collection of the workspace, oldest first, with its count and its first member."""
    records = await conn.fetch(
        f"""SELECT c.id, c.name, c.parent_id, {_COUNT}, {_COVER} FROM collections c
            WHERE c.workspace_id = $1 ORDER BY c.created_at, c.id""",
        workspace_id,
    )
    return [msgspec.convert(dict(r.items()), Node) for r in records]


async def lock_tree(conn: Connection, workspace_id: uuid.UUID) -> None:
    """Inside a transaction: moves in the workspace's tree run one at a time (two concurrent moves
    could each pass the cycle check and together make a cycle)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('collections:' || $1::uuid::text, 0))", workspace_id
    )


async def within(conn: Queries, collection_id: uuid.UUID, ancestor: uuid.UUID) -> bool:
    """Whether ``collection_id`` is ``ancestor`` or below it."""
    found = await conn.fetchval(
        """WITH RECURSIVE up AS (
               SELECT id, parent_id FROM collections WHERE id = $1
               UNION SELECT c.id, c.parent_id FROM collections c JOIN up ON c.id = up.parent_id)
           SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)""",
        collection_id, ancestor,
    )  # fmt: skip
    return bool(found)


async def update(
    conn: Connection, collection_id: uuid.UUID, *, name: str, description: str, parent_id: uuid.UUID | None
) -> Collection:
    """Set a collection's name, description and parent."""
    record = await conn.fetchrow(
        f"""UPDATE collections c SET name = $2, description = $3, parent_id = $4, updated_at = now()
            WHERE c.id = $1 RETURNING {_COLUMNS}, {_COUNT}""",
        collection_id, name, description, parent_id,
    )  # fmt: skip
    found = _collection(record)
    assert found is not None
    return found


async def has_children(conn: Queries, collection_id: uuid.UUID) -> bool:
    """Whether any collection sits directly below this one."""
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM collections WHERE parent_id = $1)", collection_id)
    )


async def owners_below(conn: Connection, collection_id: uuid.UUID) -> list[Owner]:
    """Who made each collection below this one (at any depth)."""
    records = await conn.fetch(
        f"""{_DOWN} SELECT created_by, created_by_key FROM collections
            WHERE id IN (SELECT id FROM down) AND id <> $1""",
        collection_id,
    )
    return [Owner(user_id=r["created_by"], key_id=r["created_by_key"]) for r in records]


async def members_below(conn: Connection, collection_id: uuid.UUID) -> list[uuid.UUID]:
    """The assets that are members of this collection or of any below it."""
    records = await conn.fetch(
        f"""{_DOWN} SELECT DISTINCT asset_id FROM collection_assets
            WHERE collection_id IN (SELECT id FROM down)""",
        collection_id,
    )
    return [r["asset_id"] for r in records]


async def delete(conn: Connection, collection_id: uuid.UUID) -> None:
    """Delete a collection, the collections below it and their memberships (never the assets)."""
    await conn.execute("DELETE FROM collections WHERE id = $1", collection_id)


async def visible(conn: Queries, asset_ids: Sequence[uuid.UUID], workspace_id: uuid.UUID) -> set[uuid.UUID]:
    """Which of the given assets are the workspace's and not trashed or deleted."""
    records = await conn.fetch(
        "SELECT id FROM assets"
        " WHERE id = ANY($1::uuid[]) AND workspace_id = $2 AND status <> ALL($3::text[])",
        list(asset_ids), workspace_id, _GONE,
    )  # fmt: skip
    return {r["id"] for r in records}


async def add(
    conn: Connection, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID], gap: int
) -> list[uuid.UUID]:
    """Append the assets that are not members yet, in the given order, ``gap`` apart after the last
    member; the ones added."""
    records = await conn.fetch(
        """WITH last AS (SELECT COALESCE(max(position), 0) AS p FROM collection_assets
                         WHERE collection_id = $1)
           INSERT INTO collection_assets (collection_id, asset_id, position)
           SELECT $1, ids.id, last.p + ids.n * $3::bigint
           FROM unnest($2::uuid[]) WITH ORDINALITY AS ids (id, n), last
           WHERE NOT EXISTS (SELECT 1 FROM collection_assets WHERE collection_id = $1 AND asset_id = ids.id)
           ORDER BY ids.n
           ON CONFLICT DO NOTHING RETURNING asset_id""",
        collection_id, list(asset_ids), gap,
    )  # fmt: skip
    return [r["asset_id"] for r in records]


async def remove(
    conn: Connection, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Remove these members (ids that are not members: no change); the ones removed."""
    records = await conn.fetch(
        """DELETE FROM collection_assets WHERE collection_id = $1 AND asset_id = ANY($2::uuid[])
           RETURNING asset_id""",
        collection_id, list(asset_ids),
    )  # fmt: skip
    return [r["asset_id"] for r in records]


async def positions(
    conn: Queries, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The positions of those of the given assets that are members."""
    records = await conn.fetch(
        """SELECT asset_id, position FROM collection_assets
           WHERE collection_id = $1 AND asset_id = ANY($2::uuid[])""",
        collection_id, list(asset_ids),
    )  # fmt: skip
    return {r["asset_id"]: int(r["position"]) for r in records}


async def gap_before(
    conn: Connection, collection_id: uuid.UUID, before: int | None, moving: Sequence[uuid.UUID]
) -> int:
    """The position of the last member that stays, before position ``before`` (None: of all); 0 when
    there is none."""
    value = await conn.fetchval(
        """SELECT COALESCE(max(position), 0) FROM collection_assets
           WHERE collection_id = $1 AND ($2::bigint IS NULL OR position < $2)
             AND asset_id <> ALL($3::uuid[])""",
        collection_id, before, list(moving),
    )  # fmt: skip
    return int(value)


async def renumber(conn: Connection, collection_id: uuid.UUID, gap: int) -> None:
    """Spread the members ``gap`` apart again, in their order."""
    await conn.execute(
        """UPDATE collection_assets m SET position = r.n * $2::bigint
           FROM (SELECT asset_id, row_number() OVER (ORDER BY position, asset_id) AS n
                 FROM collection_assets WHERE collection_id = $1) r
           WHERE m.collection_id = $1 AND m.asset_id = r.asset_id""",
        collection_id, gap,
    )  # fmt: skip


async def place(
    conn: Connection, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID], at: Sequence[int]
) -> None:
    """Give the members these positions."""
    await conn.execute(
        """UPDATE collection_assets m SET position = p.position
           FROM unnest($2::uuid[], $3::bigint[]) AS p (asset_id, position)
           WHERE m.collection_id = $1 AND m.asset_id = p.asset_id""",
        collection_id, list(asset_ids), list(at),
    )  # fmt: skip


async def members(
    conn: Queries,
    collection_id: uuid.UUID,
    workspace_id: uuid.UUID,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[Member]:
    """A collection's members in order (deleted assets left out), after the member whose keys were
    ``after``."""
    where = Where().add("m.collection_id = {}", collection_id).add("a.workspace_id = {}", workspace_id)
    where.add("a.status <> ALL({})", _GONE).after(IN_ORDER, after)
    records = await conn.fetch(
        f"""SELECT m.position AS member_position, {_PREFIXED} FROM collection_assets m
            JOIN assets a ON a.id = m.asset_id
            WHERE {where.sql} ORDER BY {IN_ORDER.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    found = []
    for record in records:
        asset = asset_of(record)  # the extra column is no field of an asset: ignored
        assert asset is not None
        found.append(Member(id=asset.id, position=int(record["member_position"]), asset=asset))
    return found


async def is_member(conn: Queries, collection_id: uuid.UUID, asset_id: uuid.UUID) -> bool:
    """Whether the asset is a member of the collection (deleted or not)."""
    found = await conn.fetchval(
        "SELECT 1 FROM collection_assets WHERE collection_id = $1 AND asset_id = $2", collection_id, asset_id
    )
    return found is not None


async def assets(conn: Queries, asset_ids: Sequence[uuid.UUID], workspace_id: uuid.UUID) -> list[Asset]:
    """The workspace's assets of these ids (any order)."""
    records = await conn.fetch(
        f"SELECT {ASSET_COLUMNS} FROM assets WHERE id = ANY($1::uuid[]) AND workspace_id = $2",
        list(asset_ids), workspace_id,
    )  # fmt: skip
    return [a for a in map(asset_of, records) if a is not None]
