"""``asset_streams`` rows: every SQL statement touching adaptive streams lives here."""

from __future__ import annotations

import uuid

import msgspec

from dam.db.pool import Connection, Pool
from dam.domain.streaming import Manifests, Rendition, Storyboard, StreamRecord, merge

_COLUMNS = (
    "asset_id, recipe, run_id, chunk_seconds, chunk_count, chunks_done, renditions, manifests, storyboard"
)


def _record(row: object) -> StreamRecord:
    return msgspec.convert(dict(row.items()), StreamRecord)  # type: ignore[attr-defined]


async def begin(
    pool: Pool, asset_id: uuid.UUID, recipe: str, *, chunk_seconds: int, chunk_count: int
) -> StreamRecord:
    """The stream the ladder works on: the one it began (it resumes at ``chunks_done``), or a new one."""
    row = await pool.fetchrow(
        f"""INSERT INTO asset_streams (asset_id, recipe, run_id, chunk_seconds, chunk_count)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (asset_id, recipe) DO UPDATE SET updated_at = now()
            RETURNING {_COLUMNS}""",
        asset_id, recipe, uuid.uuid4(), chunk_seconds, chunk_count,
    )  # fmt: skip
    assert row is not None
    return _record(row)


async def record_chunk(
    conn: Connection, asset_id: uuid.UUID, recipe: str, run_id: uuid.UUID, index: int, made: list[Rendition]
) -> StreamRecord | None:
    """Inside the caller's transaction: chunk ``index`` is done: its segments join the stream. A
    chunk recorded already (a duplicate job) or of another run changes nothing; None when the stream
    is gone (reprocessed, deleted)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM asset_streams WHERE asset_id = $1 AND recipe = $2 FOR UPDATE",
        asset_id, recipe,
    )  # fmt: skip
    if row is None:
        return None
    record = _record(row)
    if record.run_id != run_id or record.chunks_done != index:
        return record
    row = await conn.fetchrow(
        f"""UPDATE asset_streams SET chunks_done = $3, renditions = $4, updated_at = now()
            WHERE asset_id = $1 AND recipe = $2 RETURNING {_COLUMNS}""",
        asset_id, recipe, index + 1, merge(record.renditions, made),
    )  # fmt: skip
    return _record(row)


async def finish(pool: Pool, asset_id: uuid.UUID, recipe: str, manifests: Manifests) -> None:
    """The stream's manifests, once its last chunk is done."""
    await pool.execute(
        "UPDATE asset_streams SET manifests = $3, updated_at = now() WHERE asset_id = $1 AND recipe = $2",
        asset_id, recipe, manifests,
    )  # fmt: skip


async def set_storyboard(pool: Pool, asset_id: uuid.UUID, recipe: str, storyboard: Storyboard) -> None:
    """The storyboard of the asset's stream in ``recipe``."""
    await pool.execute(
        "UPDATE asset_streams SET storyboard = $3, updated_at = now() WHERE asset_id = $1 AND recipe = $2",
        asset_id, recipe, storyboard,
    )  # fmt: skip


async def reset(conn: Connection, asset_id: uuid.UUID) -> None:
    """Inside a transaction: the ladder starts over (a reprocess); what players read stays until then."""
    await conn.execute(
        """UPDATE asset_streams SET run_id = gen_random_uuid(), chunks_done = 0, renditions = '[]'::jsonb,
                                    updated_at = now()
           WHERE asset_id = $1""",
        asset_id,
    )


async def current(pool: Pool | Connection, asset_id: uuid.UUID, recipe: str) -> StreamRecord | None:
    """The asset's stream in ``recipe``."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM asset_streams WHERE asset_id = $1 AND recipe = $2", asset_id, recipe
    )
    return None if row is None else _record(row)


async def of_assets(pool: Pool, asset_ids: list[uuid.UUID], recipe: str) -> dict[uuid.UUID, StreamRecord]:
    """The streams of several assets in ``recipe``."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM asset_streams WHERE asset_id = ANY($1::uuid[]) AND recipe = $2",
        asset_ids, recipe,
    )  # fmt: skip
    return {record.asset_id: record for record in map(_record, rows)}
