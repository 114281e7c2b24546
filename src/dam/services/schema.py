"""A workspace's metadata schema: reading it (members, and every validated write and search, through
``schema_of``) and replacing it (admins, audited as ``workspace.schema``).

Putting a schema checks the schema, not the assets: values written before it stay as they are, and
only writes made after it are validated against it (``domain/schema.py``)."""

from __future__ import annotations

import time
import uuid

from dam.db import schema as db
from dam.db.pool import Queries
from dam.domain import audit
from dam.domain import schema as rules
from dam.domain.access import Principal, Scope, require
from dam.domain.audit import Action
from dam.domain.errors import NotFound
from dam.domain.schema import EMPTY, MetadataSchema
from dam.resources import Resources
from dam.services.unit import unit


async def schema_of(pool: Queries, workspace_id: uuid.UUID) -> MetadataSchema:
    """The workspace's metadata schema; an empty, non-strict one (``EMPTY``) when it has none. One
    small row read by its primary key; ``pool`` may be a unit's connection, to read it in the
    unit's transaction."""
    return await db.metadata_schema(pool, workspace_id) or EMPTY


# Creating an asset validates its metadata against the schema: one more read on the hottest write
# path. This process keeps each workspace's schema for ``RECENT`` seconds; replacing a schema here
# forgets it at once, another process sees the new one within ``RECENT`` seconds.
RECENT = 1.0
_RECENT: dict[uuid.UUID, tuple[float, MetadataSchema]] = {}
_KEPT = 10_000  # workspaces remembered at most (then forgotten all at once)


async def recent_schema_of(pool: Queries, workspace_id: uuid.UUID) -> MetadataSchema:
    """``schema_of``, as read at most ``RECENT`` seconds ago by this process."""
    now = time.monotonic()
    kept = _RECENT.get(workspace_id)
    if kept is not None and now - kept[0] < RECENT:
        return kept[1]
    schema = await schema_of(pool, workspace_id)
    if len(_RECENT) >= _KEPT:
        _RECENT.clear()
    _RECENT[workspace_id] = (now, schema)
    return schema


class Schemas:
    """A workspace's metadata schema, as its members see it and its admins change it."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool

    async def get(self, principal: Principal) -> MetadataSchema:
        """The schema of the principal's workspace (any member)."""
        require(principal, Scope.READ)
        assert principal.workspace_id is not None
        return await schema_of(self.pool, principal.workspace_id)

    async def replace(self, principal: Principal, schema: MetadataSchema) -> MetadataSchema:
        """Replace the workspace's schema (admins) with ``schema``, checked first (``InvalidInput``
        naming the broken rule); an empty, non-strict one removes it. Returns it as stored."""
        require(principal, Scope.MANAGE)
        workspace = principal.workspace_id
        assert workspace is not None
        rules.check(schema)
        detail = {"fields": [f.key for f in schema.fields], "strict": schema.strict}
        entry = audit.by(principal, Action.WORKSPACE_SCHEMA, detail=detail)
        async with unit(self.pool, one_statement=True) as work:
            stored = None if schema.empty else schema
            if not await db.set_metadata_schema(work.conn, workspace, stored, entry):
                raise NotFound(f"workspace {workspace} not found")
        _RECENT.pop(workspace, None)
        return schema
