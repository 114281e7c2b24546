"""Users linked to OpenID Connect identities (issuer + subject)."""

from __future__ import annotations

import uuid

import msgspec

from dam.db import audit as audit_rows
from dam.db.pool import Connection, Pool, Queries
from dam.domain.accounts import User
from dam.domain.audit import Entry


async def linked_user(pool: Pool, issuer: str, subject: str) -> User | None:
    """The user linked to that identity, if any."""
    record = await pool.fetchrow(
        """SELECT u.id, u.email, u.operator, u.created_at FROM user_identities i
           JOIN users u ON u.id = i.user_id WHERE i.issuer = $1 AND i.subject = $2""",
        issuer, subject,
    )  # fmt: skip
    return None if record is None else msgspec.convert(dict(record.items()), User)


async def create_linked_user(conn: Connection, issuer: str, subject: str, email: str, email_key: str) -> User:
    """Inside the caller's transaction: a new user (no password: they sign in through the provider)
    linked to the identity."""
    record = await conn.fetchrow(
        """INSERT INTO users (id, email, email_key) VALUES ($1, $2, $3)
           RETURNING id, email, operator, created_at""",
        uuid.uuid4(), email, email_key,
    )  # fmt: skip
    assert record is not None
    await conn.execute(
        "INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)",
        issuer, subject, record["id"],
    )  # fmt: skip
    return msgspec.convert(dict(record.items()), User)


async def insert_linked_user(
    conn: Queries, issuer: str, subject: str, email: str, email_key: str
) -> User | None:
    """A new user of that address (no password, ``email_verified`` true: the provider verified it)
    linked to the identity, in one statement; None when the address has an account or the identity
    a link already (the user row may then be made: roll the caller's transaction back)."""
    record = await conn.fetchrow(
        """WITH made AS (
               INSERT INTO users (id, email, email_key, email_verified) VALUES ($1, $2, $3, true)
               ON CONFLICT (email_key) DO NOTHING RETURNING id, email, operator, created_at),
           linked AS (
               INSERT INTO user_identities (issuer, subject, user_id) SELECT $4, $5, id FROM made
               ON CONFLICT (issuer, subject) DO NOTHING RETURNING user_id)
           SELECT m.id, m.email, m.operator, m.created_at FROM made m JOIN linked l ON l.user_id = m.id""",
        uuid.uuid4(), email, email_key, issuer, subject,
    )  # fmt: skip
    return None if record is None else msgspec.convert(dict(record.items()), User)


async def link(
    conn: Connection, issuer: str, subject: str, user_id: uuid.UUID, audit: Entry
) -> tuple[uuid.UUID, bool]:
    """Inside the caller's transaction: link the identity to the user unless it is linked already:
    the user it is linked to, and whether this call linked it (then, and only then, with its audit
    row)."""
    sql, logged = audit_rows.statement(
        """INSERT INTO user_identities (issuer, subject, user_id) VALUES ($1, $2, $3)
           ON CONFLICT (issuer, subject) DO NOTHING RETURNING user_id""",
        3, audit, user_id="acted.user_id", target_id="acted.user_id",
    )  # fmt: skip
    made = await conn.fetchval(sql, issuer, subject, user_id, *logged)
    linked = made or await conn.fetchval(
        "SELECT user_id FROM user_identities WHERE issuer = $1 AND subject = $2", issuer, subject
    )
    assert isinstance(linked, uuid.UUID)
    return linked, made is not None
