"""Workspace, user, membership, API key, session and upload token rows: their every SQL statement.

Secrets arrive here as SHA-256 digests only; passwords as argon2id hashes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from dam.db import audit as audit_rows
from dam.db import shares as share_rows
from dam.db.pool import Connection, Pool
from dam.domain.access import Role
from dam.domain.accounts import ApiKey, Member, Membership, UploadToken, User, Workspace
from dam.domain.audit import Entry

_KEY_COLUMNS = (
    "id, workspace_id, prefix, name, role, created_by, created_at, expires_at, last_used_at, revoked_at"
)
_TOKEN_COLUMNS = (
    "id, workspace_id, content_types, max_bytes, created_by, created_by_key, created_at, expires_at,"  # noqa: S105
    " max_files, max_total_bytes, files_used, bytes_used, revoked_at"
)
_TOKEN_COLUMNS_OF_T = ", ".join(f"t.{column.strip()}" for column in _TOKEN_COLUMNS.split(","))
_KEY_COLUMNS_OF_K = ", ".join(f"k.{column.strip()}" for column in _KEY_COLUMNS.split(","))


def _row(record: asyncpg.Record | None, kind: type[Any]) -> Any:
    return None if record is None else msgspec.convert(dict(record.items()), kind)


# Workspaces and members


async def ensure_workspace(pool: Pool, slug: str, name: str | None = None) -> Workspace:
    """The workspace of that slug, created if missing."""
    record = await pool.fetchrow(
        """INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3)
           ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
           RETURNING id, slug, name, created_at""",
        uuid.uuid4(), slug, name or slug,
    )  # fmt: skip
    found: Workspace = _row(record, Workspace)
    return found


async def create_workspace(pool: Pool, slug: str, name: str) -> Workspace | None:
    """A new workspace; None if the slug is taken."""
    record = await pool.fetchrow(
        """INSERT INTO workspaces (id, slug, name) VALUES ($1, $2, $3) ON CONFLICT (slug) DO NOTHING
           RETURNING id, slug, name, created_at""",
        uuid.uuid4(), slug, name,
    )  # fmt: skip
    created: Workspace | None = _row(record, Workspace)
    return created


async def get_workspace(pool: Pool, workspace_id: uuid.UUID) -> Workspace | None:
    """One workspace by id."""
    found: Workspace | None = _row(
        await pool.fetchrow("SELECT id, slug, name, created_at FROM workspaces WHERE id = $1", workspace_id),
        Workspace,
    )
    return found


async def workspace_slugs(pool: Pool) -> set[str]:
    """The slugs of every workspace."""
    return {r["slug"] for r in await pool.fetch("SELECT slug FROM workspaces")}


async def count_users(pool: Pool) -> int:
    """How many users exist (none: a fresh deployment)."""
    return int(await pool.fetchval("SELECT count(*) FROM users"))


async def ensure_user(pool: Pool, email: str, email_key: str, password_hash: str | None) -> tuple[User, bool]:
    """The user of that address and whether this call created it (with ``password_hash``); an
    existing user's password is left as it is."""
    record = await pool.fetchrow(
        """INSERT INTO users (id, email, email_key, password_hash, password_changed_at)
           VALUES ($1, $2, $3, $4, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)
           ON CONFLICT (email_key) DO UPDATE SET email_key = EXCLUDED.email_key
           RETURNING id, email, operator, created_at, (xmax = 0) AS created""",
        uuid.uuid4(), email, email_key, password_hash,
    )  # fmt: skip
    assert record is not None
    fields = dict(record.items())
    created = bool(fields.pop("created"))
    return msgspec.convert(fields, User), created


async def get_user(pool: Pool, user_id: uuid.UUID) -> User | None:
    """One user by id."""
    found: User | None = _row(
        await pool.fetchrow("SELECT id, email, operator, created_at FROM users WHERE id = $1", user_id), User
    )
    return found


async def set_operator(pool: Pool, user_id: uuid.UUID, operator: bool) -> None:
    """Grant or withdraw the deployment-wide operator flag."""
    await pool.execute("UPDATE users SET operator = $2 WHERE id = $1", user_id, operator)


async def credentials(pool: Pool, email_key: str) -> tuple[User, str | None] | None:
    """A user and their password hash, by address."""
    record = await pool.fetchrow(
        "SELECT id, email, operator, created_at, password_hash FROM users WHERE email_key = $1", email_key
    )
    if record is None:
        return None
    values = dict(record.items())
    digest = values.pop("password_hash")
    return msgspec.convert(values, User), digest


async def password_hash(pool: Pool, user_id: uuid.UUID) -> str | None:
    """A user's stored hash."""
    value: str | None = await pool.fetchval("SELECT password_hash FROM users WHERE id = $1", user_id)
    return value


async def set_password(conn: Connection, user_id: uuid.UUID, hashed: str) -> None:
    """Inside the caller's transaction: replace a user's password and end every session of theirs."""
    await conn.execute(
        "UPDATE users SET password_hash = $2, password_changed_at = now() WHERE id = $1", user_id, hashed
    )
    await conn.execute("DELETE FROM sessions WHERE user_id = $1", user_id)


async def set_membership(
    conn: Connection, user_id: uuid.UUID, workspace_id: uuid.UUID, role: Role, audit: Entry | None = None
) -> None:
    """Inside the caller's transaction: make the user a member with that role (or change their
    role); the audit row says which (``member.add`` or ``member.role``, with the role before and
    after). A role that may not share (below editor) revokes the share links the user made in the
    workspace too; a lower role also ends the user's stream tokens (a trigger bumps their
    generation)."""
    sql, logged = audit_rows.statement(
        """WITH before AS (SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2)
           INSERT INTO memberships (user_id, workspace_id, role) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = EXCLUDED.role
           RETURNING user_id, workspace_id, role, (SELECT role FROM before) AS was""",
        3, audit, target_id="acted.user_id", workspace_id="acted.workspace_id",
        action="CASE WHEN acted.was IS NULL THEN 'member.add' ELSE 'member.role' END",
        detail="jsonb_build_object('role', acted.role, 'was', acted.was)",
    )  # fmt: skip
    await conn.execute(sql, user_id, workspace_id, role.value, *logged)
    if not role.covers(Role.EDITOR):
        await share_rows.revoke_made(
            conn, user_id=user_id, workspace_id=workspace_id, because=_because(audit, user_id)
        )


async def remove_membership(
    conn: Connection, user_id: uuid.UUID, workspace_id: uuid.UUID, audit: Entry | None = None
) -> bool:
    """Inside the caller's transaction: take the user out of the workspace and revoke the share
    links they made there (always: no link outlives its maker's membership); False if they were not
    in it. Their stream tokens, and their keys' and upload tokens', end too (a trigger bumps the
    generations)."""
    sql, logged = audit_rows.statement(
        """DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2
           RETURNING user_id, workspace_id, role""",
        2, audit, target_id="acted.user_id", detail="jsonb_build_object('was', acted.role)",
    )  # fmt: skip
    if await conn.fetchrow(sql, user_id, workspace_id, *logged) is None:
        return False
    await share_rows.revoke_made(
        conn, user_id=user_id, workspace_id=workspace_id, because=_because(audit, user_id)
    )
    return True


def _because(audit: Entry | None, target_id: uuid.UUID) -> Entry | None:
    """The entry of an action, naming what it acted on (for the audit rows of what it revoked)."""
    return None if audit is None else msgspec.structs.replace(audit, target_id=target_id)


async def memberships(pool: Pool, user_id: uuid.UUID) -> list[Membership]:
    """A user's workspaces and roles, the oldest membership first (the default workspace)."""
    records = await pool.fetch(
        """SELECT m.workspace_id, w.slug, w.name, m.role FROM memberships m
           JOIN workspaces w ON w.id = m.workspace_id
           WHERE m.user_id = $1 ORDER BY m.created_at, w.slug""",
        user_id,
    )
    return [msgspec.convert(dict(r.items()), Membership) for r in records]


async def members(pool: Pool, workspace_id: uuid.UUID) -> list[Member]:
    """A workspace's members."""
    records = await pool.fetch(
        """SELECT u.id AS user_id, u.email, m.role, m.created_at, u.email_verified FROM memberships m
           JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY m.created_at, u.email""",
        workspace_id,
    )
    return [msgspec.convert(dict(r.items()), Member) for r in records]


# Sessions


async def session_user(pool: Pool, digest: bytes, idle_seconds: float) -> tuple[User, datetime] | None:
    """The user of a live session (neither past its absolute expiry nor idle too long), with when
    the session was last seen."""
    record = await pool.fetchrow(
        """SELECT u.id, u.email, u.operator, u.created_at, s.last_seen_at FROM sessions s
           JOIN users u ON u.id = s.user_id
           WHERE s.digest = $1 AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(secs => $2)""",
        digest, idle_seconds,
    )  # fmt: skip
    if record is None:
        return None
    values = dict(record.items())
    seen = values.pop("last_seen_at")
    return msgspec.convert(values, User), seen


async def create_session(
    conn: Connection, digest: bytes, user_id: uuid.UUID, max_age: float, audit: Entry | None = None
) -> None:
    """Inside the caller's transaction: a new session (and, in passing, forget the sessions that
    have expired), with its audit row."""
    if audit is not None:
        await audit_rows.record(conn, audit)
    await conn.execute(
        """INSERT INTO sessions (digest, user_id, expires_at)
           VALUES ($1, $2, now() + make_interval(secs => $3))""",
        digest, user_id, max_age,
    )  # fmt: skip
    await conn.execute(
        """DELETE FROM sessions WHERE digest = ANY(ARRAY(
               SELECT digest FROM sessions WHERE expires_at < now() LIMIT 100))"""
    )


async def touch_session(pool: Pool, digest: bytes) -> None:
    """The session was used now (its idle timeout starts again)."""
    await pool.execute("UPDATE sessions SET last_seen_at = now() WHERE digest = $1", digest)


async def end_session(pool: Pool, digest: bytes) -> None:
    """Sign out."""
    await pool.execute("DELETE FROM sessions WHERE digest = $1", digest)


async def end_sessions(pool: Pool, user_id: uuid.UUID) -> None:
    """End every session of a user."""
    await pool.execute("DELETE FROM sessions WHERE user_id = $1", user_id)


# API keys


async def insert_key(
    pool: Pool,
    *,
    workspace_id: uuid.UUID,
    prefix: str,
    digest: bytes,
    name: str,
    role: Role,
    created_by: uuid.UUID | None,
    created_by_key: uuid.UUID | None,
    expires_in: float | None,
    audit: Entry | None = None,
) -> ApiKey | None:
    """A new key; None if the prefix is taken (the caller draws another secret). A key made with
    another key expires no later than that one."""
    sql, logged = audit_rows.statement(
        f"""INSERT INTO api_keys (id, workspace_id, prefix, digest, name, role, created_by, created_by_key,
                                  expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
                    LEAST(CASE WHEN $9::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $9) END,
                          (SELECT expires_at FROM api_keys WHERE id = $8)))
            ON CONFLICT (prefix) DO NOTHING
            RETURNING {_KEY_COLUMNS}""",
        9, audit, target_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    record = await pool.fetchrow(
        sql, uuid.uuid4(), workspace_id, prefix, digest, name, role.value, created_by, created_by_key,
        expires_in, *logged,
    )  # fmt: skip
    key: ApiKey | None = _row(record, ApiKey)
    return key


async def key_by_prefix(pool: Pool, prefix: str) -> tuple[ApiKey, bytes, Role | None] | None:
    """A key's record, its stored digest and its creator's present role in the key's workspace
    (None when the creator is no longer a member, or when ``dam admin`` made it), by its visible
    prefix (one indexed lookup and one primary-key join)."""
    record = await pool.fetchrow(
        f"""SELECT {_KEY_COLUMNS_OF_K}, k.digest, m.role AS creator_role
            FROM api_keys k
            LEFT JOIN memberships m ON m.user_id = k.created_by AND m.workspace_id = k.workspace_id
            WHERE k.prefix = $1""",
        prefix,
    )
    if record is None:
        return None
    values = dict(record.items())
    digest = bytes(values.pop("digest"))
    creator_role = values.pop("creator_role")
    return msgspec.convert(values, ApiKey), digest, None if creator_role is None else Role(creator_role)


async def touch_key(pool: Pool, key_id: uuid.UUID) -> None:
    """Record that a key was used (called at most once a minute per key and process)."""
    await pool.execute("UPDATE api_keys SET last_used_at = now() WHERE id = $1", key_id)


async def list_keys(pool: Pool, workspace_id: uuid.UUID) -> list[ApiKey]:
    """A workspace's keys, the newest first."""
    records = await pool.fetch(
        f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE workspace_id = $1 ORDER BY created_at DESC, id",
        workspace_id,
    )
    return [msgspec.convert(dict(r.items()), ApiKey) for r in records]


async def revoke_key(
    conn: Connection, key_id: uuid.UUID, workspace_id: uuid.UUID, audit: Entry | None = None
) -> ApiKey | None:
    """Inside the caller's transaction: revoke a key of the workspace (again is no change), every
    key made with it or with those, and the upload tokens and share links any of them made (their
    stream tokens end with them: triggers bump the generations); None if the workspace has no such
    key."""
    sql, logged = audit_rows.statement(
        f"""UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
            WHERE id = $1 AND workspace_id = $2 RETURNING {_KEY_COLUMNS}""",
        2, audit, target_id="acted.id",
    )  # fmt: skip
    record = await conn.fetchrow(sql, key_id, workspace_id, *logged)
    if record is not None:
        made = await conn.fetch(
            """WITH RECURSIVE made (id) AS (
                   SELECT $1::uuid
                   UNION SELECT k.id FROM api_keys k JOIN made ON k.created_by_key = made.id
               ), keys AS (
                   UPDATE api_keys SET revoked_at = now()
                   WHERE id IN (SELECT id FROM made) AND revoked_at IS NULL
               ), tokens AS (
                   UPDATE upload_tokens SET revoked_at = now()
                   WHERE created_by_key IN (SELECT id FROM made) AND revoked_at IS NULL
               )
               SELECT id FROM made""",
            key_id,
        )
        await share_rows.revoke_made(conn, keys=[r["id"] for r in made], because=_because(audit, key_id))
    key: ApiKey | None = _row(record, ApiKey)
    return key


# Upload tokens


async def insert_token(
    pool: Pool,
    *,
    workspace_id: uuid.UUID,
    digest: bytes,
    content_types: list[str] | None,
    max_bytes: int | None,
    created_by: uuid.UUID | None,
    created_by_key: uuid.UUID | None,
    expires_in: float,
    max_files: int | None = None,
    max_total_bytes: int | None = None,
    audit: Entry | None = None,
) -> UploadToken:
    """A new upload token; one made with a key expires no later than that key."""
    sql, logged = audit_rows.statement(
        f"""INSERT INTO upload_tokens (id, workspace_id, digest, content_types, max_bytes, created_by,
                                       created_by_key, expires_at, max_files, max_total_bytes)
            VALUES ($1, $2, $3, $4, $5, $6, $7,
                    LEAST(now() + make_interval(secs => $8), (SELECT expires_at FROM api_keys WHERE id = $7)),
                    $9, $10)
            RETURNING {_TOKEN_COLUMNS}""",
        10, audit, target_id="acted.id", workspace_id="acted.workspace_id",
    )  # fmt: skip
    record = await pool.fetchrow(
        sql, uuid.uuid4(), workspace_id, digest, content_types, max_bytes, created_by, created_by_key,
        expires_in, max_files, max_total_bytes, *logged,
    )  # fmt: skip
    token: UploadToken = _row(record, UploadToken)
    return token


async def live_token(pool: Pool, digest: bytes) -> tuple[UploadToken, bool] | None:
    """An upload token that has neither expired nor been revoked, by its digest, and whether whoever
    made it may still upload in its workspace (always, for one ``dam admin``'s keys made)."""
    record = await pool.fetchrow(
        f"""SELECT {_TOKEN_COLUMNS_OF_T},
                   t.created_by IS NULL OR m.role IN ('contributor', 'editor', 'admin') AS creator_may
            FROM upload_tokens t
            LEFT JOIN memberships m ON m.user_id = t.created_by AND m.workspace_id = t.workspace_id
            WHERE t.digest = $1 AND t.expires_at > now() AND t.revoked_at IS NULL""",
        digest,
    )
    if record is None:
        return None
    values = dict(record.items())
    creator_may = bool(values.pop("creator_may"))
    return msgspec.convert(values, UploadToken), creator_may
