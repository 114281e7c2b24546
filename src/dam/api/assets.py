"""Asset endpoints: validate, call the ingest service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from dam.api import schemas as s
from dam.domain.status import AssetStatus
from dam.domain.validation import parse_asset_id
from dam.ingest import Ingest

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size")]


class AssetController(Controller):
    """Metadata-first assets with presigned uploads."""

    path = "/assets"
    tags = ("assets",)

    @post("/", status_code=HTTP_201_CREATED, summary="Create an asset and get its upload URL(s)")
    async def create(self, data: JSONBody[s.CreateAsset], ingest: NamedDependency[Ingest]) -> s.CreatedAsset:
        """Record the metadata; the client then uploads the bytes straight to storage."""
        return await ingest.create(data)

    @post("/{asset_id:str}/upload", status_code=200, summary="Re-issue upload URLs / resume multipart")
    async def upload(
        self,
        asset_id: FromPath[str],
        ingest: NamedDependency[Ingest],
        data: JSONBody[s.RenewUpload | None] = None,
    ) -> s.UploadInstructions:
        """Fresh URLs for a pending asset; for multipart, the parts already stored and URLs for the rest."""
        return await ingest.renew_upload(parse_asset_id(asset_id), data)

    @post("/{asset_id:str}/complete", status_code=HTTP_202_ACCEPTED, summary="Signal the upload is done")
    async def complete(
        self,
        asset_id: FromPath[str],
        ingest: NamedDependency[Ingest],
        data: JSONBody[s.CompleteUpload | None] = None,
    ) -> s.AssetOut:
        """Verify the stored object and queue processing (idempotent)."""
        return await ingest.complete(parse_asset_id(asset_id), data)

    @post("/{asset_id:str}/reprocess", status_code=HTTP_202_ACCEPTED, summary="Run processing again")
    async def reprocess(self, asset_id: FromPath[str], ingest: NamedDependency[Ingest]) -> s.AssetOut:
        """Re-run the pipeline for a ready or failed asset."""
        return await ingest.reprocess(parse_asset_id(asset_id))

    @get("/{asset_id:str}", summary="Get an asset")
    async def read(self, asset_id: FromPath[str], ingest: NamedDependency[Ingest]) -> s.AssetOut:
        """The asset, its media facts, renditions and a presigned download URL."""
        return await ingest.read(parse_asset_id(asset_id))

    @get("/", summary="List assets, newest first")
    async def list_assets(
        self,
        ingest: NamedDependency[Ingest],
        status: FromQuery[AssetStatus | None] = None,
        content_type: Annotated[
            str | None, QueryParameter(max_length=255, description="Exact type, or a family like image/*")
        ] = None,
        limit: Limit = 50,
        cursor: Annotated[str | None, QueryParameter(max_length=512)] = None,
        sha256: Annotated[str | None, QueryParameter(max_length=64, description="Declared SHA-256")] = None,
    ) -> s.AssetPage:
        """Keyset-paginated: pass ``next_cursor`` back as ``cursor`` for the next page."""
        return await ingest.page(
            status=status, content_type=content_type, limit=limit, cursor=cursor, sha256=sha256
        )

    @delete("/{asset_id:str}", status_code=HTTP_204_NO_CONTENT, summary="Delete an asset")
    async def remove(self, asset_id: FromPath[str], ingest: NamedDependency[Ingest]) -> Response[None]:
        """Delete the original and renditions from storage and mark the asset deleted."""
        await ingest.delete(parse_asset_id(asset_id))
        return Response(None, status_code=HTTP_204_NO_CONTENT)
