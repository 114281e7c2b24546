"""Asset use cases: read one (with renditions, steps and URLs), list, delete, reprocess."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

from dam.db import assets as db
from dam.db import steps as step_rows
from dam.domain import audit, validation
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, AssetDetail, AssetPage, RenditionLink, StepRecord, StoredRendition
from dam.domain.audit import Action
from dam.domain.errors import InvalidInput
from dam.domain.status import AssetStatus
from dam.domain.steps import StepName
from dam.domain.stream_access import Generations, viewer_of
from dam.domain.streaming import StreamRecord
from dam.resources import Resources
from dam.services import scoped
from dam.services.processing import Processing
from dam.services.streams import Streams
from dam.services.unit import unit


class Assets:
    """Reading and managing assets."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.storage = resources.storage
        self.processing = Processing(resources)
        self.streams = Streams(resources)

    async def read(self, principal: Principal, asset_id: uuid.UUID) -> AssetDetail:
        """One asset with renditions, steps, a download URL and its stream (with a fresh token)."""
        asset = await scoped.find(self.pool, asset_id, principal)
        return await self.detail(asset, viewer=viewer_of(principal))

    async def detail(self, asset: Asset, *, viewer: str = "-") -> AssetDetail:
        """The detail of an asset already read (stream URLs carry a token naming ``viewer``)."""
        renditions = await db.list_renditions(self.pool, [asset.id])
        steps = await step_rows.list_steps(self.pool, [asset.id])
        records = await self.streams.records(_streamed(steps))
        generations = await self.streams.generations(records, viewer)
        return self._detail(asset, renditions, steps, records.get(asset.id), viewer, generations)

    def new_detail(self, asset: Asset) -> AssetDetail:
        """The detail of an asset just created: nothing stored or processed yet."""
        return self._detail(asset, [], [], None, "-", {})

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
        after = decode_cursor(cursor) if cursor else None
        digest = validation.clean_sha256(sha256) if sha256 is not None else None
        if content_type is not None:
            content_type = validation.clean_content_type_filter(content_type)
        require(principal, Scope.READ)
        rows = await db.list_assets(
            self.pool, status=status, content_type=content_type, limit=limit + 1, after=after, sha256=digest,
            workspace_id=principal.workspace_id,
        )  # fmt: skip
        page, more = rows[:limit], len(rows) > limit
        ids = [a.id for a in page]
        renditions: dict[uuid.UUID, list[StoredRendition]] = {}
        for rendition in await db.list_renditions(self.pool, ids):
            renditions.setdefault(rendition.asset_id, []).append(rendition)
        steps: dict[uuid.UUID, list[StepRecord]] = {}
        for step in await step_rows.list_steps(self.pool, ids):
            steps.setdefault(step.asset_id, []).append(step)
        records = await self.streams.records(_streamed([s for group in steps.values() for s in group]))
        viewer = viewer_of(principal)
        generations = await self.streams.generations(records, viewer)
        return AssetPage(
            items=[
                self._detail(
                    a, renditions.get(a.id, []), steps.get(a.id, []), records.get(a.id), viewer, generations
                )
                for a in page
            ],
            next_cursor=encode_cursor(page[-1]) if more else None,
        )

    def _detail(
        self,
        asset: Asset,
        renditions: list[StoredRendition],
        steps: list[StepRecord],
        record: StreamRecord | None,
        viewer: str,
        generations: dict[uuid.UUID, Generations],
    ) -> AssetDetail:
        live = asset.status is not AssetStatus.DELETED
        has_object = live and asset.status is not AssetStatus.PENDING_UPLOAD
        links = [
            RenditionLink(
                kind=r.kind,
                content_type=r.content_type,
                width=r.width,
                height=r.height,
                bytes=r.bytes,
                url=self.storage.presign_get(r.storage_key),
            )
            for r in renditions
            if live
        ]
        # The original is always an attachment: an SVG's scripts or an HTML file's never run on the
        # store's origin. Audio and video get an inline URL of their own, for players.
        download = (
            self.storage.presign_get(asset.storage_key, disposition=validation.attachment(asset.filename))
            if has_object
            else None
        )
        playable = has_object and asset.media is not None and asset.media.kind in ("audio", "video")
        media = self.storage.presign_get(asset.storage_key, disposition="inline") if playable else None
        stream = (
            self.streams.links(asset, steps, record, viewer, generations=generations.get(asset.id, (0, 0)))
            if live
            else None
        )
        return AssetDetail(
            asset=asset, renditions=links, steps=steps, download_url=download, media_url=media, stream=stream
        )

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
        async with unit(self.pool, one_statement=True) as work:
            if await db.transition(
                work.conn, asset_id, AssetStatus.DELETED, audit=audit.by(principal, Action.ASSET_DELETE)
            ):
                work.touched(asset_id)

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


def _streamed(steps: list[StepRecord]) -> list[uuid.UUID]:
    """The assets among these steps' that have a stream to look up (images have none: no query)."""
    return sorted({s.asset_id for s in steps if s.name == StepName.LADDER})


def encode_cursor(asset: Asset) -> str:
    """Opaque cursor: the last item's (created_at, id)."""
    raw = f"{asset.created_at.isoformat()}|{asset.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Inverse of ``encode_cursor``; a malformed cursor is the client's error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        created = datetime.fromisoformat(stamp)
        if created.tzinfo is None:
            raise ValueError("naive timestamp")
        # PostgreSQL compares in UTC: a stamp that cannot be one (year 1 at +14:00) is no cursor of ours.
        return created.astimezone(UTC), uuid.UUID(ident)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API issued") from None
