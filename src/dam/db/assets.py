"""Asset and rendition rows: every SQL statement touching them lives here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from dam.db.pool import Pool
from dam.domain.status import AssetStatus, sources_of

_ASSET_COLUMNS = (
    "id, filename, content_type, size, sha256, storage_key, status, upload_id, part_size, part_checksums,"
    " etag,"
    " stored_size, error, metadata, media, created_at, updated_at, uploaded_at"
)


class AssetRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of ``assets``."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    storage_key: str
    status: AssetStatus
    upload_id: str | None
    part_size: int | None
    part_checksums: bool
    etag: str | None
    stored_size: int | None
    error: str | None
    metadata: dict[str, Any]
    media: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None


class NewAsset(msgspec.Struct, frozen=True, kw_only=True):
    """What ``POST /assets`` inserts."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    storage_key: str
    upload_id: str | None
    part_size: int | None
    part_checksums: bool
    metadata: dict[str, Any]


class RenditionRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of ``renditions``."""

    asset_id: uuid.UUID
    kind: str
    storage_key: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int | None
    created_at: datetime


def _asset(record: asyncpg.Record | None) -> AssetRow | None:
    return None if record is None else msgspec.convert(dict(record.items()), AssetRow)


async def insert_asset(pool: Pool, new: NewAsset) -> AssetRow:
    """Insert a ``pending_upload`` asset."""
    record = await pool.fetchrow(
        f"""INSERT INTO assets (id, filename, content_type, size, sha256, storage_key, upload_id,
                                part_size, part_checksums, metadata)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            RETURNING {_ASSET_COLUMNS}""",
        new.id, new.filename, new.content_type, new.size, new.sha256, new.storage_key,
        new.upload_id, new.part_size, new.part_checksums, new.metadata,
    )  # fmt: skip
    row = _asset(record)
    assert row is not None
    return row


async def get_asset(pool: Pool, asset_id: uuid.UUID) -> AssetRow | None:
    """Fetch one asset."""
    return _asset(await pool.fetchrow(f"SELECT {_ASSET_COLUMNS} FROM assets WHERE id = $1", asset_id))


async def replace_upload_id(pool: Pool, asset_id: uuid.UUID, old: str | None, new: str) -> AssetRow | None:
    """Record a new multipart upload id, if the asset still waits on ``old``."""
    return _asset(
        await pool.fetchrow(
            f"""UPDATE assets SET upload_id = $3, updated_at = now()
                WHERE id = $1 AND status = 'pending_upload' AND upload_id IS NOT DISTINCT FROM $2
                RETURNING {_ASSET_COLUMNS}""",
            asset_id, old, new,
        )
    )  # fmt: skip


async def mark_uploaded(pool: Pool, asset_id: uuid.UUID, *, etag: str, stored_size: int) -> AssetRow | None:
    """``pending_upload -> uploaded``; None when the asset was not pending (another caller won)."""
    return _asset(
        await pool.fetchrow(
            f"""UPDATE assets
                SET status = 'uploaded', etag = $2, stored_size = $3, upload_id = NULL, error = NULL,
                    uploaded_at = now(), updated_at = now()
                WHERE id = $1 AND status = 'pending_upload'
                RETURNING {_ASSET_COLUMNS}""",
            asset_id, etag, stored_size,
        )
    )  # fmt: skip


async def transition(
    pool: Pool, asset_id: uuid.UUID, new: AssetStatus, *, error: str | None = None
) -> AssetRow | None:
    """Move an asset to ``new`` if its current status allows it; None when it does not."""
    return _asset(
        await pool.fetchrow(
            f"""UPDATE assets SET status = $2, error = $3, updated_at = now()
                WHERE id = $1 AND status = ANY($4::text[])
                RETURNING {_ASSET_COLUMNS}""",
            asset_id, new.value, error, [s.value for s in sources_of(new)],
        )
    )  # fmt: skip


async def list_assets(
    pool: Pool,
    *,
    status: AssetStatus | None,
    content_type: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    sha256: str | None = None,
) -> list[AssetRow]:
    """Newest first, keyset-paginated on ``(created_at, id)``; deleted assets only when asked for."""
    args: list[Any] = []
    conditions: list[str] = []
    if status is None:
        conditions.append("status <> 'deleted'")
    else:
        args.append(status.value)
        conditions.append(f"status = ${len(args)}")
    if content_type is not None:
        args.append(content_type)
        if content_type.endswith("/*"):
            args[-1] = content_type[:-1]
            conditions.append(f"starts_with(content_type, ${len(args)})")
        else:
            conditions.append(f"content_type = ${len(args)}")
    if sha256 is not None:
        args.append(sha256)
        conditions.append(f"sha256 = ${len(args)}")
    if after is not None:
        args.extend(after)
        conditions.append(f"(created_at, id) < (${len(args) - 1}, ${len(args)})")
    args.append(limit)
    records = await pool.fetch(
        f"""SELECT {_ASSET_COLUMNS} FROM assets WHERE {" AND ".join(conditions)}
            ORDER BY created_at DESC, id DESC LIMIT ${len(args)}""",
        *args,
    )
    return [msgspec.convert(dict(r.items()), AssetRow) for r in records]


async def list_renditions(pool: Pool, asset_ids: list[uuid.UUID]) -> list[RenditionRow]:
    """Renditions of the given assets."""
    records = await pool.fetch(
        """SELECT asset_id, kind, storage_key, content_type, width, height, bytes, created_at
           FROM renditions WHERE asset_id = ANY($1::uuid[]) ORDER BY asset_id, kind""",
        asset_ids,
    )
    return [msgspec.convert(dict(r.items()), RenditionRow) for r in records]


async def ping(pool: Pool) -> None:
    """Round-trip to the database."""
    await pool.fetchval("SELECT 1")


async def start_processing(pool: Pool, asset_id: uuid.UUID) -> AssetRow | None:
    """``uploaded -> processing``; also takes over an asset left ``processing`` by a dead worker."""
    return _asset(
        await pool.fetchrow(
            f"""UPDATE assets SET status = 'processing', error = NULL, updated_at = now()
                WHERE id = $1 AND status IN ('uploaded', 'processing')
                RETURNING {_ASSET_COLUMNS}""",
            asset_id,
        )
    )


async def finish_processing(
    pool: Pool, asset_id: uuid.UUID, media: dict[str, Any], renditions: list[NewRendition]
) -> AssetRow | None:
    """Record media facts and renditions and mark the asset ready, in one transaction."""
    async with pool.transaction() as conn:
        record = await conn.fetchrow(
            f"""UPDATE assets SET status = 'ready', media = $2, error = NULL, updated_at = now()
                WHERE id = $1 AND status = 'processing'
                RETURNING {_ASSET_COLUMNS}""",
            asset_id, media,
        )  # fmt: skip
        if record is None:
            return None
        await conn.execute("DELETE FROM renditions WHERE asset_id = $1", asset_id)
        await conn.executemany(
            """INSERT INTO renditions (asset_id, kind, storage_key, content_type, width, height, bytes)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [
                (asset_id, r.kind, r.storage_key, r.content_type, r.width, r.height, r.bytes)
                for r in renditions
            ],
        )
    return _asset(record)


class NewRendition(msgspec.Struct, frozen=True, kw_only=True):
    """A rendition about to be recorded."""

    kind: str
    storage_key: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int


async def assets_in_status(
    pool: Pool, status: AssetStatus, *, older_than_seconds: float, limit: int = 500
) -> list[AssetRow]:
    """Assets that have been in ``status`` for longer than the given age (reconciler)."""
    records = await pool.fetch(
        f"""SELECT {_ASSET_COLUMNS} FROM assets
            WHERE status = $1 AND updated_at < now() - make_interval(secs => $2)
            ORDER BY updated_at LIMIT $3""",
        status.value, older_than_seconds, limit,
    )  # fmt: skip
    return [msgspec.convert(dict(r.items()), AssetRow) for r in records]


async def count_by_status(pool: Pool) -> dict[str, int]:
    """How many assets are in each status."""
    records = await pool.fetch("SELECT status, count(*) AS n FROM assets GROUP BY status")
    return {r["status"]: int(r["n"]) for r in records}
