"""Asset endpoints: validate, call the services, shape the answer."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from dam.api import schemas as s
from dam.api.errors import ERROR_RESPONSES
from dam.domain.status import AssetStatus
from dam.domain.uploads import UploadInstructions
from dam.domain.validation import parse_asset_id
from dam.services.assets import Assets
from dam.services.uploads import Draft, PartDone, Uploads


class Services(msgspec.Struct, frozen=True):
    """The use cases the asset routes call: one dependency (Litestar resolves several concurrently,
    in a task group: measurably slower per request than one)."""

    uploads: Uploads
    assets: Assets


Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size")]


class AssetController(Controller):
    """Metadata-first assets with presigned uploads."""

    path = "/assets"
    tags = ("assets",)

    @post(
        "/",
        responses=ERROR_RESPONSES,
        status_code=HTTP_201_CREATED,
        summary="Create an asset and get its upload URL(s)",
    )
    async def create(
        self,
        data: JSONBody[s.CreateAsset],
        services: NamedDependency[Services],
    ) -> s.CreatedAsset:
        """Record the metadata; the client then uploads the bytes straight to storage."""
        asset, upload = await services.uploads.create(Draft(**msgspec.structs.asdict(data)))
        return s.created_out(services.assets.new_detail(asset), upload)

    @post(
        "/{asset_id:str}/upload",
        responses=ERROR_RESPONSES,
        status_code=200,
        summary="Re-issue upload URLs / resume multipart",
    )
    async def upload(
        self,
        asset_id: FromPath[str],
        services: NamedDependency[Services],
        data: JSONBody[s.RenewUpload | None] = None,
    ) -> UploadInstructions:
        """Fresh URLs for a pending asset; for multipart, the parts already stored and URLs for the rest."""
        return await services.uploads.renew(
            parse_asset_id(asset_id),
            data.part_numbers if data else None,
            data.part_checksums if data else None,
        )

    @post(
        "/{asset_id:str}/complete",
        responses=ERROR_RESPONSES,
        status_code=HTTP_202_ACCEPTED,
        summary="Signal the upload is done",
    )
    async def complete(
        self,
        asset_id: FromPath[str],
        services: NamedDependency[Services],
        data: JSONBody[s.CompleteUpload | None] = None,
    ) -> s.AssetOut:
        """Verify the stored object and queue processing (idempotent)."""
        parts = [PartDone(**msgspec.structs.asdict(p)) for p in data.parts] if data and data.parts else None
        completion = await services.uploads.complete(parse_asset_id(asset_id), parts)
        return s.asset_out(await services.assets.detail(completion.asset))

    @post(
        "/{asset_id:str}/reprocess",
        responses=ERROR_RESPONSES,
        status_code=HTTP_202_ACCEPTED,
        summary="Run processing again",
    )
    async def reprocess(
        self,
        asset_id: FromPath[str],
        services: NamedDependency[Services],
        data: JSONBody[s.ReprocessRequest | None] = None,
    ) -> s.AssetOut:
        """Re-run the named steps (default: all) for a ready or failed asset."""
        steps = data.steps if data else None
        return s.asset_out(await services.assets.reprocess(parse_asset_id(asset_id), steps))

    @get("/{asset_id:str}", responses=ERROR_RESPONSES, summary="Get an asset")
    async def read(self, asset_id: FromPath[str], services: NamedDependency[Services]) -> s.AssetOut:
        """The asset, its media facts, steps, renditions and a presigned download URL."""
        return s.asset_out(await services.assets.read(parse_asset_id(asset_id)))

    @get("/", responses=ERROR_RESPONSES, summary="List assets, newest first")
    async def list_assets(
        self,
        services: NamedDependency[Services],
        status: FromQuery[AssetStatus | None] = None,
        content_type: Annotated[
            str | None, QueryParameter(max_length=255, description="Exact type, or a family like image/*")
        ] = None,
        limit: Limit = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        sha256: Annotated[str | None, QueryParameter(max_length=64, description="Declared SHA-256")] = None,
    ) -> s.AssetPage:
        """Keyset-paginated: pass ``next_cursor`` back as ``cursor`` for the next page."""
        page = await services.assets.page(
            status=status, content_type=content_type, limit=limit, cursor=cursor, sha256=sha256
        )
        return s.AssetPage(items=[s.asset_out(d) for d in page.items], next_cursor=page.next_cursor)

    @delete(
        "/{asset_id:str}",
        responses=ERROR_RESPONSES,
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete an asset",
    )
    async def remove(self, asset_id: FromPath[str], services: NamedDependency[Services]) -> Response[None]:
        """Delete the original and renditions from storage and mark the asset deleted."""
        await services.assets.delete(parse_asset_id(asset_id))
        return Response(None, status_code=HTTP_204_NO_CONTENT)
