"""A workspace's metadata schema: one ``jsonb`` column of its row (``workspaces.metadata_schema``,
NULL when it has none), read whole by its primary key and written whole."""

from __future__ import annotations

import uuid

import msgspec

from dam.db import audit as audit_rows
from dam.db.pool import Connection, Queries
from dam.domain.audit import Entry
from dam.domain.schema import MetadataSchema


async def metadata_schema(conn: Queries, workspace_id: uuid.UUID) -> MetadataSchema | None:
    """The workspace's schema (None: it has none, or there is no such workspace)."""
    # As text, decoded once straight into the typed struct (the jsonb codec would build dicts first).
    text = await conn.fetchval("SELECT metadata_schema::text FROM workspaces WHERE id = $1", workspace_id)
    return None if text is None else msgspec.json.decode(text, type=MetadataSchema)


async def set_metadata_schema(
    conn: Connection, workspace_id: uuid.UUID, schema: MetadataSchema | None, audit: Entry
) -> bool:
    """The workspace's schema is ``schema`` (None: none), audited by the same statement; False when
    there is no such workspace."""
    sql, logged = audit_rows.statement(
        "UPDATE workspaces SET metadata_schema = $2 WHERE id = $1 RETURNING id",
        2,
        audit,
        target_id="acted.id",
    )
    return await conn.fetchval(sql, workspace_id, schema, *logged) is not None
