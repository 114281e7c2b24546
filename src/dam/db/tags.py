"""The tags of a workspace and the tags on its assets: every SQL statement touching them.

An asset's tags are the names in ``assets.tags`` (its order); the workspace's ``tags`` row of each
name keeps the spelling it was first written with (matched by ``key``, its case-folded form) and
how many assets carry it, changed in the transaction of every change of an asset's tags.

Locks, so that concurrent writers never wait on each other in a circle: a transaction that
changes an asset's tags first takes its workspace's tag lock *shared* (``share_lock``), then the
asset's row, then the tag rows it changes in the order of their keys (one statement, ``count``);
renaming or deleting a tag takes the workspace's tag lock *exclusively* (``lock``) first, so it
runs alone among the workspace's tag writers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from dam.db.pool import Connection, Pool
from dam.db.query import Where
from dam.domain.status import HIDDEN

_LOCK_SPACE = 31  # the first key of the workspace's advisory tag lock (the second: its id's hash)


class TagCount(msgspec.Struct, frozen=True, kw_only=True):
    """A tag of a workspace, as first written, and how many of its assets carry it."""

    name: str
    count: int


async def share_lock(conn: Connection, workspace_id: uuid.UUID) -> None:
    """Inside a transaction, before the asset's row: the workspace's tag lock, shared."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock_shared($1, hashtext($2::text))", _LOCK_SPACE, str(workspace_id)
    )


async def share_lock_of_asset(conn: Connection, asset_id: uuid.UUID) -> None:
    """``share_lock`` of the asset's workspace (read without locking the asset's row)."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock_shared($1, hashtext(workspace_id::text)) FROM assets WHERE id = $2",
        _LOCK_SPACE, asset_id,
    )  # fmt: skip


async def lock(conn: Connection, workspace_id: uuid.UUID) -> None:
    """Inside a transaction, first: the workspace's tag lock, alone (a rename or deletion)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2::text))", _LOCK_SPACE, str(workspace_id))


async def count(
    conn: Connection, workspace_id: uuid.UUID, added: Sequence[tuple[str, str]], removed: Sequence[str]
) -> dict[str, str]:
    """One more asset carries each of ``added`` (key, name as written: a new tag is made), one
    fewer each of ``removed`` (keys; a tag no asset carries any more is dropped). Returns the
    workspace's name of each added key: the first written."""
    return await adjust(conn, workspace_id, [(k, n, 1) for k, n in added] + [(k, k, -1) for k in removed])


async def adjust(
    conn: Connection, workspace_id: uuid.UUID, deltas: Sequence[tuple[str, str, int]]
) -> dict[str, str]:
    """Tag counts for many assets at once: each (key, name as written, delta) makes that many more
    (or fewer) assets carry the tag, in one statement in the order of the keys (the order every
    tag writer locks them in); a tag no asset carries any more is dropped. Returns the workspace's
    name of each key counted up: the first written."""
    if not deltas:
        return {}
    rows = sorted(deltas)
    keys, deltas_of = [r[0] for r in rows], [r[2] for r in rows]
    # A key counted down exists (its assets carried it): the insert's 0 never lands. The row
    # proposed for insertion cannot carry a negative count (the CHECK is met first), hence the lookup.
    records = await conn.fetch(
        """INSERT INTO tags AS t (workspace_id, key, name, asset_count)
           SELECT $1, u.key, u.name, GREATEST(u.delta, 0)
           FROM unnest($2::text[], $3::text[], $4::int[]) AS u(key, name, delta)
           ORDER BY u.key
           ON CONFLICT (workspace_id, key)
           DO UPDATE SET asset_count = t.asset_count + (
               SELECT d.delta FROM unnest($2::text[], $4::int[]) AS d(key, delta) WHERE d.key = excluded.key)
           RETURNING key, name""",
        workspace_id, keys, [r[1][:100] or "-" for r in rows], deltas_of,
    )  # fmt: skip
    if down := [key for key, _, delta in rows if delta < 0]:
        await conn.execute(
            "DELETE FROM tags WHERE workspace_id = $1 AND key = ANY($2::text[]) AND asset_count <= 0",
            workspace_id, down,
        )  # fmt: skip
    up = {key for key, _, delta in rows if delta > 0}
    return {r["key"]: r["name"] for r in records if r["key"] in up}


async def listing(pool: Pool, workspace_id: uuid.UUID, prefix: str | None, limit: int) -> list[TagCount]:
    """The workspace's tags, most used first (then by key), whose key starts with ``prefix``."""
    where = Where().add("workspace_id = {}", workspace_id)
    if prefix:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.add("key LIKE {} ESCAPE '\\'", escaped + "%")
    records = await pool.fetch(
        f"""SELECT name, asset_count AS count FROM tags WHERE {where.sql}
            ORDER BY asset_count DESC, key LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [TagCount(name=r["name"], count=r["count"]) for r in records]


async def enriched_listing(
    pool: Pool, workspace_id: uuid.UUID, prefix: str | None, limit: int, *, people: bool
) -> list[TagCount]:
    """The model tags of the workspace's assets (with ``people``: and people's tags, by key),
    most used first, each counted once per asset (deleted ones aside, rejected model tags too): read
    from the search documents, every asset's."""
    where = Where().add("d.workspace_id = {}", workspace_id)
    where.add("d.status <> ALL({})", [s.value for s in HIDDEN])
    if prefix:
        escaped = prefix.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.add("k LIKE {} ESCAPE '\\'", escaped + "%")
    words = "d.model_tags || ARRAY(SELECT lower(x) FROM unnest(d.tags) AS x)" if people else "d.model_tags"
    records = await pool.fetch(
        f"""SELECT k AS name, count(*) AS count
            FROM search_documents AS d, unnest(ARRAY(SELECT DISTINCT w FROM unnest({words}) AS w)) AS k
            WHERE {where.sql}
            GROUP BY k ORDER BY count(*) DESC, k LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [TagCount(name=r["name"], count=r["count"]) for r in records]


async def find(conn: Connection, workspace_id: uuid.UUID, key: str) -> TagCount | None:
    """Inside a transaction: the workspace's tag of that key, locked."""
    record = await conn.fetchrow(
        "SELECT name, asset_count AS count FROM tags WHERE workspace_id = $1 AND key = $2 FOR UPDATE",
        workspace_id, key,
    )  # fmt: skip
    return None if record is None else TagCount(name=record["name"], count=record["count"])


async def rename(conn: Connection, workspace_id: uuid.UUID, key: str, new_key: str, name: str) -> None:
    """The tag of ``key`` is now ``name`` (of ``new_key``), which no other tag of the workspace has."""
    await conn.execute(
        "UPDATE tags SET key = $3, name = $4 WHERE workspace_id = $1 AND key = $2",
        workspace_id, key, new_key, name,
    )  # fmt: skip


async def drop(conn: Connection, workspace_id: uuid.UUID, key: str) -> None:
    """Remove the workspace's tag of ``key`` (its assets no longer carry it)."""
    await conn.execute("DELETE FROM tags WHERE workspace_id = $1 AND key = $2", workspace_id, key)


async def recount(conn: Connection, workspace_id: uuid.UUID, key: str, name: str) -> int:
    """Count again the assets that carry the tag ``name`` (of ``key``), after a merge; their number."""
    value: int = await conn.fetchval(
        """UPDATE tags SET asset_count = (SELECT count(*) FROM assets
                                          WHERE workspace_id = $1 AND tags @> ARRAY[$2]::text[]
                                            AND status <> ALL($4::text[]))
           WHERE workspace_id = $1 AND key = $3 RETURNING asset_count""",
        workspace_id, name, key, [s.value for s in HIDDEN],
    )  # fmt: skip
    return value


async def replace_on_assets(conn: Connection, workspace_id: uuid.UUID, old: str, new: str) -> list[uuid.UUID]:
    """Every asset of the workspace that carries ``old`` carries ``new`` in its place (once, where
    the first of the two was), its revision bumped; their ids."""
    records = await conn.fetch(
        """UPDATE assets SET
               tags = (SELECT array_agg(d.tag ORDER BY d.n)
                       FROM (SELECT DISTINCT ON (u.tag) u.tag, u.n
                             FROM unnest(array_replace(tags, $2, $3)) WITH ORDINALITY AS u(tag, n)
                             ORDER BY u.tag, u.n) AS d),
               revision = revision + 1, updated_at = now()
           WHERE workspace_id = $1 AND tags @> ARRAY[$2]::text[]
           RETURNING id""",
        workspace_id, old, new,
    )  # fmt: skip
    return [r["id"] for r in records]


async def remove_from_assets(conn: Connection, workspace_id: uuid.UUID, name: str) -> list[uuid.UUID]:
    """No asset of the workspace carries ``name`` any more (their revisions bumped); their ids."""
    records = await conn.fetch(
        """UPDATE assets SET tags = array_remove(tags, $2), revision = revision + 1, updated_at = now()
           WHERE workspace_id = $1 AND tags @> ARRAY[$2]::text[]
           RETURNING id""",
        workspace_id, name,
    )  # fmt: skip
    return [r["id"] for r in records]
