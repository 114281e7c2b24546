"""Enrichment routes: an asset's near-duplicates (``GET /assets/{id}/similar``), its transcript as
captions (``GET /assets/{id}/transcript.vtt``) and people's answers to the models' tags
(``POST /assets/{id}/suggestions/{tag}/accept|reject``). What the models found for one asset is part
of ``GET /assets/{id}`` (``enrichment``)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK

from dam.api import schemas as s
from dam.api.access import policy, public_base
from dam.api.assets import AssetId, Services, tagged
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs
from dam.domain.enrichment import DEFAULT_MAX_DISTANCE, MAX_DISTANCE
from dam.domain.stream_access import viewer_of
from dam.domain.validation import parse_asset_id
from dam.services.enrichment import Enrichments, Groups, Near

SuggestedTag = Annotated[
    str,
    PathParameter(description="The model tag, in any case (percent-encoded)", min_length=1, max_length=100),
]


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

    @get(
        "/{asset_id:str}/transcript.vtt",
        operation_id="getTranscript",
        summary="What is said in an asset, as WebVTT captions",
        media_type="text/vtt",
        opt=policy(needs(Scope.READ)),
        responses=responses(400, 401, 403, 404, 422, 503),
    )
    async def transcript(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        enrichments: NamedDependency[Enrichments],
    ) -> Response[str]:
        """The segments the `speech` step heard (`DAM_ENRICH` names it), one cue each, for a
        player's `<track kind="captions">`. 404 while the asset has no transcript: the step has not
        run, failed, or heard no speech."""
        vtt = await enrichments.transcript(principal, parse_asset_id(asset_id))
        return Response(vtt, media_type="text/vtt", headers={"Cache-Control": "private, no-cache"})

    @post(
        "/{asset_id:str}/suggestions/{tag:str}/accept",
        operation_id="acceptSuggestion",
        summary="Accept a model's tag: it becomes one of the asset's tags",
        opt=policy(needs(Scope.EDIT_OWN)),
        responses=responses(400, 401, 403, 404, 409, 422, 503),
        status_code=HTTP_200_OK,
    )
    async def accept(
        self,
        asset_id: AssetId,
        tag: SuggestedTag,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
    ) -> Response[s.AssetOut]:
        """The model tag `tag` (any case) becomes one of the asset's tags (as the workspace writes
        it), and the answer is remembered. Contributors answer for their own assets, editors any.
        404 when no model suggested that tag for the asset."""
        return await _answer(services, principal, request, asset_id, tag, accept=True)

    @post(
        "/{asset_id:str}/suggestions/{tag:str}/reject",
        operation_id="rejectSuggestion",
        summary="Reject a model's tag: hidden, and kept hidden when the model runs again",
        opt=policy(needs(Scope.EDIT_OWN)),
        responses=responses(400, 401, 403, 404, 409, 422, 503),
        status_code=HTTP_200_OK,
    )
    async def reject(
        self,
        asset_id: AssetId,
        tag: SuggestedTag,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
    ) -> Response[s.AssetOut]:
        """The model tag `tag` is no longer searched nor offered, and stays so when the model runs
        again; the asset's own tags are left as they are. 404 when no model suggested it."""
        return await _answer(services, principal, request, asset_id, tag, accept=False)


async def _answer(
    services: Services,
    principal: Principal,
    request: Request[Any, Any, Any],
    asset_id: str,
    tag: str,
    *,
    accept: bool,
) -> Response[s.AssetOut]:
    asset = await services.edits.decide(principal, parse_asset_id(asset_id), tag, accept=accept)
    detail = await services.assets.detail(asset, viewer=viewer_of(principal))
    return tagged(detail, public_base(request))


@get(
    "/duplicates",
    operation_id="listDuplicates",
    summary="Groups of near-duplicates in the workspace",
    tags=["enrichment"],
    opt=policy(needs(Scope.READ)),
    responses=responses(400, 401, 403, 422, 503),
)
async def duplicates(
    principal: NamedDependency[Principal],
    enrichments: NamedDependency[Enrichments],
    cursor: Annotated[
        str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=100, description="Groups per page, at most")] = 20,
) -> Groups:
    """Near-duplicates (within 10 bits, as `GET /assets/{id}/similar` by default), grouped: each
    group under its oldest asset (distance 0), then the others closest first; oldest groups first,
    each group once. A page looks at 200 assets at most: it may hold fewer groups than `limit`, even
    none, and still have a `next_cursor`; follow it until it is `null`."""
    return await enrichments.duplicates(principal, cursor, limit)
