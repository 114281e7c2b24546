"""Reading the audit log: workspace admins their workspace's, operators every workspace's."""

from __future__ import annotations

import msgspec

from dam.db import audit as db
from dam.db import query
from dam.domain.access import Principal
from dam.domain.audit import Filters, Row
from dam.resources import Resources


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the log, newest first, and the cursor of the next page."""

    items: list[Row]
    next_cursor: str | None


class AuditLog:
    """The log of who did what."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool

    async def page(
        self, principal: Principal, filters: Filters, *, cursor: str | None, limit: int
    ) -> AuditPage:
        """Rows matching ``filters`` in what the principal may read (the route's policy has let
        only admins and operators through): an operator's every workspace, an admin's own."""
        after = query.decode(cursor, db.NEWEST) if cursor else None
        scoped = msgspec.structs.replace(
            filters, workspace_id=None if principal.operator else principal.workspace_id
        )
        rows = await db.entries(self.pool, scoped, after=after, limit=limit + 1)
        items, next_cursor = query.page(rows, limit, db.NEWEST)
        return AuditPage(items=items, next_cursor=next_cursor)
