"""Asset endpoints: validate, call the services, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromQuery, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from dam.api import schemas as s
from dam.api.access import policy, public_base
from dam.api.errors import responses
from dam.domain.access import Principal, Scope, needs
from dam.domain.assets import AssetDetail
from dam.domain.metadata import Edit, etag
from dam.domain.status import AssetStatus
from dam.domain.stream_access import viewer_of
from dam.domain.uploads import UploadInstructions
from dam.domain.validation import attachment, parse_asset_id
from dam.services.assets import Assets
from dam.services.edits import Edits
from dam.services.uploads import Draft, PartDone, Uploads


class Services(msgspec.Struct, frozen=True):
    """The use cases the asset routes call: one dependency (Litestar resolves several concurrently,
    in a task group: measurably slower per request than one)."""

    uploads: Uploads
    assets: Assets
    edits: Edits


Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size")]
# Parsed by the handler, so a malformed id is a 422 naming the problem (an unknown one is 404).
AssetId = Annotated[
    str, PathParameter(description="The asset's id (a UUID)", schema_extra={"format": "uuid"})
]

# What each kind of route can answer besides its success (all documented with the ErrorBody shape).
WITH_BODY = responses(400, 401, 403, 404, 409, 413, 415, 422, 503)
BY_ID = responses(400, 401, 403, 404, 422, 503)
READ = policy(needs(Scope.READ))
UPLOAD = policy(needs(Scope.UPLOAD))
EDIT = policy(needs(Scope.EDIT_OWN))
ETAG_HEADER = ResponseHeader(
    name="ETag",
    description='The asset\'s revision, quoted (`"4"`): send it in `If-Match` to edit only that revision',
    documentation_only=True,
)
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=1024,
        description=(
            'Apply the change only if the asset is still at this revision (its `ETag`, e.g. `"4"`); 412'
            " `precondition_failed` when it changed since. Without it the change applies."
        ),
    ),
]


def tagged(detail: AssetDetail, base: str) -> Response[s.AssetOut]:
    """An asset's answer with its revision as the ``ETag``."""
    return Response(s.asset_out(detail, base), headers={"ETag": etag(detail.asset.revision)})


class AssetController(Controller):
    """Metadata-first assets with presigned uploads."""

    path = "/assets"
    tags = ("assets",)

    @post(
        "/",
        operation_id="createAsset",
        responses=responses(400, 401, 403, 413, 415, 422, 503),
        status_code=HTTP_201_CREATED,
        summary="Create an asset and get its upload URL(s)",
        opt=UPLOAD,
    )
    async def create(
        self,
        data: JSONBody[s.CreateAsset],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> s.CreatedAsset:
        """Record the metadata; the client then uploads the bytes straight to storage with the
        presigned `upload` instructions (a single PUT, or multipart parts)."""
        asset, upload = await services.uploads.create(principal, Draft(**msgspec.structs.asdict(data)))
        return s.created_out(services.assets.new_detail(asset), upload)

    @post(
        "/{asset_id:str}/upload",
        operation_id="renewUpload",
        responses=WITH_BODY,
        status_code=200,
        summary="Re-issue upload URLs / resume multipart",
        opt=UPLOAD,
    )
    async def upload(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        data: JSONBody[s.RenewUpload | None] = None,
    ) -> UploadInstructions:
        """Fresh URLs for a pending asset; for multipart, the parts already stored and URLs for the
        rest (or for `part_numbers`). 409 unless the asset is `pending_upload`. The body is optional."""
        return await services.uploads.renew(
            principal,
            parse_asset_id(asset_id),
            data.part_numbers if data else None,
            data.part_checksums if data else None,
        )

    @post(
        "/{asset_id:str}/complete",
        operation_id="completeUpload",
        responses=WITH_BODY,
        status_code=HTTP_202_ACCEPTED,
        summary="Signal the upload is done",
        opt=UPLOAD,
    )
    async def complete(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
        data: JSONBody[s.CompleteUpload | None] = None,
    ) -> s.AssetOut:
        """Verify the stored object and queue processing. Idempotent, also for concurrent callers:
        each gets 202 and one job runs. The body is optional (multipart parts are then read from
        storage)."""
        parts = [PartDone(**msgspec.structs.asdict(p)) for p in data.parts] if data and data.parts else None
        completion = await services.uploads.complete(parse_asset_id(asset_id), parts, principal)
        detail = await services.assets.detail(completion.asset, viewer=viewer_of(principal))
        return s.asset_out(detail, public_base(request))

    @post(
        "/{asset_id:str}/reprocess",
        operation_id="reprocessAsset",
        responses=WITH_BODY,
        status_code=HTTP_202_ACCEPTED,
        summary="Run processing again",
        opt=EDIT,
    )
    async def reprocess(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
        data: JSONBody[s.ReprocessRequest | None] = None,
    ) -> s.AssetOut:
        """Re-run the named steps (default: all) for a `ready` or `failed` asset; 409 otherwise,
        422 for a step the asset does not have. The body is optional."""
        steps = data.steps if data else None
        detail = await services.assets.reprocess(principal, parse_asset_id(asset_id), steps)
        return s.asset_out(detail, public_base(request))

    @get(
        "/{asset_id:str}",
        operation_id="getAsset",
        responses=BY_ID,
        summary="Get an asset",
        opt=READ,
        response_headers=[ETAG_HEADER],
    )
    async def read(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
    ) -> Response[s.AssetOut]:
        """The asset, its media facts, steps, renditions, a presigned download URL and, for video
        and audio, its adaptive stream (the URLs carry a fresh token for the reader). The `ETag`
        is its revision, for a later `If-Match`."""
        detail = await services.assets.read(principal, parse_asset_id(asset_id))
        return tagged(detail, public_base(request))

    @patch(
        "/{asset_id:str}",
        operation_id="updateAsset",
        responses=responses(400, 401, 403, 404, 409, 412, 413, 415, 422, 503),
        summary="Edit an asset's title, description, tags and metadata",
        opt=EDIT,
        response_headers=[ETAG_HEADER],
    )
    async def update(
        self,
        asset_id: AssetId,
        data: JSONBody[s.PatchAsset],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
        if_match: IfMatch = None,
    ) -> Response[s.AssetOut]:
        """A JSON merge patch (RFC 7396; `Content-Type: application/merge-patch+json` or
        `application/json`): `title`, `description`, `tags` (replaces the list) and `metadata`
        (merged key by key; `null` removes a key). Contributors edit their own assets, editors any.
        Answers the asset and its new `ETag`; a patch that changes nothing keeps the revision. 409
        for a deleted asset."""
        edit = Edit(**msgspec.structs.asdict(data))
        asset = await services.edits.edit(principal, parse_asset_id(asset_id), edit, if_match)
        detail = await services.assets.detail(asset, viewer=viewer_of(principal))
        return tagged(detail, public_base(request))

    @get(
        "/",
        operation_id="listAssets",
        responses=responses(400, 401, 403, 422, 503),
        summary="List assets, newest first",
        opt=READ,
    )
    async def list_assets(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
        status: FromQuery[AssetStatus | None] = None,
        content_type: Annotated[
            str | None, QueryParameter(max_length=255, description="Exact type, or a family like image/*")
        ] = None,
        limit: Limit = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page")
        ] = None,
        sha256: Annotated[
            str | None,
            QueryParameter(max_length=64, pattern=s.SHA256_HEX, description="Declared SHA-256 (hex)"),
        ] = None,
    ) -> s.AssetPage:
        """Keyset-paginated: pass `next_cursor` back as `cursor` for the next page. Deleted assets
        are left out unless `status=deleted` is asked for."""
        page = await services.assets.page(
            principal, status=status, content_type=content_type, limit=limit, cursor=cursor, sha256=sha256
        )
        base = public_base(request)
        return s.AssetPage(items=[s.asset_out(d, base) for d in page.items], next_cursor=page.next_cursor)

    @delete(
        "/{asset_id:str}",
        operation_id="deleteAsset",
        responses=BY_ID,
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete an asset",
        opt=EDIT,
    )
    async def remove(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        permanent: Annotated[
            bool,
            QueryParameter(description="Delete for good at once, not to the trash (workspace admins)"),
        ] = False,
    ) -> None:
        """Move the asset to the trash: it leaves listings, search, collections, share links and
        streams, keeps its bytes, and `GET /assets/{id}` shows it `trashed` with `purge_at`, when it
        is deleted for good (`DAM_TRASH_DAYS` later). `POST /assets/{id}/restore` brings it back.
        With `permanent=true` (admins), or when `DAM_TRASH_DAYS` is 0, or for an upload whose bytes
        never arrived, the original and renditions leave storage at once and the asset is `deleted`.
        Idempotent: deleting a deleted (or trashing a trashed) asset is 204 again."""
        await services.assets.delete(principal, parse_asset_id(asset_id), permanent=permanent)

    @get(
        "/{asset_id:str}/xmp",
        operation_id="getAssetXmp",
        responses=BY_ID,
        summary="The asset's XMP sidecar",
        media_type="application/rdf+xml",
        opt=READ,
    )
    async def xmp(
        self, asset_id: AssetId, principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> Response[bytes]:
        """What Lightroom, Bridge, Capture One and exiftool read beside a file (`<name>.xmp`): the
        title, description, keywords (its tags), creator and rights (the metadata fields of those
        names, else what the file said), the capture facts (EXIF, TIFF) and the workspace's own
        metadata fields under the namespace `urn:x-dam:metadata:1.0/` (prefix `dam`)."""
        name, body = await services.assets.xmp(principal, parse_asset_id(asset_id))
        return Response(
            body,
            media_type="application/rdf+xml",
            headers={"Content-Disposition": attachment(name), "Cache-Control": "private, no-cache"},
        )

    @post(
        "/{asset_id:str}/restore",
        operation_id="restoreAsset",
        responses=WITH_BODY,
        status_code=HTTP_200_OK,
        summary="Bring an asset back from the trash",
        opt=EDIT,
    )
    async def restore(
        self,
        asset_id: AssetId,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        request: Request[Any, Any, Any],
    ) -> s.AssetOut:
        """The asset as it was before it was deleted: its tags, metadata, collections and the share
        links that have not expired come back with it (one deleted while it was being processed is
        processed again). 409 for an asset that is not in the trash (a purged one is `deleted`)."""
        detail = await services.assets.restore(principal, parse_asset_id(asset_id))
        return s.asset_out(detail, public_base(request))
