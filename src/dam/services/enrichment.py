"""Enrichment's use cases: what the models found for an asset, its near-duplicates, and the
picture an enrichment step reads."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from dam.db import assets as asset_rows
from dam.db import collections as collection_rows
from dam.db import enrichment as db
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import AssetSummary, StoredRendition
from dam.domain.enrichment import MAX_DISTANCE, SIMILAR_LIMIT, Enrichment
from dam.domain.errors import InvalidInput
from dam.resources import Resources
from dam.services import scoped
from dam.services.present import Presenter

PICTURE = "preview"  # the upright, sRGB, EXIF-free rendition every picture model reads
HASH_MODEL = "dhash"


class Near(AssetSummary, frozen=True, kw_only=True):
    """A near-duplicate: the other asset as lists show it, and how many bits its picture differs by."""

    distance: int


class Enrichments:
    """Reading what enrichment found."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.present = Presenter(resources)

    async def of_asset(self, asset_id: uuid.UUID) -> list[Enrichment]:
        """Each enrichment step of the asset, with what it found."""
        return await db.of_asset(self.pool, asset_id)

    async def picture(self, asset_id: uuid.UUID) -> StoredRendition | None:
        """The rendition picture models read (None until the asset has one)."""
        found = await asset_rows.list_renditions(self.pool, [asset_id])
        return next((r for r in found if r.kind == PICTURE), None)

    async def similar(self, principal: Principal, asset_id: uuid.UUID, max_distance: int) -> list[Near]:
        """The workspace's near-duplicates of an asset, closest first."""
        if not 0 <= max_distance <= MAX_DISTANCE:
            raise InvalidInput(f"max_distance must be 0 to {MAX_DISTANCE} bits of 64")
        require(principal, Scope.READ)
        asset = await scoped.find(self.pool, asset_id, principal)
        found = await db.similar(
            self.pool, asset.workspace_id, asset.id, HASH_MODEL, max_distance, SIMILAR_LIMIT
        )
        if not found:
            return []
        assets = await collection_rows.assets(self.pool, [f.asset_id for f in found], asset.workspace_id)
        summaries = {s.id: s for s in await self.present.summaries(assets)}
        return [_near(summaries[f.asset_id], f.distance) for f in found if f.asset_id in summaries]


def _near(summary: AssetSummary, distance: int) -> Near:
    fields: dict[str, Any] = msgspec.structs.asdict(summary)
    return Near(**fields, distance=distance)
