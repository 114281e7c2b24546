"""Changing many assets at once: tags added and removed, a merge patch of their metadata, a
collection to add them to or take them out of, or deletion, for up to 1,000 ids in one transaction.

The transaction takes, in the order every writer does: the workspace's tag lock (shared), the
collections named (``collections`` rows), then the assets' rows in the order of their ids (one
statement), then the tag rows it counts in the order of their keys (one statement). Each id's
outcome is decided in Python over the locked rows (``domain/bulk.py``); the changes are then
written with one statement per kind (edits, deletions, memberships), each audited as its single
counterpart is (``asset.update`` with the fields and keys changed, ``asset.delete``,
``collection.assets.add`` / ``.remove``), every changed asset marked touched so its search
document is refreshed before the commit. A fault anywhere rolls everything back.

Deleted assets' files leave storage after the commit (a rolled-back deletion must keep them): a
file storage does not let go of then is logged and stays, as the asset stays deleted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

import msgspec
from msgspec import UnsetType

from dam.db import assets as asset_rows
from dam.db import audit as audit_rows
from dam.db import collections as collection_rows
from dam.db import tags as tag_rows
from dam.db.pool import Connection
from dam.domain import audit, metadata, validation
from dam.domain import bulk as rules
from dam.domain.access import Principal
from dam.domain.assets import Asset
from dam.domain.audit import Action
from dam.domain.bulk import Bulk, Outcome, Planned
from dam.domain.collections import GAP
from dam.domain.errors import DamError, InvalidInput, NotFound
from dam.domain.schema import EMPTY
from dam.domain.status import HIDDEN
from dam.resources import Resources
from dam.services.collections import SMART, not_found
from dam.services.edits import editable
from dam.services.schema import schema_of
from dam.services.unit import Work, unit
from dam.services.webhooks import emit_assets

log = logging.getLogger(__name__)
PURGES = 8  # deleted assets whose files leave storage at a time (below the S3 client's 10 connections)


class BulkChanges:
    """Many assets changed in one transaction."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.storage = resources.storage
        self.trash_days = resources.settings.lifecycle.trash_days

    async def change(self, principal: Principal, bulk: Bulk) -> list[Outcome]:
        """Each id's outcome, in the request's order (repeats once). ``InvalidInput`` for a request
        unusable as a whole, ``NotFound`` for an unknown (or another workspace's) collection."""
        bulk = rules.check(bulk)
        workspace = principal.workspace_id
        if workspace is None:  # the route's policy refused it already; for the type checker
            raise NotFound("no workspace")
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, workspace)
            await self._collections(work.conn, workspace, bulk)
            found = await asset_rows.lock_many(work.conn, bulk.ids, workspace)
            schema = EMPTY if isinstance(bulk.metadata, UnsetType) else await schema_of(work.conn, workspace)
            planned = rules.plan(principal, bulk, {asset.id: asset for asset in found}, schema)
            changing = [p for p in planned if p.error is None and p.asset is not None]
            deleted = await self._write(work, principal, workspace, bulk, changing)
        await self._purge(deleted)
        return [p.outcome for p in planned]

    async def _collections(self, conn: Connection, workspace: uuid.UUID, bulk: Bulk) -> None:
        """Lock the collections the request names (before any asset: members are added in that
        order elsewhere too); refused when one is unknown or smart."""
        for collection_id in sorted({c for c in (bulk.add_to, bulk.remove_from) if c is not None}):
            found = await collection_rows.get(conn, collection_id, workspace, lock=True)
            if found is None:
                raise not_found(collection_id)
            if found.smart:
                raise InvalidInput(f"collection {collection_id} is smart: {SMART}")

    async def _write(
        self, work: Work, principal: Principal, workspace: uuid.UUID, bulk: Bulk, changing: list[Planned]
    ) -> list[Asset]:
        """Write what ``changing`` plans; the assets deleted."""
        edits = [p for p in changing if p.after is not None]
        doomed = [p.asset for p in changing if bulk.delete and p.asset and _live(p.asset)]
        moves = [(p.asset.tags, p.after.tags) for p in edits if p.asset and p.after]
        gone: list[tuple[list[str], list[str]]] = [(a.tags, []) for a in doomed]
        names = await tag_rows.adjust(work.conn, workspace, rules.tag_deltas([*moves, *gone]))
        if edits:
            entry = audit.by(principal, Action.ASSET_UPDATE)
            edited = await asset_rows.edit_many(work.conn, [_edited(p, names) for p in edits], entry)
            work.touched(*(p.id for p in edits))
            await emit_assets(work.conn, "asset.updated", edited)
        deleted: list[Asset] = []
        # To the trash (their tags kept, counted for none), unless DAM_TRASH_DAYS is 0; uploads whose
        # bytes never arrived have nothing to keep and go for good, as DELETE /assets/{id} does.
        days = self.trash_days
        trashable = [a for a in doomed if days > 0 and a.status in asset_rows.TRASH.sources]
        if trashable:
            entry = audit.by(principal, Action.ASSET_TRASH)
            by = principal.user_id
            trashed = await asset_rows.trash_many(work.conn, [a.id for a in trashable], by, days, entry)
            work.touched(*(a.id for a in trashed))
            await emit_assets(work.conn, "asset.trashed", trashed)
        doomed = [a for a in doomed if a not in trashable]
        if doomed:
            entry = audit.by(principal, Action.ASSET_DELETE)
            deleted = await asset_rows.delete_many(work.conn, [a.id for a in doomed], entry)
            work.touched(*(a.id for a in deleted))
            await emit_assets(work.conn, "asset.purged", deleted)
        ids = [p.id for p in changing]
        if bulk.add_to is not None and ids:
            added = await collection_rows.add(work.conn, bulk.add_to, ids, GAP)
            await _members(work, principal, Action.COLLECTION_ADD, bulk.add_to, added)
        if bulk.remove_from is not None and ids:
            removed = await collection_rows.remove(work.conn, bulk.remove_from, ids)
            await _members(work, principal, Action.COLLECTION_REMOVE, bulk.remove_from, removed)
        return deleted

    async def _purge(self, assets: Sequence[Asset]) -> None:
        """Remove deleted assets' files from storage (as ``DELETE /assets/{id}`` does), a few at a
        time; what storage keeps is logged."""
        gate = asyncio.Semaphore(PURGES)

        async def purge(asset: Asset) -> None:
            async with gate:
                try:
                    if asset.upload_id is not None:
                        await self.storage.abort_multipart(asset.storage_key, asset.upload_id)
                    await self.storage.delete(asset.storage_key)
                    await self.storage.delete_prefix(validation.rendition_prefix(asset.id))
                except DamError as exc:
                    log.warning(
                        "deleted asset %s: its files stay in storage (%s)",
                        asset.id, exc.detail, extra={"asset_id": str(asset.id)},
                    )  # fmt: skip

        await asyncio.gather(*(purge(asset) for asset in assets))


def _live(asset: Asset) -> bool:
    return asset.status not in HIDDEN


def _edited(planned: Planned, names: dict[str, str]) -> asset_rows.Edited:
    """An edit as it is written: the tags it adds named as the workspace writes them, audited
    with what it changed (as ``PATCH`` audits it)."""
    assert planned.asset is not None
    assert planned.after is not None
    before = editable(planned.asset)
    after = msgspec.structs.replace(planned.after, tags=rules.named(planned.after.tags, before.tags, names))
    return asset_rows.Edited(
        id=planned.id, title=after.title, description=after.description, tags=after.tags,
        metadata=after.metadata, detail=dict(metadata.changes(before, after)),
    )  # fmt: skip


async def _members(
    work: Work, principal: Principal, action: Action, collection_id: uuid.UUID, changed: list[uuid.UUID]
) -> None:
    """Audit a change of a collection's members as its own routes do; the assets are touched."""
    if not changed:
        return
    work.touched(*changed)
    detail = {"assets": [str(a) for a in changed], "count": len(changed)}
    await audit_rows.record(work.conn, audit.by(principal, action, target_id=collection_id, detail=detail))
