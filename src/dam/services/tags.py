"""Tag use cases: the workspace's tags (most used first), renaming one (merging it into another of
the same name), deleting one everywhere; and ``retag``, how every change of an asset's tags counts
them (an edit, a creation, keywords found in the file, a deletion)."""

from __future__ import annotations

import uuid

from dam.db import audit as audit_rows
from dam.db import tags as tag_rows
from dam.db.pool import Connection
from dam.db.tags import TagCount
from dam.domain import audit
from dam.domain import tags as rules
from dam.domain.access import Principal, Scope, require
from dam.domain.audit import Action
from dam.domain.errors import NotFound
from dam.domain.tags import TagSource
from dam.resources import Resources
from dam.services.unit import unit


async def retag(
    conn: Connection, workspace_id: uuid.UUID, current: list[str], wanted: list[str]
) -> list[str]:
    """Inside a transaction holding the workspace's tag lock (shared) and the asset's row: the
    asset's tags go from ``current`` to ``wanted`` (cleaned, without repeats); the workspace's
    counts follow, and the tags it has are named as it first wrote them. Returns the asset's tags
    as they are to be stored."""
    have = {rules.key_of(name): name for name in current}
    keys = [rules.key_of(name) for name in wanted]
    added = [(key, name) for key, name in zip(keys, wanted, strict=True) if key not in have]
    removed = [key for key in have if key not in set(keys)]
    named = await tag_rows.count(conn, workspace_id, added, removed)
    return [have.get(key) or named[key] for key in keys]


def not_found(name: str) -> NotFound:
    """The answer for a tag the workspace does not have."""
    return NotFound(f"tag {name[:100]!r} not found")


class Tags:
    """A workspace's tags."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool

    async def listing(
        self, principal: Principal, prefix: str | None, limit: int, source: TagSource = "people"
    ) -> list[TagCount]:
        """The workspace's tags, most used first, those starting with ``prefix`` (any case): people's
        (``source``), the models' or both."""
        require(principal, Scope.READ)
        assert principal.workspace_id is not None
        key = rules.key_of(prefix.strip()) if prefix else None
        if source == "people":
            return await tag_rows.listing(self.pool, principal.workspace_id, key, limit)
        return await tag_rows.enriched_listing(
            self.pool, principal.workspace_id, key, limit, people=source == "any"
        )

    async def rename(self, principal: Principal, name: str, new_name: str) -> TagCount:
        """Rename a tag on every asset that carries it (an editor); into a tag the workspace has
        already, the two are merged. Their revisions grow and they are touched."""
        require(principal, Scope.EDIT_ANY)
        workspace = principal.workspace_id
        assert workspace is not None
        new_name = rules.clean(new_name)
        key, new_key = rules.key_of(name.strip()), rules.key_of(new_name)
        async with unit(self.pool) as work:
            await tag_rows.lock(work.conn, workspace)
            tag = await tag_rows.find(work.conn, workspace, key)
            if tag is None:
                raise not_found(name)
            if tag.name == new_name:
                return tag
            into = None if new_key == key else await tag_rows.find(work.conn, workspace, new_key)
            target = into.name if into is not None else new_name
            changed = await tag_rows.replace_on_assets(work.conn, workspace, tag.name, target)
            if into is None:
                await tag_rows.rename(work.conn, workspace, key, new_key, target)
                count = tag.count
            else:
                await tag_rows.drop(work.conn, workspace, key)
                count = await tag_rows.recount(work.conn, workspace, new_key, target)
            detail = {"from": tag.name, "to": target, "merged": into is not None, "assets": len(changed)}
            await audit_rows.record(work.conn, audit.by(principal, Action.TAG_RENAME, detail=detail))
            work.touched(*changed)
        return TagCount(name=target, count=count)

    async def delete(self, principal: Principal, name: str) -> None:
        """Remove a tag from every asset that carries it, and from the workspace (an editor)."""
        require(principal, Scope.EDIT_ANY)
        workspace = principal.workspace_id
        assert workspace is not None
        async with unit(self.pool) as work:
            await tag_rows.lock(work.conn, workspace)
            tag = await tag_rows.find(work.conn, workspace, rules.key_of(name.strip()))
            if tag is None:
                raise not_found(name)
            changed = await tag_rows.remove_from_assets(work.conn, workspace, tag.name)
            await tag_rows.drop(work.conn, workspace, rules.key_of(tag.name))
            detail = {"name": tag.name, "assets": len(changed)}
            await audit_rows.record(work.conn, audit.by(principal, Action.TAG_DELETE, detail=detail))
            work.touched(*changed)
