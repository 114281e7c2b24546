"""Asset use cases: read one (with renditions, steps and URLs), list, delete (to the trash, or for
good), restore, reprocess."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

import msgspec

from dam.db import assets as db
from dam.db import query
from dam.db import tags as tag_rows
from dam.domain import audit, validation, xmp
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, AssetDetail, AssetPage, Audience
from dam.domain.audit import Action
from dam.domain.errors import Conflict
from dam.domain.status import HIDDEN, AssetStatus
from dam.domain.stream_access import viewer_of
from dam.resources import Resources
from dam.services import scoped
from dam.services.present import Presenter
from dam.services.processing import Processing
from dam.services.tags import retag
from dam.services.unit import unit
from dam.services.webhooks import emit_asset

PURGE_BATCH = 100  # trashed assets read at a time for the purge


class Assets:
    """Reading and managing assets."""

    def __init__(self, resources: Resources) -> None:
        self.trash_days = resources.settings.lifecycle.trash_days
        self.pool = resources.pool
        self.storage = resources.storage
        self.processing = Processing(resources)
        self.present = Presenter(resources)

    async def read(self, principal: Principal, asset_id: uuid.UUID) -> AssetDetail:
        """One asset with renditions, steps, a download URL and its stream (with a fresh token)."""
        asset = await scoped.find(self.pool, asset_id, principal)
        return await self.detail(asset, viewer=viewer_of(principal))

    async def detail(self, asset: Asset, *, viewer: str = "-") -> AssetDetail:
        """The detail of an asset already read (stream URLs carry a token naming ``viewer``)."""
        return await self.present.detail(asset, Audience(viewer=viewer))

    def new_detail(self, asset: Asset) -> AssetDetail:
        """The detail of an asset just created: nothing stored or processed yet."""
        return self.present.new_detail(asset)

    async def page(
        self,
        principal: Principal,
        *,
        status: AssetStatus | None,
        content_type: str | None,
        limit: int,
        cursor: str | None,
        sha256: str | None = None,
    ) -> AssetPage:
        """A page of assets, newest first."""
        after = query.decode(cursor, db.NEWEST) if cursor else None
        digest = validation.clean_sha256(sha256) if sha256 is not None else None
        if content_type is not None:
            content_type = validation.clean_content_type_filter(content_type)
        require(principal, Scope.READ)
        rows = await db.list_assets(
            self.pool, status=status, content_type=content_type, limit=limit + 1, after=after, sha256=digest,
            workspace_id=principal.workspace_id,
        )  # fmt: skip
        items, next_cursor = query.page(rows, limit, db.NEWEST)
        details = await self.present.details(items, Audience(viewer=viewer_of(principal)))
        return AssetPage(items=details, next_cursor=next_cursor)

    async def delete(
        self, principal: Principal | None, asset_id: uuid.UUID, *, permanent: bool = False
    ) -> None:
        """Move the asset to the trash for ``DAM_TRASH_DAYS`` (its creator, an editor, or the upload
        token it came with; None: the system); with ``permanent`` (admins), ``DAM_TRASH_DAYS=0``, or
        an upload whose bytes never arrived, delete it for good at once. Deleting a deleted asset,
        or trashing a trashed one, does nothing."""
        asset = await scoped.uploadable(self.pool, asset_id, principal)
        if permanent and principal is not None:
            require(principal, Scope.MANAGE)
        days = self.trash_days
        if permanent or days <= 0 or asset.status is AssetStatus.PENDING_UPLOAD:
            await self.purge(principal, asset)
            return
        if asset.status in HIDDEN:
            return
        entry = audit.by(principal, Action.ASSET_TRASH)
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, asset.workspace_id)
            by = principal.user_id if principal is not None else None
            trashed = await db.trash_many(work.conn, [asset_id], by, days, entry)
            if not trashed:
                return
            work.touched(asset_id)
            if trashed[0].tags:  # the workspace's counts are of live assets; the asset keeps its tags
                await retag(work.conn, asset.workspace_id, trashed[0].tags, [])
            await emit_asset(work.conn, "asset.trashed", trashed[0])

    async def purge(self, principal: Principal | None, asset: Asset, *, from_trash: bool = False) -> None:
        """Delete the asset for good: its row becomes a tombstone (``deleted``) in a transaction
        that holds it locked (``from_trash``: only if it is still in the trash: one restored
        meanwhile stays), then its original and renditions leave storage."""
        if asset.status is AssetStatus.DELETED:
            return
        entry = audit.by(principal, Action.ASSET_DELETE)
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, asset.workspace_id)
            locked = await db.lock_asset(work.conn, asset.id)
            if locked is None or locked.status is AssetStatus.DELETED:
                return
            if from_trash and locked.status is not AssetStatus.TRASHED:
                return
            deleted = await db.transition(work.conn, asset.id, AssetStatus.DELETED, audit=entry)
            if deleted is None:
                return
            work.touched(asset.id)
            await emit_asset(work.conn, "asset.purged", deleted)
            if locked.tags:  # its tags go with it (a trashed asset's counted for none already)
                if locked.status is not AssetStatus.TRASHED:
                    await retag(work.conn, deleted.workspace_id, locked.tags, [])
                await db.set_tags(work.conn, asset.id, [], bump=False)
        if locked.upload_id is not None:
            await self.storage.abort_multipart(locked.storage_key, locked.upload_id)
        await self.storage.delete(locked.storage_key)
        await self.storage.delete_prefix(validation.rendition_prefix(asset.id))

    async def restore(self, principal: Principal, asset_id: uuid.UUID) -> AssetDetail:
        """Bring a trashed asset back as it was: its tags, collections and share links (those not
        expired) with it. One trashed while it was being processed is processed again."""
        asset = await scoped.editable(self.pool, asset_id, principal)
        if asset.status is not AssetStatus.TRASHED:
            raise Conflict(f"asset {asset_id} is not in the trash (it is {asset.status.value})")
        was = asset.trashed_from
        target = was if was in (AssetStatus.READY, AssetStatus.FAILED) else AssetStatus.UPLOADED
        entry = audit.by(principal, Action.ASSET_RESTORE)
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, asset.workspace_id)
            restored = await db.restore(work.conn, asset_id, target, entry)
            if restored is None:  # restored or purged meanwhile
                raise Conflict(f"asset {asset_id} is not in the trash")
            work.touched(asset_id)
            if restored.tags:  # counted again, named as the workspace writes them now
                names = await retag(work.conn, restored.workspace_id, [], restored.tags)
                if names != restored.tags:
                    await db.set_tags(work.conn, asset_id, names, bump=False)
                    restored = msgspec.structs.replace(restored, tags=names)
            await emit_asset(work.conn, "asset.restored", restored)
        # Processing again from the start (uploaded), or the background steps left waiting (ready).
        if target in (AssetStatus.UPLOADED, AssetStatus.READY) and restored.etag is not None:
            episode = f"restore:{int(restored.updated_at.timestamp() * 1000)}"
            await self.processing.hand_over(restored, rerun=episode)
        return await self.detail(restored, viewer=viewer_of(principal))

    async def xmp(self, principal: Principal, asset_id: uuid.UUID) -> tuple[str, bytes]:
        """The asset's XMP sidecar and the name it is saved under (``IMG_0412.xmp`` beside
        ``IMG_0412.CR2``)."""
        asset = await scoped.find(self.pool, asset_id, principal)
        stem = PurePosixPath(asset.filename).stem or asset.filename
        return f"{stem}.xmp", xmp.sidecar(asset)

    async def trash(self, principal: Principal, limit: int, cursor: str | None) -> AssetPage:
        """A page of the workspace's trash, the last deleted first."""
        require(principal, Scope.READ)
        assert principal.workspace_id is not None
        after = query.decode(cursor, db.TRASHED_FIRST) if cursor else None
        rows = await db.list_trash(self.pool, principal.workspace_id, limit + 1, after)
        items, next_cursor = query.page(rows, limit, db.TRASHED_FIRST)
        details = await self.present.details(items, Audience(viewer=viewer_of(principal)))
        return AssetPage(items=details, next_cursor=next_cursor)

    async def empty_trash(self, principal: Principal) -> int:
        """Purge every asset of the workspace's trash now (admins); how many."""
        require(principal, Scope.MANAGE)
        assert principal.workspace_id is not None
        return await self.purge_due(principal, principal.workspace_id)

    async def purge_due(
        self,
        principal: Principal | None = None,
        workspace_id: uuid.UUID | None = None,
        at_most: int | None = None,
    ) -> int:
        """Purge trashed assets whose time is up (with ``workspace_id``: all of that workspace's), a
        batch at a time, ``at_most`` of them (None: every one); how many."""
        done, seen = 0, set[uuid.UUID]()
        while batch := [
            a for a in await db.due_for_purge(self.pool, PURGE_BATCH, workspace_id) if a.id not in seen
        ]:
            for asset in batch:  # one moved meanwhile (restored, purged by another) is not read again
                if at_most is not None and done >= at_most:
                    return done
                seen.add(asset.id)
                await self.purge(principal, asset, from_trash=True)
                done += 1
        return done

    async def reprocess(
        self, principal: Principal, asset_id: uuid.UUID, steps: list[str] | None = None
    ) -> AssetDetail:
        """Run the named steps (default: all) again for a ``ready`` or ``failed`` asset (its creator,
        or an editor)."""
        await scoped.editable(self.pool, asset_id, principal)
        entry = audit.by(principal, Action.ASSET_REPROCESS, detail={"steps": steps} if steps else {})
        moved = await self.processing.restart(asset_id, steps, entry)
        # The earlier job's result still holds its id: a new id per reprocess request.
        await self.processing.hand_over(moved, rerun=f"re:{int(moved.updated_at.timestamp() * 1000)}")
        return await self.detail(moved, viewer=viewer_of(principal))
