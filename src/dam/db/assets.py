"""Asset and rendition rows: every SQL statement touching them lives here.

Status guards are ``Move`` values from ``domain/status.py`` (``MOVES`` lists them by function), so
no statement here names a status the transition table has not allowed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from dam.db import audit as audit_rows
from dam.db import steps as step_rows
from dam.db import upload_tokens as token_rows
from dam.db.pool import Connection, Pool, Queries
from dam.db.query import Key, Sort, Where
from dam.domain.assets import Asset, NewAsset, Rendition, StoredRendition
from dam.domain.audit import Entry
from dam.domain.media import MediaInfo
from dam.domain.metadata import Editable
from dam.domain.status import HIDDEN, AssetStatus, Move, move, sources_of
from dam.domain.steps import FIRST

log = logging.getLogger(__name__)

_S = AssetStatus
# Every field of ``Asset`` is a column of ``assets`` (domain/assets.py declares them once).
ASSET_COLUMNS = ", ".join(f.name for f in msgspec.structs.fields(Asset))
_PREFIXED_COLUMNS = ", ".join(f"a.{f.name}" for f in msgspec.structs.fields(Asset))
_RENDITION_COLUMNS = "asset_id, kind, storage_key, content_type, width, height, bytes, created_at"

# The guarded moves each function makes; a unit test checks them against the transition table.
MARK_UPLOADED = move(_S.UPLOADED, sources={_S.PENDING_UPLOAD})
START_PROCESSING = move(_S.PROCESSING, sources={_S.UPLOADED})
RESTART = move(_S.UPLOADED, sources={_S.READY, _S.FAILED})
FINISH = move(_S.READY, sources={_S.PROCESSING})
FAIL_PROCESSING = move(_S.FAILED, sources={_S.PROCESSING})
FAIL_UPLOAD = move(_S.FAILED, sources={_S.PENDING_UPLOAD})
DELETE = move(_S.DELETED)
TRASH = move(_S.TRASHED)
RESTORE_TO = {target: move(target, sources={_S.TRASHED}) for target in (_S.READY, _S.FAILED, _S.UPLOADED)}
MOVES: dict[str, tuple[Move, ...]] = {
    "mark_uploaded": (MARK_UPLOADED,),
    "start_processing": (START_PROCESSING,),
    "restart": (RESTART,),
    "mark_ready": (FINISH,),
    "mark_failed": (FAIL_PROCESSING,),
    "fail_upload": (FAIL_UPLOAD,),
    "transition": tuple(move(s) for s in _S if sources_of(s)),
    "delete_many": (DELETE,),
    "trash_many": (TRASH,),
    "restore": tuple(RESTORE_TO.values()),
}


def asset_of(record: asyncpg.Record | None) -> Asset | None:
    """Decode an ``assets`` row; facts stored by an older release that no longer decode are dropped."""
    if record is None:
        return None
    values = dict(record.items())
    try:
        return msgspec.convert(values, Asset)
    except msgspec.ValidationError as exc:
        log.warning("asset %s: stored media facts do not decode (%s); shown without them", values["id"], exc)
        return msgspec.convert({**values, "media": None}, Asset)


def _assets(records: list[asyncpg.Record]) -> list[Asset]:
    return [a for a in map(asset_of, records) if a is not None]


async def insert_asset(conn: Queries, new: NewAsset, audit: Entry | None = None) -> Asset:
    """Insert a ``pending_upload`` asset (and its audit row, in the same statement)."""
    sql, logged = audit_rows.statement(
        f"""INSERT INTO assets (id, filename, content_type, size, sha256, storage_key, upload_id,
                                part_size, part_checksums, metadata, status, workspace_id, created_by,
                                created_by_key, upload_token_id, max_bytes, title, description, tags)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                    $19::text[])
            RETURNING {ASSET_COLUMNS}""",
        19, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    record = await conn.fetchrow(
        sql,
        new.id, new.filename, new.content_type, new.size, new.sha256, new.storage_key,
        new.upload_id, new.part_size, new.part_checksums, new.metadata, _S.PENDING_UPLOAD.value,
        new.workspace_id, new.created_by, new.created_by_key, new.upload_token_id, new.max_bytes,
        new.title, new.description, new.tags, *logged,
    )  # fmt: skip
    row = asset_of(record)
    assert row is not None
    return row


async def get_asset(pool: Pool, asset_id: uuid.UUID, workspace_id: uuid.UUID | None = None) -> Asset | None:
    """Fetch one asset; with ``workspace_id``, only if it belongs to that workspace (an asset of
    another workspace is as absent as an unknown one). Jobs, which act for no one, read any."""
    if workspace_id is None:
        return asset_of(await pool.fetchrow(f"SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1", asset_id))
    return asset_of(
        await pool.fetchrow(
            f"SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1 AND workspace_id = $2", asset_id, workspace_id
        )
    )


async def lock_asset(conn: Connection, asset_id: uuid.UUID) -> Asset | None:
    """Inside a transaction: the asset's row, locked until the transaction ends."""
    return asset_of(
        await conn.fetchrow(f"SELECT {ASSET_COLUMNS} FROM assets WHERE id = $1 FOR UPDATE", asset_id)
    )


async def replace_upload_id(pool: Pool, asset_id: uuid.UUID, old: str | None, new: str) -> Asset | None:
    """Record a new multipart upload id, if the asset still waits on ``old``."""
    return asset_of(
        await pool.fetchrow(
            f"""UPDATE assets SET upload_id = $3, updated_at = now()
                WHERE id = $1 AND status = $4 AND upload_id IS NOT DISTINCT FROM $2
                RETURNING {ASSET_COLUMNS}""",
            asset_id, old, new, _S.PENDING_UPLOAD.value,
        )
    )  # fmt: skip


async def touch_pending(pool: Pool, asset_id: uuid.UUID) -> None:
    """Note that a pending upload is in progress (its client asked for URLs): the reconciler
    measures a pending upload's age from ``updated_at``."""
    await pool.execute(
        "UPDATE assets SET updated_at = now() WHERE id = $1 AND status = $2",
        asset_id,
        _S.PENDING_UPLOAD.value,
    )


async def mark_uploaded(
    conn: Connection, asset_id: uuid.UUID, *, etag: str, stored_size: int, audit: Entry | None = None
) -> Asset | None:
    """Inside a transaction: ``pending_upload -> uploaded`` with its first step planned, the bytes
    charged to its upload token; None when another caller won (and then no audit row either).
    ``OverBudget`` when the token cannot take them: the caller rolls the move back."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets
            SET status = $4, etag = $2, stored_size = $3, upload_id = NULL, error = NULL,
                uploaded_at = now(), updated_at = now()
            WHERE id = $1 AND status = ANY($5::text[])
            RETURNING {ASSET_COLUMNS}""",
        5, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    row = asset_of(
        await conn.fetchrow(
            sql, asset_id, etag, stored_size, MARK_UPLOADED.target.value, MARK_UPLOADED.source_values,
            *logged,
        )
    )  # fmt: skip
    if row is not None:
        if row.upload_token_id is not None and not await token_rows.charge(
            conn, row.upload_token_id, stored_size
        ):
            raise OverBudget(row.upload_token_id)  # rolls the move back: the caller refuses it
        await step_rows.replan(conn, asset_id, (FIRST,))
    return row


class OverBudget(Exception):
    """An upload would take its upload token past the token's ``max_total_bytes``."""


async def mark_form(pool: Pool, asset_id: uuid.UUID, expires_in: int) -> None:
    """Note that a pending asset's bytes come by a POST-policy form that expires in ``expires_in``
    seconds: the form sweep looks for its object until then."""
    await pool.execute(
        "UPDATE assets SET form_expires_at = now() + make_interval(secs => $2) WHERE id = $1",
        asset_id, expires_in,
    )  # fmt: skip


async def pending_forms(pool: Pool, *, grace_seconds: float, limit: int = 1000) -> list[Asset]:
    """Pending form uploads whose form has not expired (or did so within ``grace_seconds``), the
    oldest first (the form sweep)."""
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets
            WHERE status = $1 AND form_expires_at IS NOT NULL
              AND form_expires_at > now() - make_interval(secs => $2)
            ORDER BY form_expires_at LIMIT $3""",
        _S.PENDING_UPLOAD.value, grace_seconds, limit,
    )  # fmt: skip
    return _assets(records)


async def pending_of_token(pool: Pool, token_id: uuid.UUID) -> list[Asset]:
    """The uploads an upload token began that are still pending (its revocation stops them)."""
    records = await pool.fetch(
        f"SELECT {ASSET_COLUMNS} FROM assets WHERE upload_token_id = $1 AND status = $2",
        token_id, _S.PENDING_UPLOAD.value,
    )  # fmt: skip
    return _assets(records)


async def upload_refusal(pool: Pool, asset_id: uuid.UUID) -> str | None:
    """Why an upload may no longer complete, as its error will read; None when whoever made it may
    still upload: the upload token it came with is not revoked, the key it came with (or that
    minted its token) is not revoked, and the user behind it is still a contributor or higher in
    its workspace."""
    reason: str | None = await pool.fetchval(
        """SELECT CASE
                    WHEN t.revoked_at IS NOT NULL THEN 'its upload token was revoked'
                    WHEN k.revoked_at IS NOT NULL THEN 'the API key it was made with was revoked'
                    WHEN a.created_by IS NOT NULL AND m.role IS NULL
                        THEN 'the user who made it is no longer a member of the workspace'
                    WHEN a.created_by IS NOT NULL AND m.role NOT IN ('contributor', 'editor', 'admin')
                        THEN 'the user who made it may no longer upload in the workspace'
                  END
           FROM assets a
           LEFT JOIN upload_tokens t ON t.id = a.upload_token_id
           LEFT JOIN api_keys k ON k.id = a.created_by_key
           LEFT JOIN memberships m ON m.user_id = a.created_by AND m.workspace_id = a.workspace_id
           WHERE a.id = $1""",
        asset_id,
    )
    return reason


async def set_status(
    conn: Queries,
    asset_id: uuid.UUID,
    guard: Move,
    *,
    error: str | None = None,
    audit: Entry | None = None,
) -> Asset | None:
    """Make the guarded move (one statement: on the pool, or inside a transaction); None when the
    asset is in none of its sources (and then no audit row either)."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets SET status = $2, error = $3, updated_at = now()
            WHERE id = $1 AND status = ANY($4::text[])
            RETURNING {ASSET_COLUMNS}""",
        4, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    return asset_of(
        await conn.fetchrow(sql, asset_id, guard.target.value, error, guard.source_values, *logged)
    )


async def transition(
    conn: Queries,
    asset_id: uuid.UUID,
    new: AssetStatus,
    *,
    error: str | None = None,
    audit: Entry | None = None,
) -> Asset | None:
    """Move an asset to ``new`` from any status the table allows; None when it does not."""
    return await set_status(conn, asset_id, move(new), error=error, audit=audit)


async def start_processing(conn: Connection, asset_id: uuid.UUID) -> Asset | None:
    """Inside a transaction: ``uploaded -> processing`` (the first step starts)."""
    return await set_status(conn, asset_id, START_PROCESSING)


async def restart(conn: Connection, asset_id: uuid.UUID, audit: Entry | None = None) -> Asset | None:
    """Inside a transaction: ``ready``/``failed -> uploaded`` for reprocessing."""
    return await set_status(conn, asset_id, RESTART, audit=audit)


async def mark_ready(conn: Connection, asset_id: uuid.UUID) -> Asset | None:
    """Inside a transaction: ``processing -> ready`` (every step is done)."""
    return await set_status(conn, asset_id, FINISH)


async def mark_failed(conn: Connection, asset_id: uuid.UUID, error: str) -> Asset | None:
    """Inside a transaction: ``processing -> failed`` (a step failed for good)."""
    return await set_status(conn, asset_id, FAIL_PROCESSING, error=error)


async def fail_upload(conn: Queries, asset_id: uuid.UUID, error: str) -> Asset | None:
    """``pending_upload -> failed`` (the upload broke a rule or never arrived); None if it moved on."""
    return await set_status(conn, asset_id, FAIL_UPLOAD, error=error)


async def touch(conn: Connection, asset_id: uuid.UUID) -> None:
    """Inside a transaction: note progress (the reconciler restarts only assets that make none)."""
    await conn.execute("UPDATE assets SET updated_at = now() WHERE id = $1", asset_id)


async def touched(conn: Connection, asset_id: uuid.UUID) -> Asset | None:
    """Inside a transaction: note progress, and the asset's row as the transaction left it."""
    return asset_of(
        await conn.fetchrow(
            f"UPDATE assets SET updated_at = now() WHERE id = $1 RETURNING {ASSET_COLUMNS}", asset_id
        )
    )


async def edit(
    conn: Connection,
    asset_id: uuid.UUID,
    fields: Editable,
    audit: Entry | None = None,
) -> Asset | None:
    """Inside a transaction: the asset's editable fields are ``fields``, its revision one more
    (and the edit audited by the same statement)."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets SET title = $2, description = $3, tags = $4::text[], metadata = $5,
                              revision = revision + 1, updated_at = now()
            WHERE id = $1
            RETURNING {ASSET_COLUMNS}""",
        5, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    return asset_of(
        await conn.fetchrow(
            sql, asset_id, fields.title, fields.description, fields.tags, fields.metadata, *logged
        )
    )


async def lock_many(conn: Connection, asset_ids: Sequence[uuid.UUID], workspace_id: uuid.UUID) -> list[Asset]:
    """Inside a transaction: the workspace's assets among these ids (another workspace's are as
    absent as unknown ones), their rows locked in the order of their ids (as every batch locks them)."""
    records = await conn.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets WHERE id = ANY($1::uuid[]) AND workspace_id = $2
            ORDER BY id FOR UPDATE""",
        list(asset_ids), workspace_id,
    )  # fmt: skip
    return _assets(records)


class Edited(msgspec.Struct, frozen=True, kw_only=True):
    """One asset's new editable fields in a batch, and its audit entry's ``detail``."""

    id: uuid.UUID
    title: str | None
    description: str | None
    tags: list[str]
    metadata: dict[str, object]
    detail: dict[str, object]


async def edit_many(conn: Connection, edits: Sequence[Edited], audit: Entry) -> list[Asset]:
    """Inside a transaction, the rows locked: ``edit`` for many assets in one statement, each
    audited with ``audit`` and its own ``detail``; the rows as they now are."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets a SET title = u.title, description = u.description, tags = u.tags,
                               metadata = u.metadata, revision = a.revision + 1, updated_at = now()
            FROM jsonb_to_recordset($1::jsonb)
                 AS u(id uuid, title text, description text, tags text[], metadata jsonb, detail jsonb)
            WHERE a.id = u.id
            RETURNING {_PREFIXED_COLUMNS}, u.detail""",
        1, audit, asset_id="acted.id", workspace_id="acted.workspace_id", detail="acted.detail",
    )  # fmt: skip
    return _assets(await conn.fetch(sql, list(edits), *logged))


async def delete_many(conn: Connection, asset_ids: Sequence[uuid.UUID], audit: Entry) -> list[Asset]:
    """Inside a transaction: mark these assets deleted, their tags cleared (each audited with
    ``audit``); the rows as they were moved (those already deleted are left out)."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets SET status = $2, error = NULL, tags = '{{}}', updated_at = now()
            WHERE id = ANY($1::uuid[]) AND status = ANY($3::text[])
            RETURNING {ASSET_COLUMNS}""",
        3, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    records = await conn.fetch(sql, list(asset_ids), DELETE.target.value, DELETE.source_values, *logged)
    return _assets(records)


async def trash_many(
    conn: Connection, asset_ids: Sequence[uuid.UUID], by: uuid.UUID | None, days: float, audit: Entry
) -> list[Asset]:
    """Inside a transaction: move these assets to the trash for ``days``, each remembering the
    status a restore brings it back to (each audited with ``audit``); the rows as they were moved
    (those in no status that may go to the trash are left out). Their tags stay on them."""
    sql, logged = audit_rows.statement(
        f"""UPDATE assets SET trashed_from = status, status = $2, trashed_at = now(), trashed_by = $4,
                purge_at = now() + make_interval(secs => $5 * 86400), updated_at = now()
            WHERE id = ANY($1::uuid[]) AND status = ANY($3::text[])
            RETURNING {ASSET_COLUMNS}""",
        5, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    records = await conn.fetch(
        sql, list(asset_ids), TRASH.target.value, TRASH.source_values, by, days, *logged
    )
    return _assets(records)


async def restore(conn: Connection, asset_id: uuid.UUID, target: AssetStatus, audit: Entry) -> Asset | None:
    """Inside a transaction: ``trashed -> target``, the trash's marks cleared; None when it is not
    in the trash."""
    guard = RESTORE_TO[target]
    sql, logged = audit_rows.statement(
        f"""UPDATE assets SET status = $2, trashed_from = NULL, trashed_at = NULL, trashed_by = NULL,
                purge_at = NULL, updated_at = now()
            WHERE id = $1 AND status = ANY($3::text[])
            RETURNING {ASSET_COLUMNS}""",
        3, audit, asset_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    return asset_of(await conn.fetchrow(sql, asset_id, guard.target.value, guard.source_values, *logged))


TRASHED_FIRST = Sort("trash", (Key("trashed_at", datetime, "trashed_at"), Key("id", uuid.UUID, "id")))
"""The trash's order: the last deleted first."""


async def list_trash(
    pool: Pool, workspace_id: uuid.UUID, limit: int, after: Sequence[object] | None
) -> list[Asset]:
    """The workspace's trash, the last deleted first, after the cursor's row."""
    where = Where().add("workspace_id = {}", workspace_id).add("status = {}", _S.TRASHED.value)
    where.after(TRASHED_FIRST, after)
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets WHERE {where.sql}
            ORDER BY {TRASHED_FIRST.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return _assets(records)


async def due_for_purge(pool: Pool, limit: int, workspace_id: uuid.UUID | None = None) -> list[Asset]:
    """Trashed assets whose time is up (all of a workspace's with ``workspace_id``: its trash
    emptied), the longest due first."""
    where = Where().add("status = {}", _S.TRASHED.value)
    if workspace_id is None:
        where.add("purge_at <= now()")
    else:
        where.add("workspace_id = {}", workspace_id)
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets WHERE {where.sql}
            ORDER BY purge_at, id LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return _assets(records)


async def set_tags(conn: Connection, asset_id: uuid.UUID, tags: list[str], *, bump: bool = True) -> None:
    """Inside a transaction: the asset's tags are ``tags`` (``bump``: as a change, its revision one
    more; a deleted asset's are cleared without one)."""
    await conn.execute(
        """UPDATE assets SET tags = $2::text[], revision = revision + $3, updated_at = now()
           WHERE id = $1""",
        asset_id, tags, 1 if bump else 0,
    )  # fmt: skip


async def set_media(conn: Connection, asset_id: uuid.UUID, media: MediaInfo) -> None:
    """Inside a transaction: record the asset's media facts."""
    await conn.execute("UPDATE assets SET media = $2, updated_at = now() WHERE id = $1", asset_id, media)


async def set_thumbhash(conn: Connection, asset_id: uuid.UUID, thumbhash: bytes) -> None:
    """Inside a transaction: record the ThumbHash of the asset's thumbnail (the step's finish
    changes ``updated_at``)."""
    await conn.execute("UPDATE assets SET thumbhash = $2 WHERE id = $1", asset_id, thumbhash)


NEWEST = Sort("newest", (Key("created_at", datetime, "created_at"), Key("id", uuid.UUID, "id")))
"""Newest first: ``GET /assets``'s order."""


async def list_assets(
    pool: Pool,
    *,
    status: AssetStatus | None,
    content_type: str | None,
    limit: int,
    after: Sequence[object] | None,
    sha256: str | None = None,
    workspace_id: uuid.UUID | None = None,
    sort: Sort = NEWEST,
) -> list[Asset]:
    """In ``sort``'s order, after the row whose keys were ``after`` (``query.decode`` of a cursor);
    trashed and deleted assets only when asked for; only the workspace's when one is given (the dashboard of
    an operator gives none)."""
    where = Where().maybe("workspace_id = {}", workspace_id)
    if status is None:
        where.add("status <> ALL({})", [s.value for s in HIDDEN])
    else:
        where.add("status = {}", status.value)
    if content_type is not None and content_type.endswith("/*"):
        where.add("starts_with(content_type, {})", content_type[:-1])
    else:
        where.maybe("content_type = {}", content_type)
    where.maybe("sha256 = {}", sha256).after(sort, after)
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets WHERE {where.sql}
            ORDER BY {sort.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return _assets(records)


async def list_renditions(pool: Pool, asset_ids: list[uuid.UUID]) -> list[StoredRendition]:
    """Renditions of the given assets."""
    records = await pool.fetch(
        f"""SELECT {_RENDITION_COLUMNS} FROM renditions WHERE asset_id = ANY($1::uuid[])
            ORDER BY asset_id, kind""",
        asset_ids,
    )
    return [msgspec.convert(dict(r.items()), StoredRendition) for r in records]


async def put_renditions(conn: Connection, asset_id: uuid.UUID, renditions: list[Rendition]) -> None:
    """Inside a transaction: record renditions, replacing earlier ones of the same kinds (one
    statement: a round trip in the step's finish)."""
    await conn.execute(
        """INSERT INTO renditions (asset_id, kind, storage_key, content_type, width, height, bytes)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[],
                                    $7::bigint[])
           ON CONFLICT (asset_id, kind) DO UPDATE
           SET storage_key = EXCLUDED.storage_key, content_type = EXCLUDED.content_type,
               width = EXCLUDED.width, height = EXCLUDED.height, bytes = EXCLUDED.bytes,
               created_at = now()""",
        asset_id, [r.kind for r in renditions], [r.storage_key for r in renditions],
        [r.content_type for r in renditions], [r.width for r in renditions], [r.height for r in renditions],
        [r.bytes for r in renditions],
    )  # fmt: skip


async def ping(pool: Pool) -> None:
    """Round-trip to the database."""
    await pool.fetchval("SELECT 1")


async def assets_in_status(
    pool: Pool, status: AssetStatus, *, older_than_seconds: float, limit: int = 500
) -> list[Asset]:
    """Assets that have been in ``status`` for longer than the given age (reconciler)."""
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets
            WHERE status = $1 AND updated_at < now() - make_interval(secs => $2)
            ORDER BY updated_at LIMIT $3""",
        status.value, older_than_seconds, limit,
    )  # fmt: skip
    return _assets(records)


async def ready_with_unfinished_steps(
    pool: Pool, *, older_than_seconds: float, limit: int = 500
) -> list[Asset]:
    """Ready assets whose background steps (the stream) have waited without progress for longer
    than the given age (reconciler)."""
    records = await pool.fetch(
        f"""SELECT {ASSET_COLUMNS} FROM assets
            WHERE status = $3 AND updated_at < now() - make_interval(secs => $1)
              AND EXISTS (SELECT 1 FROM asset_steps s
                          WHERE s.asset_id = assets.id AND s.state IN ('pending', 'running'))
            ORDER BY updated_at LIMIT $2""",
        older_than_seconds, limit, AssetStatus.READY.value,
    )  # fmt: skip
    return _assets(records)


async def count_by_status(pool: Pool, workspace_id: uuid.UUID | None = None) -> dict[str, int]:
    """How many assets are in each status (of one workspace, or of all)."""
    records = await pool.fetch(
        """SELECT status, count(*) AS n FROM assets
           WHERE $1::uuid IS NULL OR workspace_id = $1 GROUP BY status""",
        workspace_id,
    )
    return {r["status"]: int(r["n"]) for r in records}


async def in_workspace(pool: Pool, asset_ids: list[uuid.UUID], workspace_id: uuid.UUID) -> set[uuid.UUID]:
    """Which of the given assets belong to the workspace."""
    records = await pool.fetch(
        "SELECT id FROM assets WHERE id = ANY($1::uuid[]) AND workspace_id = $2", asset_ids, workspace_id
    )
    return {r["id"] for r in records}
