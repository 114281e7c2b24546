"""Asset use cases: read one (with renditions, steps and URLs), list, delete, reprocess."""

from __future__ import annotations

import uuid

from dam.db import assets as db
from dam.db import query
from dam.db import tags as tag_rows
from dam.domain import audit, validation
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, AssetDetail, AssetPage, Audience
from dam.domain.audit import Action
from dam.domain.status import AssetStatus
from dam.domain.stream_access import viewer_of
from dam.resources import Resources
from dam.services import scoped
from dam.services.present import Presenter
from dam.services.processing import Processing
from dam.services.tags import retag
from dam.services.unit import unit


class Assets:
    """Reading and managing assets."""

    def __init__(self, resources: Resources) -> None:
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

    async def delete(self, principal: Principal | None, asset_id: uuid.UUID) -> None:
        """Remove the original and renditions from storage, then mark the asset deleted (its
        creator, an editor, or the upload token it came with; None: the system)."""
        asset = await scoped.uploadable(self.pool, asset_id, principal)
        if asset.status is AssetStatus.DELETED:
            return
        if asset.upload_id is not None:
            await self.storage.abort_multipart(asset.storage_key, asset.upload_id)
        await self.storage.delete(asset.storage_key)
        await self.storage.delete_prefix(validation.rendition_prefix(asset.id))
        entry = audit.by(principal, Action.ASSET_DELETE)
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, asset.workspace_id)
            deleted = await db.transition(work.conn, asset_id, AssetStatus.DELETED, audit=entry)
            if deleted is None:
                return
            work.touched(asset_id)
            if deleted.tags:  # its tags go with it: the workspace's counts are of live assets
                await retag(work.conn, deleted.workspace_id, deleted.tags, [])
                await db.set_tags(work.conn, asset_id, [], bump=False)

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
