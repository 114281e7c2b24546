"""Share links, their visitors who gave the password, and the workspace's cap on their lifetime."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from dam.db import audit as audit_rows
from dam.db.pool import Connection, Pool, Queries
from dam.domain.audit import Action, Entry
from dam.domain.shares import Share

_COLUMNS = (
    "id, workspace_id, asset_id, password_hash IS NOT NULL AS password, download, show_metadata,"
    " created_by, created_by_key, created_at, expires_at, revoked_at, last_used_at, uses, collection_id"
)
# A link is live only while whoever made it could make it now: its maker still a member with a role
# that shares (editor, admin), and the key it was made with (if any) neither revoked nor expired.
_MAKER_MAY = """
    (shares.created_by IS NULL OR EXISTS (
        SELECT 1 FROM memberships m
        WHERE m.user_id = shares.created_by AND m.workspace_id = shares.workspace_id
          AND m.role IN ('editor', 'admin')))
    AND (shares.created_by_key IS NULL OR EXISTS (
        SELECT 1 FROM api_keys k
        WHERE k.id = shares.created_by_key AND k.revoked_at IS NULL
          AND (k.expires_at IS NULL OR k.expires_at > now()) AND k.role IN ('editor', 'admin')))"""


def _share(record: asyncpg.Record) -> Share:
    return msgspec.convert(dict(record.items()), Share)


async def insert_share(
    pool: Queries,
    *,
    workspace_id: uuid.UUID,
    asset_id: uuid.UUID | None,
    digest: bytes,
    password_hash: str | None,
    download: bool,
    show_metadata: bool,
    created_by: uuid.UUID | None,
    created_by_key: uuid.UUID | None,
    expires_in: int,
    audit: Entry | None = None,
    collection_id: uuid.UUID | None = None,
) -> Share:
    """A new share link of an asset or of a collection; one made with a key expires no later than
    that key."""
    sql, logged = audit_rows.statement(
        f"""INSERT INTO shares (id, workspace_id, asset_id, digest, password_hash, download, show_metadata,
                                created_by, created_by_key, expires_at, collection_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                    LEAST(now() + make_interval(secs => $10),
                          (SELECT expires_at FROM api_keys WHERE id = $9)), $11)
            RETURNING {_COLUMNS}""",
        11, audit, target_id="acted.id", asset_id="acted.asset_id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    record = await pool.fetchrow(
        sql, uuid.uuid4(), workspace_id, asset_id, digest, password_hash, download, show_metadata,
        created_by, created_by_key, float(expires_in), collection_id, *logged,
    )  # fmt: skip
    assert record is not None
    return _share(record)


async def live_share(pool: Pool, digest: bytes) -> tuple[Share, str | None] | None:
    """A share link that has neither expired nor been revoked, and whose maker could still make it,
    and its password hash, by digest. Unknown, expired, revoked and orphaned links are one and the
    same answer: no row, from one index probe (and two primary-key probes for the maker)."""
    record = await pool.fetchrow(
        f"""SELECT {_COLUMNS}, password_hash FROM shares
            WHERE digest = $1 AND expires_at > now() AND revoked_at IS NULL AND {_MAKER_MAY}""",
        digest,
    )
    if record is None:
        return None
    values = dict(record.items())
    hashed = values.pop("password_hash")
    return msgspec.convert(values, Share), hashed


async def used(pool: Pool, share_id: uuid.UUID, audit: Entry | None = None) -> None:
    """Count one use of a share link (and log it, in the same statement)."""
    sql, logged = audit_rows.statement(
        """UPDATE shares SET uses = uses + 1, last_used_at = now() WHERE id = $1
           RETURNING id, asset_id, workspace_id""",
        1, audit, share_id="acted.id", asset_id="acted.asset_id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    await pool.execute(sql, share_id, *logged)


async def list_shares(pool: Pool, asset_id: uuid.UUID, workspace_id: uuid.UUID) -> list[Share]:
    """An asset's share links, the newest first (revoked and expired ones included)."""
    records = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM shares WHERE asset_id = $1 AND workspace_id = $2
            ORDER BY created_at DESC, id""",
        asset_id, workspace_id,
    )  # fmt: skip
    return [_share(r) for r in records]


async def revoke_share(
    conn: Connection, share_id: uuid.UUID, workspace_id: uuid.UUID, audit: Entry | None = None
) -> Share | None:
    """Inside the caller's transaction: revoke a share link of the workspace (again is no change)
    and forget its visitors; None if the workspace has no such link."""
    sql, logged = audit_rows.statement(
        f"""UPDATE shares SET revoked_at = COALESCE(revoked_at, now())
            WHERE id = $1 AND workspace_id = $2 RETURNING {_COLUMNS}""",
        2, audit, target_id="acted.id", asset_id="acted.asset_id",
    )  # fmt: skip
    record = await conn.fetchrow(sql, share_id, workspace_id, *logged)
    if record is not None:
        await conn.execute("DELETE FROM share_visits WHERE share_id = $1", share_id)
    return None if record is None else _share(record)


async def revoke_made(
    conn: Connection,
    *,
    keys: list[uuid.UUID] | None = None,
    user_id: uuid.UUID | None = None,
    workspace_id: uuid.UUID | None = None,
    because: Entry | None = None,
) -> list[uuid.UUID]:
    """Inside the caller's transaction: revoke the live share links made with any of ``keys``, or by
    ``user_id`` in ``workspace_id`` (with any key of theirs too), and forget their visitors; a
    ``share.revoke`` audit row for each, naming the action ``because`` that ended them. Their ids."""
    entry = None
    if because is not None:
        detail = {"because": because.action.value}
        if because.target_id is not None:
            detail["of"] = str(because.target_id)
        entry = msgspec.structs.replace(because, action=Action.SHARE_REVOKE, detail=detail)
    sql, logged = audit_rows.statement(
        """UPDATE shares SET revoked_at = now()
           WHERE revoked_at IS NULL
             AND (created_by_key = ANY($1::uuid[]) OR (created_by = $2 AND workspace_id = $3))
           RETURNING id, asset_id, workspace_id""",
        3, entry, target_id="acted.id", asset_id="acted.asset_id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    records = await conn.fetch(sql, keys or [], user_id, workspace_id, *logged)
    revoked = [r["id"] for r in records]
    if revoked:
        await conn.execute("DELETE FROM share_visits WHERE share_id = ANY($1::uuid[])", revoked)
    return revoked


async def add_visit(pool: Pool, digest: bytes, share: Share) -> None:
    """A visitor gave the password: they hold the visit until the link expires."""
    await pool.execute(
        "INSERT INTO share_visits (digest, share_id, expires_at) VALUES ($1, $2, $3)",
        digest, share.id, share.expires_at,
    )  # fmt: skip


async def is_visitor(pool: Pool, digest: bytes, share_id: uuid.UUID) -> bool:
    """Whether a visit of that digest unlocked this share link and is still live."""
    found = await pool.fetchval(
        "SELECT 1 FROM share_visits WHERE digest = $1 AND share_id = $2 AND expires_at > now()",
        digest, share_id,
    )  # fmt: skip
    return found is not None


async def share_cap(pool: Pool, workspace_id: uuid.UUID) -> int | None:
    """The workspace's own cap on share lifetimes (None: the deployment's)."""
    value = await pool.fetchval("SELECT share_max_ttl FROM workspaces WHERE id = $1", workspace_id)
    return None if value is None else int(value)


async def set_share_cap(pool: Pool, workspace_id: uuid.UUID, seconds: int | None) -> None:
    """Set (or, with None, clear) the workspace's cap on share lifetimes."""
    await pool.execute("UPDATE workspaces SET share_max_ttl = $2 WHERE id = $1", workspace_id, seconds)
