"""Enrichment routes: an asset's near-duplicates (``GET /assets/{id}/similar``). What the models found
for one asset is part of ``GET /assets/{id}`` (``enrichment``)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from dam.api.access import policy
from dam.api.assets import AssetId
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs
from dam.domain.enrichment import DEFAULT_MAX_DISTANCE, MAX_DISTANCE
from dam.domain.validation import parse_asset_id
from dam.services.enrichment import Enrichments, Near


class SimilarPage(msgspec.Struct, frozen=True, kw_only=True):
    """An asset's near-duplicates in its workspace, closest first (at most 100)."""

    items: list[Near]


class EnrichmentController(Controller):
    """What enrichment found, across assets."""

    path = "/assets"
    tags = ("enrichment",)

    @get(
        "/{asset_id:str}/similar",
        operation_id="similarAssets",
        summary="An asset's near-duplicates",
        opt=policy(needs(Scope.READ)),
        responses=responses(400, 401, 403, 404, 422, 503),
    )
    async def similar(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        enrichments: NamedDependency[Enrichments],
        max_distance: Annotated[
            int,
            QueryParameter(
                ge=0,
                le=MAX_DISTANCE,
                description=(
                    "The most bits of the 64-bit perceptual hash that may differ: 10 (the default) finds"
                    " a copy re-encoded, resized to 70% and cropped by 3%; 0 only the same picture"
                ),
            ),
        ] = DEFAULT_MAX_DISTANCE,
    ) -> SimilarPage:
        """Assets of the workspace whose picture (an image's preview, a video's poster) is within
        `max_distance` bits of this asset's, closest first, each with its `distance` and its
        summary as lists show it. Empty until the asset's `similar` step has run (`DAM_ENRICH`)."""
        found = await enrichments.similar(principal, parse_asset_id(asset_id), max_distance)
        return SimilarPage(items=found)
