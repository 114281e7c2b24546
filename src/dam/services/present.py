"""The one presenter of assets: what a reader sees of a list of assets, read in a few batched
queries (renditions, steps, stream records: one each, whatever the number of assets).

Every reading goes through here: ``GET /assets/{id}``, ``POST /assets``, the list, completion and
reprocessing (``AssetDetail`` for a member), a share link (the same detail under the link's
``Audience``, shaped by ``domain/shares.shared_asset``), and lists of results (``AssetSummary``).
What an audience may not see is left out here, once: URLs expire by its ``until``, renditions are
its ``kinds``, the original is offered only when it may download, steps and metadata only when it
may see them.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime

import msgspec

from dam.db import assets as asset_rows
from dam.db import enrichment as enrichment_rows
from dam.db import steps as step_rows
from dam.domain import validation
from dam.domain.assets import (
    MEMBER,
    Asset,
    AssetDetail,
    AssetSummary,
    Audience,
    RenditionLink,
    StepRecord,
    StoredRendition,
)
from dam.domain.enrichment import enrichment_of
from dam.domain.status import HIDDEN, AssetStatus
from dam.domain.steps import ENRICH_KINDS, StepName
from dam.domain.stream_access import Generations
from dam.domain.streaming import StreamRecord
from dam.resources import Resources
from dam.services.streams import Streams

_PLAYABLE = ("audio", "video")


class Loaded(msgspec.Struct, frozen=True, kw_only=True):
    """What a batch of assets needs beside its rows, by asset id."""

    renditions: dict[uuid.UUID, list[StoredRendition]]
    steps: dict[uuid.UUID, list[StepRecord]]
    records: dict[uuid.UUID, StreamRecord]
    generations: dict[uuid.UUID, Generations]


class Presenter:
    """Assets as their readers see them."""

    def __init__(self, resources: Resources, streams: Streams | None = None) -> None:
        self.pool = resources.pool
        self.storage = resources.storage
        self.streams = streams or Streams(resources)

    async def details(self, assets: list[Asset], audience: Audience = MEMBER) -> list[AssetDetail]:
        """Each asset's detail, in the given order."""
        loaded = await self.load(assets, audience)
        expires = _expires(audience, datetime.now(UTC))
        return [self.build(a, loaded, audience, expires) for a in assets]

    async def detail(self, asset: Asset, audience: Audience = MEMBER) -> AssetDetail:
        """One asset's detail, with what enrichment found in it for its workspace's members (a share
        link's visitors are not shown it)."""
        found = (await self.details([asset], audience))[0]
        if not audience.steps:
            return found
        # From the steps just read; the findings' round trip only for an asset that has such steps.
        steps = [s for s in found.steps if s.name in ENRICH_KINDS]
        findings = await enrichment_rows.findings(self.pool, asset.id) if steps else {}
        return msgspec.structs.replace(found, enrichment=enrichment_of(steps, findings))

    def new_detail(self, asset: Asset) -> AssetDetail:
        """The detail of an asset just created: nothing stored or processed yet (no query)."""
        empty = Loaded(renditions={}, steps={}, records={}, generations={})
        return msgspec.structs.replace(self.build(asset, empty, MEMBER, None), enrichment=[])

    async def summaries(self, assets: list[Asset], audience: Audience = MEMBER) -> list[AssetSummary]:
        """Each asset as a list of results shows it (one query: the thumbnails)."""
        renditions = await self._renditions(assets)
        expires = _expires(audience, datetime.now(UTC))
        shown = audience.kinds is None or "thumbnail" in audience.kinds
        return [
            summary(a, self._thumbnail(a, renditions.get(a.id, []), expires) if shown else None)
            for a in assets
        ]

    async def load(self, assets: list[Asset], audience: Audience) -> Loaded:
        """The renditions, steps, stream records and token generations of these assets."""
        steps: dict[uuid.UUID, list[StepRecord]] = {}
        for step in await step_rows.list_steps(self.pool, [a.id for a in assets]):
            steps.setdefault(step.asset_id, []).append(step)
        # Only assets with a ladder step have a stream to look up (images: no query).
        streamed = sorted(a for a, group in steps.items() if any(s.name == StepName.LADDER for s in group))
        records = await self.streams.records(streamed)
        generations = await self.streams.generations(records, audience.viewer)
        renditions = await self._renditions(assets)
        return Loaded(renditions=renditions, steps=steps, records=records, generations=generations)

    def build(self, asset: Asset, loaded: Loaded, audience: Audience, expires: int | None) -> AssetDetail:
        """One asset's detail from what ``load`` read (``expires``: URL lifetime, None: the default)."""
        live = asset.status is not AssetStatus.DELETED
        stored = live and asset.status is not AssetStatus.PENDING_UPLOAD
        kind = asset.media.kind if asset.media is not None else None
        steps = loaded.steps.get(asset.id, [])
        links = [
            self._link(r, expires)
            for r in loaded.renditions.get(asset.id, [])
            if live and (audience.kinds is None or r.kind in audience.kinds)
        ]
        # The original is always an attachment: an SVG's scripts or an HTML file's never run on the
        # store's origin. Audio and video get an inline URL of their own, for players.
        download = (
            self.storage.presign_get(
                asset.storage_key, expires=expires, disposition=validation.attachment(asset.filename)
            )
            if stored and audience.download
            else None
        )
        media = (
            self.storage.presign_get(asset.storage_key, expires=expires, disposition="inline")
            if stored and kind in _PLAYABLE
            else None
        )
        stream = (
            self.streams.links(
                asset, steps, loaded.records.get(asset.id), audience.viewer,
                generations=loaded.generations.get(asset.id, (0, 0)),
                until=audience.until.timestamp() if audience.until else None,
            )
            if asset.status not in HIDDEN  # a trashed asset's stream answers as an unknown one's
            else None
        )  # fmt: skip
        return AssetDetail(
            asset=asset if audience.metadata else msgspec.structs.replace(asset, metadata={}, media=None),
            renditions=links, steps=steps if audience.steps else [], download_url=download,
            media_url=media, stream=stream, kind=kind,
            thumbhash=asset.thumbhash if any(r.kind == "thumbnail" for r in links) else None,
        )  # fmt: skip

    async def _renditions(self, assets: list[Asset]) -> dict[uuid.UUID, list[StoredRendition]]:
        found: dict[uuid.UUID, list[StoredRendition]] = {}
        for rendition in await asset_rows.list_renditions(self.pool, [a.id for a in assets]):
            found.setdefault(rendition.asset_id, []).append(rendition)
        return found

    def _link(self, rendition: StoredRendition, expires: int | None) -> RenditionLink:
        return RenditionLink(
            kind=rendition.kind, content_type=rendition.content_type, width=rendition.width,
            height=rendition.height, bytes=rendition.bytes,
            url=self.storage.presign_get(rendition.storage_key, expires=expires),
        )  # fmt: skip

    def _thumbnail(self, asset: Asset, renditions: list[StoredRendition], expires: int | None) -> str | None:
        if asset.status is AssetStatus.DELETED:
            return None
        thumbnail = next((r for r in renditions if r.kind == "thumbnail"), None)
        return None if thumbnail is None else self.storage.presign_get(thumbnail.storage_key, expires=expires)


def summary(asset: Asset, thumbnail_url: str | None) -> AssetSummary:
    """An asset as a list of results shows it (its thumbnail's ThumbHash with the thumbnail only)."""
    return AssetSummary(
        id=asset.id, status=asset.status, filename=asset.filename, content_type=asset.content_type,
        size=asset.stored_size if asset.stored_size is not None else asset.size,
        kind=asset.media.kind if asset.media is not None else None, thumbnail_url=thumbnail_url,
        created_at=asset.created_at, width=asset.media.width if asset.media is not None else None,
        height=asset.media.height if asset.media is not None else None,
        thumbhash=asset.thumbhash if thumbnail_url is not None else None,
    )  # fmt: skip


def _expires(audience: Audience, now: datetime) -> int | None:
    """How long URLs live for the audience, in seconds (None: ``DAM_PRESIGN_GET_TTL``); S3 URLs live
    whole seconds, so the last second of a share link gets one-second URLs."""
    if audience.until is None:
        return None
    return max(1, math.ceil((audience.until - now).total_seconds()))
