"""Collections: nested in the workspace, plain ones with ordered members, smart ones with a query.

Who may do what: viewers read every collection of the workspace; contributors make collections,
rename, move and delete the ones they made, and add, remove and reorder the members of any plain
collection (assets of the workspace, which they may see); editors and admins rename, move and delete
anyone's. Deleting a collection that has collections below it needs ``recursive`` (a contributor's
then only when they made every one of them); assets are never deleted with a collection.

Another workspace's collection and asset ids are answered exactly as unknown ids are (404), and
every change is audited in its transaction. Membership feeds an asset's search document: adding,
removing and deleting mark the assets touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from dam.db import audit as audit_rows
from dam.db import collections as db
from dam.db import query
from dam.db.pool import Connection, Pool
from dam.domain import audit
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, AssetSummary
from dam.domain.audit import Action
from dam.domain.collections import (
    GAP,
    MAX_DESCRIPTION,
    MAX_QUERY,
    Change,
    Collection,
    Node,
    clean_ids,
    clean_name,
    clean_text,
    missing,
    plan_move,
)
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.search import InvalidSearch, request_of
from dam.resources import Resources
from dam.services import search as searching
from dam.services.present import Presenter
from dam.services.unit import unit
from dam.services.webhooks import emit
from dam.settings import SearchSettings

SMART = "a smart collection has no members of its own: its members are what its query finds"


class Listed(msgspec.Struct, frozen=True, kw_only=True):
    """A collection of the workspace's tree, with its cover's thumbnail URL."""

    node: Node
    cover: str | None


class Members(msgspec.Struct, frozen=True, kw_only=True):
    """A page of a collection's members, and the cursor of the next one."""

    items: list[AssetSummary]
    next_cursor: str | None


class Changed(msgspec.Struct, frozen=True, kw_only=True):
    """What a change of members did: the assets it changed, the members now counted."""

    changed: list[uuid.UUID]
    asset_count: int


def not_found(collection_id: uuid.UUID) -> NotFound:
    """The one answer for an unknown collection and for another workspace's."""
    return NotFound(f"collection {collection_id} not found")


async def member_page(
    pool: Pool, collection: Collection, cursor: str | None, limit: int, caps: SearchSettings
) -> tuple[list[Asset], str | None]:
    """A page of a collection's members in its order (a smart one's: what its query finds, under
    the deployment's search ``caps``), and the cursor of the next page; a cursor is bound to its
    collection (and query)."""
    if collection.query is not None:
        scope = query.scope_of("collection", collection.id, collection.query)
        return await searching.smart_page(
            pool, collection.workspace_id, collection.query, cursor=cursor, limit=limit, scope=scope,
            caps=caps,
        )  # fmt: skip
    scope = query.scope_of("collection", collection.id)
    after = query.decode(cursor, db.IN_ORDER, scope) if cursor else None
    rows = await db.members(pool, collection.id, collection.workspace_id, after=after, limit=limit + 1)
    items, next_cursor = query.page(rows, limit, db.IN_ORDER, scope)
    return [m.asset for m in items], next_cursor


class Collections:
    """Making, arranging and reading collections."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.present = Presenter(resources)
        self.caps = resources.settings.search

    async def create(
        self,
        principal: Principal,
        *,
        name: str,
        description: str = "",
        parent_id: uuid.UUID | None = None,
        search: str | None = None,
    ) -> Collection:
        """A new collection (contributors and up), at the top or below ``parent_id``; with
        ``search``, a smart one."""
        require(principal, Scope.EDIT_OWN)
        workspace = _workspace(principal)
        name, description = clean_name(name), clean_text(description, "description", MAX_DESCRIPTION)
        if search is not None:
            _runnable(clean_text(search, "query", MAX_QUERY))
        async with unit(self.pool) as work:
            await db.lock_tree(work.conn, workspace)
            if parent_id is not None and await db.get(work.conn, parent_id, workspace) is None:
                raise not_found(parent_id)
            made = await db.insert(
                work.conn, workspace_id=workspace, name=name, description=description, parent_id=parent_id,
                query=search, created_by=principal.user_id, created_by_key=principal.key_id,
            )  # fmt: skip
            await _log(work.conn, principal, Action.COLLECTION_CREATE, made.id, smart=search is not None)
        return made

    async def read(self, principal: Principal, collection_id: uuid.UUID) -> Collection:
        """One collection of the workspace (viewers and up)."""
        require(principal, Scope.READ)
        found = await db.get(self.pool, collection_id, _workspace(principal))
        if found is None:
            raise not_found(collection_id)
        return found

    async def tree(self, principal: Principal) -> list[Listed]:
        """Every collection of the workspace, parents before their children's order of making,
        each with its first member's thumbnail (presigned) as its cover."""
        require(principal, Scope.READ)
        workspace = _workspace(principal)
        nodes = await db.tree(self.pool, workspace)
        wanted = [n.cover_asset_id for n in nodes if n.cover_asset_id is not None]
        covers = {
            s.id: s.thumbnail_url
            for s in await self.present.summaries(await db.assets(self.pool, wanted, workspace))
        }
        return [
            Listed(node=n, cover=covers.get(n.cover_asset_id) if n.cover_asset_id else None) for n in nodes
        ]

    async def change(self, principal: Principal, collection_id: uuid.UUID, change: Change) -> Collection:
        """Rename, describe or move a collection (its maker, or an editor); a move below itself or
        below one of its own is refused."""
        workspace = _workspace(principal)
        async with unit(self.pool) as work:
            await db.lock_tree(work.conn, workspace)
            found = await self._own(work.conn, principal, collection_id)
            name = found.name if isinstance(change.name, msgspec.UnsetType) else clean_name(change.name)
            description = (
                found.description
                if isinstance(change.description, msgspec.UnsetType)
                else clean_text(change.description, "description", MAX_DESCRIPTION)
            )
            parent = found.parent_id if isinstance(change.parent_id, msgspec.UnsetType) else change.parent_id
            if parent is not None and parent != found.parent_id:
                await self._check_parent(work.conn, workspace, collection_id, parent)
            changed = await db.update(
                work.conn, collection_id, name=name, description=description, parent_id=parent
            )
            fields = [
                f for f in ("name", "description", "parent_id") if getattr(found, f) != getattr(changed, f)
            ]
            await _log(work.conn, principal, Action.COLLECTION_UPDATE, collection_id, changed=fields)
        return changed

    async def delete(
        self, principal: Principal, collection_id: uuid.UUID, *, recursive: bool = False
    ) -> None:
        """Delete a collection (its maker, or an editor); with ``recursive``, with every collection
        below it (else 409 when there are any). Members' assets stay."""
        workspace = _workspace(principal)
        async with unit(self.pool) as work:
            await db.lock_tree(work.conn, workspace)
            found = await self._own(work.conn, principal, collection_id)
            if await db.has_children(work.conn, collection_id):
                if not recursive:
                    raise Conflict(
                        f"collection {collection_id} has collections below it:"
                        " DELETE /collections/{id}?recursive=true deletes them too"
                    )
                for owner in await db.owners_below(work.conn, collection_id):
                    require(principal, Scope.EDIT_OWN, owner)
            work.touched(*await db.members_below(work.conn, collection_id))
            await db.delete(work.conn, collection_id)
            await _log(
                work.conn,
                principal,
                Action.COLLECTION_DELETE,
                collection_id,
                name=found.name,
                recursive=recursive,
            )

    async def members(
        self, principal: Principal, collection_id: uuid.UUID, *, cursor: str | None, limit: int
    ) -> Members:
        """A page of the collection's members in order, as lists of results show assets."""
        found = await self.read(principal, collection_id)
        assets, next_cursor = await member_page(self.pool, found, cursor, limit, self.caps)
        return Members(items=await self.present.summaries(assets), next_cursor=next_cursor)

    async def add(
        self, principal: Principal, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
    ) -> Changed:
        """Add assets at the end, in the given order (members already: no change); every id must be
        an asset of the workspace that is not deleted (else 404 naming the others, changing nothing)."""
        ids = clean_ids(asset_ids)
        async with unit(self.pool) as work:
            found = await self._plain(work.conn, principal, collection_id)
            seen = await db.visible(work.conn, ids, found.workspace_id)
            if unknown := [i for i in ids if i not in seen]:
                raise NotFound(missing("assets", unknown))
            added = await db.add(work.conn, collection_id, ids, GAP)
            work.touched(*added)
            await _log(work.conn, principal, Action.COLLECTION_ADD, collection_id, assets=added)
            return await _changed(work.conn, added, found)

    async def remove(
        self, principal: Principal, collection_id: uuid.UUID, asset_ids: Sequence[uuid.UUID]
    ) -> Changed:
        """Remove members (ids that are not members: no change); the assets stay."""
        ids = clean_ids(asset_ids)
        async with unit(self.pool) as work:
            found = await self._plain(work.conn, principal, collection_id)
            removed = await db.remove(work.conn, collection_id, ids)
            work.touched(*removed)
            await _log(work.conn, principal, Action.COLLECTION_REMOVE, collection_id, assets=removed)
            return await _changed(work.conn, removed, found)

    async def move(
        self,
        principal: Principal,
        collection_id: uuid.UUID,
        asset_ids: Sequence[uuid.UUID],
        before: uuid.UUID | None,
    ) -> Changed:
        """Move members, in the given order, just before the member ``before`` (None: to the end)."""
        ids = clean_ids(asset_ids)
        if before is not None and before in ids:
            raise InvalidInput("before must not be one of the assets moved")
        async with unit(self.pool) as work:
            found = await self._plain(work.conn, principal, collection_id)
            at = await db.positions(work.conn, collection_id, [*ids, *([before] if before else [])])
            if unknown := [i for i in [*ids, *([before] if before else [])] if i not in at]:
                raise NotFound(missing(f"members of collection {collection_id}", unknown))
            planned = await _plan(work.conn, collection_id, at.get(before) if before else None, ids)
            if planned is None:  # no room left between the two: spread everything out, then again
                await db.renumber(work.conn, collection_id, GAP)
                at = await db.positions(work.conn, collection_id, [before]) if before else {}
                planned = await _plan(work.conn, collection_id, at.get(before) if before else None, ids)
                assert planned is not None
            await db.place(work.conn, collection_id, ids, planned)
            detail = {"before": str(before) if before else None}
            await _log(work.conn, principal, Action.COLLECTION_MOVE, collection_id, assets=ids, **detail)
            return await _changed(work.conn, ids, found)

    async def _own(self, conn: Connection, principal: Principal, collection_id: uuid.UUID) -> Collection:
        """The collection, locked, if the principal may change it (its maker, or an editor)."""
        found = await db.get(conn, collection_id, _workspace(principal), lock=True)
        if found is None:
            raise not_found(collection_id)
        require(principal, Scope.EDIT_OWN, found.owner)
        return found

    async def _plain(self, conn: Connection, principal: Principal, collection_id: uuid.UUID) -> Collection:
        """The collection, locked, if the principal may change its members and it has its own."""
        require(principal, Scope.EDIT_OWN)
        found = await db.get(conn, collection_id, _workspace(principal), lock=True)
        if found is None:
            raise not_found(collection_id)
        if found.smart:
            raise Conflict(SMART)
        return found

    async def _check_parent(
        self, conn: Connection, workspace: uuid.UUID, collection_id: uuid.UUID, parent: uuid.UUID
    ) -> None:
        if await db.get(conn, parent, workspace) is None:
            raise not_found(parent)
        if await db.within(conn, parent, collection_id):
            raise InvalidInput(
                f"collection {collection_id} cannot move below {parent}: that is the collection itself or"
                " below it, which would make a cycle"
            )


def _workspace(principal: Principal) -> uuid.UUID:
    if principal.workspace_id is None:  # require() refused it already; for the type checker
        raise NotFound("no workspace")
    return principal.workspace_id


async def _plan(
    conn: Connection, collection_id: uuid.UUID, before: int | None, ids: list[uuid.UUID]
) -> list[int] | None:
    previous = await db.gap_before(conn, collection_id, before, ids)
    return plan_move(previous, before, len(ids))


async def _changed(conn: Connection, ids: list[uuid.UUID], collection: Collection) -> Changed:
    now = await db.get(conn, collection.id, collection.workspace_id)
    assert now is not None
    return Changed(changed=ids, asset_count=now.asset_count or 0)


async def _log(
    conn: Connection, principal: Principal, action: Action, collection_id: uuid.UUID, **detail: object
) -> None:
    if "assets" in detail:
        assets = detail.pop("assets")
        assert isinstance(assets, list)
        detail["assets"] = [str(a) for a in assets]
        detail["count"] = len(assets)
    await audit_rows.record(conn, audit.by(principal, action, target_id=collection_id, detail=detail))
    if principal.workspace_id is not None:  # the event of the change, in its transaction
        change = {"id": str(collection_id), "change": action.value.removeprefix("collection."), **detail}
        await emit(conn, principal.workspace_id, "collection.changed", {"collection": change})


async def smart_contains(pool: Pool, collection: Collection, asset: Asset) -> bool:
    """Whether a smart collection's query finds this asset of its workspace."""
    assert collection.query is not None
    if asset.workspace_id != collection.workspace_id:
        return False
    return await searching.smart_contains(pool, collection.workspace_id, collection.query, asset.id)


def _runnable(stored: str) -> None:
    """A smart collection's query holds as ``GET /search``'s query string would (422 naming why)."""
    try:
        request_of(stored)
    except InvalidSearch as exc:
        raise InvalidInput(f"query: {exc.detail}") from None
