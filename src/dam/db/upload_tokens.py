"""Upload token rows beyond minting and lookup (``db/accounts.py``): listing, revocation, and the
counters that hold a token to its ``max_files`` and ``max_total_bytes``.

Each counter moves in one guarded statement, so concurrent requests of one token never overshoot:
a file is taken when an asset is created, bytes are charged when an upload completes (inside the
transaction that marks it uploaded).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from dam.db import audit as audit_rows
from dam.db.accounts import _TOKEN_COLUMNS
from dam.db.pool import Connection, Pool
from dam.db.query import Key, Sort, Where
from dam.domain.accounts import UploadToken
from dam.domain.audit import Entry


class Creator(msgspec.Struct, frozen=True, kw_only=True):
    """Whose tokens: a user's (minted in a browser or with any of their keys), or, for a key of
    ``dam admin``, which belongs to no user, that key's."""

    user_id: uuid.UUID | None = None
    key_id: uuid.UUID | None = None


def _token(record: Any) -> UploadToken | None:
    return None if record is None else msgspec.convert(dict(record.items()), UploadToken)


def _whose(where: Where, creator: Creator | None) -> Where:
    """Keep only ``creator``'s tokens (none: every token)."""
    if creator is None:
        return where
    return where.maybe("created_by = {}", creator.user_id).maybe("created_by_key = {}", creator.key_id)


NEWEST = Sort("newest", (Key("created_at", datetime, "created_at"), Key("id", uuid.UUID, "id")))
"""Newest first: ``GET /upload-tokens``' order."""


async def list_tokens(
    pool: Pool,
    workspace_id: uuid.UUID,
    creator: Creator | None,
    *,
    after: Sequence[object] | None,
    limit: int,
) -> list[UploadToken]:
    """The workspace's tokens (only ``creator``'s, when given), newest first, after the row whose
    keys were ``after``."""
    where = _whose(Where().add("workspace_id = {}", workspace_id), creator).after(NEWEST, after)
    records = await pool.fetch(
        f"""SELECT {_TOKEN_COLUMNS} FROM upload_tokens WHERE {where.sql}
            ORDER BY {NEWEST.order_by} LIMIT {where.arg(limit)}""",
        *where.args,
    )
    return [t for t in map(_token, records) if t is not None]


async def revoke(
    pool: Pool,
    token_id: uuid.UUID,
    workspace_id: uuid.UUID,
    creator: Creator | None,
    audit: Entry | None = None,
) -> UploadToken | None:
    """Revoke a token of the workspace (only ``creator``'s, when given; again is no change); None
    when there is no such token."""
    whose = _whose(Where(start=2), creator)
    sql, logged = audit_rows.statement(
        f"""UPDATE upload_tokens SET revoked_at = COALESCE(revoked_at, now())
            WHERE id = $1 AND workspace_id = $2 AND {whose.sql}
            RETURNING {_TOKEN_COLUMNS}""",
        2 + len(whose.args), audit, target_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    return _token(await pool.fetchrow(sql, token_id, workspace_id, *whose.args, *logged))


async def get_token(pool: Pool, token_id: uuid.UUID) -> UploadToken | None:
    """One token by id (for the services, which have checked who asks)."""
    return _token(await pool.fetchrow(f"SELECT {_TOKEN_COLUMNS} FROM upload_tokens WHERE id = $1", token_id))


class Taken(msgspec.Struct, frozen=True, kw_only=True):
    """A file slot a token gave: what its uploads may still store (None: no total cap)."""

    bytes_left: int | None


async def take_file(pool: Pool, token_id: uuid.UUID) -> Taken | None:
    """Count one more file against the token; None (and nothing counted) when it is revoked, has
    created its ``max_files`` or stored its ``max_total_bytes``."""
    record = await pool.fetchrow(
        """UPDATE upload_tokens SET files_used = files_used + 1
           WHERE id = $1 AND revoked_at IS NULL
             AND (max_files IS NULL OR files_used < max_files)
             AND (max_total_bytes IS NULL OR bytes_used < max_total_bytes)
           RETURNING max_total_bytes - bytes_used AS bytes_left""",
        token_id,
    )
    return None if record is None else Taken(bytes_left=record["bytes_left"])


async def give_back(pool: Pool, token_id: uuid.UUID) -> None:
    """Uncount a file whose asset could not be created after all."""
    await pool.execute(
        "UPDATE upload_tokens SET files_used = GREATEST(files_used - 1, 0) WHERE id = $1", token_id
    )


async def charge(conn: Connection, token_id: uuid.UUID, size: int) -> bool:
    """Inside the transaction that marks an upload uploaded: count its bytes against the token that
    began it; False (nothing counted) when they would take it past its ``max_total_bytes``."""
    record = await conn.fetchrow(
        """UPDATE upload_tokens SET bytes_used = bytes_used + $2
           WHERE id = $1 AND (max_total_bytes IS NULL OR bytes_used + $2 <= max_total_bytes)
           RETURNING id""",
        token_id, size,
    )  # fmt: skip
    return record is not None
