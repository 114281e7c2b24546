"""Invitation rows, and the one user row an invitation creates: their every SQL statement.

Tokens arrive here as SHA-256 digests only. Memberships are granted by ``db.accounts.set_membership``.
"""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from dam.db import audit as audit_rows
from dam.db.pool import Connection, Pool, Queries
from dam.domain.access import Role
from dam.domain.accounts import Invitation, User
from dam.domain.audit import Entry

_COLUMNS = (
    "id, workspace_id, email, email_key, role, created_by, created_by_key, created_at, expires_at,"
    " accepted_at, accepted_by, revoked_at"
)


def _invitation(record: asyncpg.Record | None) -> Invitation | None:
    return None if record is None else msgspec.convert(dict(record.items()), Invitation)


async def insert(
    conn: Queries,
    *,
    workspace_id: uuid.UUID,
    email: str,
    email_key: str,
    role: Role,
    digest: bytes,
    created_by: uuid.UUID | None,
    created_by_key: uuid.UUID | None,
    ttl: float,
    audit: Entry | None = None,
) -> Invitation:
    """A new invitation, expiring ``ttl`` seconds from now."""
    sql, logged = audit_rows.statement(
        f"""INSERT INTO invitations (id, workspace_id, email, email_key, role, digest, created_by,
                                     created_by_key, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
            RETURNING {_COLUMNS}""",
        9, audit, target_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    record = await conn.fetchrow(
        sql, uuid.uuid4(), workspace_id, email, email_key, role.value, digest, created_by, created_by_key,
        ttl, *logged,
    )  # fmt: skip
    made = _invitation(record)
    assert made is not None
    return made


async def pending(pool: Pool, workspace_id: uuid.UUID) -> list[Invitation]:
    """The workspace's invitations that can still be accepted, the newest first."""
    records = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM invitations
            WHERE workspace_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            ORDER BY created_at DESC, id""",
        workspace_id,
    )
    return [msgspec.convert(dict(r.items()), Invitation) for r in records]


async def revoke(
    conn: Connection, invitation_id: uuid.UUID, workspace_id: uuid.UUID, audit: Entry | None = None
) -> Invitation | None:
    """Inside the caller's transaction: revoke an invitation of the workspace (again is no change;
    an accepted one is left as it is: see its ``accepted_at``); None if the workspace has no such
    invitation."""
    sql, logged = audit_rows.statement(
        f"""UPDATE invitations SET revoked_at = COALESCE(revoked_at, now())
            WHERE id = $1 AND workspace_id = $2 AND accepted_at IS NULL RETURNING {_COLUMNS}""",
        2, audit, target_id="acted.id",
    )  # fmt: skip
    found = _invitation(await conn.fetchrow(sql, invitation_id, workspace_id, *logged))
    if found is None:
        found = _invitation(
            await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM invitations WHERE id = $1 AND workspace_id = $2",
                invitation_id,
                workspace_id,
            )
        )
    return found


async def by_digest(pool: Pool, digest: bytes) -> Invitation | None:
    """An invitation by its token's digest, whatever its state."""
    return _invitation(await pool.fetchrow(f"SELECT {_COLUMNS} FROM invitations WHERE digest = $1", digest))


async def claim(
    conn: Queries, invitation_id: uuid.UUID, user_id: uuid.UUID, audit: Entry | None = None
) -> bool:
    """Mark the invitation accepted by the user, if it still can be (one acceptor wins)."""
    sql, logged = audit_rows.statement(
        f"""UPDATE invitations SET accepted_at = now(), accepted_by = $2
            WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            RETURNING {_COLUMNS}""",
        2, audit, target_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    return await conn.fetchrow(sql, invitation_id, user_id, *logged) is not None


async def create_user(conn: Queries, email: str, email_key: str, password_hash: str) -> User | None:
    """A new user of that address with that password, its address not verified; None when the
    address has an account already (which keeps its password)."""
    record = await conn.fetchrow(
        """INSERT INTO users (id, email, email_key, password_hash, password_changed_at, email_verified)
           VALUES ($1, $2, $3, $4, now(), false)
           ON CONFLICT (email_key) DO NOTHING
           RETURNING id, email, operator, created_at""",
        uuid.uuid4(), email, email_key, password_hash,
    )  # fmt: skip
    return None if record is None else msgspec.convert(dict(record.items()), User)
