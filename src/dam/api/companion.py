"""Companion-compatible routes: Uppy's ``@uppy/aws-s3`` with ``companionEndpoint`` and no glue.

The shapes are those of Companion's own S3 controller (``@uppy/companion``
``lib/server/controllers/s3.js``) as ``@uppy/aws-s3`` 6's ``CompanionS3`` client calls them; each
answers 200. A thin adapter over the same services as the asset routes: the first call creates the
asset, the object key is ours (``originals/{asset id}/{file name}``), ``complete`` is the asset's
completion and aborting deletes the asset.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import JSONBody, PathParameter, QueryParameter
from msgspec import Meta

from dam.api.access import policy
from dam.api.errors import responses
from dam.api.methods import UNSAFE
from dam.api.schemas import ETAG
from dam.domain.access import Principal, Scope, needs
from dam.domain.uploads import MAX_PARTS
from dam.services.assets import Assets
from dam.services.companion import CompanionUploads
from dam.services.uploads import PartDone

Key = Annotated[
    str, QueryParameter(min_length=1, max_length=1400, description="The object key `createMultipart` gave")
]
UploadId = Annotated[str, PathParameter(max_length=1024, description="The multipart upload's id")]
PartNumber = Annotated[
    str,
    PathParameter(
        description=f"1 to {MAX_PARTS}",
        schema_extra={"type": "integer", "minimum": 1, "maximum": MAX_PARTS},
    ),
]
_PART_NUMBER = re.compile(r"^[1-9][0-9]{0,4}$")
UPLOAD = policy(needs(Scope.UPLOAD, token=True))


def _op(name: str) -> Callable[..., str]:
    """Operation ids for both registrations: ``companionX`` under ``/s3``, ``tokenCompanionX``
    under ``/uploads/{token}/s3``."""

    def create(handler: Any, method: Any, components: list[Any]) -> str:
        under_token = bool(components) and components[0] == "uploads"
        return "token" + name[0].upper() + name[1:] if under_token else name

    return create


_METADATA = re.compile(r"^metadata\[(?P<name>[^\[\]]{1,128})\]$")


class Companion(msgspec.Struct, frozen=True):
    """The use cases these routes call, as one dependency."""

    uploads: CompanionUploads
    assets: Assets


class CreateMultipart(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /s3/multipart``: the file about to be uploaded in parts."""

    filename: Annotated[str, Meta(min_length=1, max_length=1024)]
    type: Annotated[str, Meta(max_length=255, examples=["video/mp4"])]
    metadata: dict[str, Any] | None = None


class MultipartCreated(msgspec.Struct, kw_only=True, rename="camel"):
    """The upload to send parts to."""

    key: str
    upload_id: str
    bucket: str


class SignedPart(msgspec.Struct, kw_only=True):
    """Where to PUT one part."""

    url: str
    expires: int


class SignedParts(msgspec.Struct, kw_only=True, rename="camel"):
    """Where to PUT each asked-for part, by part number."""

    presigned_urls: dict[str, str]


class ListedPart(msgspec.Struct, kw_only=True, rename="pascal"):
    """A part storage holds, as S3's ListParts names it."""

    part_number: int
    e_tag: str = msgspec.field(name="ETag")
    size: int


class PartSent(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, rename="pascal"):
    """A part as the client's PUT answered it."""

    part_number: Annotated[int, Meta(ge=1, le=MAX_PARTS)]
    e_tag: Annotated[str, Meta(pattern=ETAG)] = msgspec.field(name="ETag")


class CompleteMultipart(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /s3/multipart/{uploadId}/complete``: every part sent."""

    parts: Annotated[list[PartSent], Meta(min_length=1, max_length=MAX_PARTS)]


class MultipartCompleted(msgspec.Struct, kw_only=True):
    """The completed object; its asset is now processed."""

    location: str
    key: str
    bucket: str


class FormParams(msgspec.Struct, kw_only=True):
    """A POST-policy form: POST ``fields``, then the file, to ``url``."""

    method: Literal["POST"]
    url: str
    fields: dict[str, str]
    expires: int


class Aborted(msgspec.Struct):
    """Nothing: the upload and its asset are gone."""


class CompanionController(Controller):
    """Uppy's Companion S3 protocol (``companionEndpoint`` is the API's base URL)."""

    path = "/s3"
    tags = ("companion",)

    @get(
        "/params",
        operation_id=_op("companionSignForm"),
        summary="Create an asset and sign a POST-policy form for its file",
        responses=responses(400, 401, 403, 422, 429, 503),
        opt={UNSAFE: True, **UPLOAD},
    )
    async def params(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
        filename: Annotated[str, QueryParameter(min_length=1, max_length=1024)],
        type: Annotated[str, QueryParameter(max_length=255)],
    ) -> FormParams:
        """Create an asset and sign a POST-policy form for its file (`metadata[name]=value`
        parameters become its metadata). The asset completes by itself once the object lands."""
        form = await companion.uploads.create_form(principal, filename, type, _metadata_of(request))
        return FormParams(method="POST", url=form.post.url, fields=form.post.fields, expires=form.expires_in)

    @post(
        "/multipart",
        operation_id=_op("companionCreateMultipart"),
        opt=UPLOAD,
        summary="Create an asset with a multipart upload",
        status_code=200,
        responses=responses(400, 401, 403, 413, 415, 422, 429, 503),
    )
    async def create(
        self,
        data: JSONBody[CreateMultipart],
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> MultipartCreated:
        """Create an asset with a multipart upload; the client picks its part sizes."""
        asset = await companion.uploads.create_multipart(
            principal, data.filename, data.type, data.metadata or {}
        )
        assert asset.upload_id is not None
        return MultipartCreated(key=asset.storage_key, upload_id=asset.upload_id, bucket=_bucket(companion))

    @get(
        "/multipart/{upload_id:str}",
        operation_id=_op("companionListParts"),
        opt=UPLOAD,
        summary="List the parts storage holds",
        responses=responses(400, 401, 403, 404, 409, 503),
    )
    async def list_parts(
        self,
        upload_id: UploadId,
        key: Key,
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> list[ListedPart]:
        """The parts storage holds (for resuming)."""
        stored = await companion.uploads.stored_parts(principal, key, upload_id)
        return [ListedPart(part_number=p.number, e_tag=p.etag, size=p.size) for p in stored]

    @get(
        "/multipart/{upload_id:str}/batch",
        operation_id=_op("companionSignParts"),
        opt=UPLOAD,
        summary="Sign PUT URLs for several parts",
        responses=responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def sign_parts(
        self,
        upload_id: UploadId,
        key: Key,
        part_numbers: Annotated[
            str,
            QueryParameter(name="partNumbers", max_length=2000, description="Comma-separated part numbers"),
        ],
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> SignedParts:
        """PUT URLs for several parts at once (earlier Uppy versions ask this way)."""
        numbers = [_part_number(n) for n in part_numbers.split(",")]
        signed = await companion.uploads.sign_parts(principal, key, upload_id, numbers)
        return SignedParts(
            presigned_urls={str(n): put.url for n, put in zip(numbers, signed.puts, strict=True)}
        )

    @get(
        "/multipart/{upload_id:str}/{part_number:str}",
        operation_id=_op("companionSignPart"),
        opt=UPLOAD,
        summary="Sign a PUT URL for one part",
        responses=responses(400, 401, 403, 404, 409, 422, 503),
    )
    async def sign_part(
        self,
        upload_id: UploadId,
        part_number: PartNumber,
        key: Key,
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> SignedPart:
        """A PUT URL for one part, of any size the client chose (5 MiB at least, but for the last),
        up to the last part a file within the upload's limit can need; past it, or once storage
        holds more than the limit (an upload token's parts are listed on every signing), the
        upload is aborted and its asset fails (422)."""
        signed = await companion.uploads.sign_parts(principal, key, upload_id, [_part_number(part_number)])
        return SignedPart(url=signed.puts[0].url, expires=signed.expires_in)

    @post(
        "/multipart/{upload_id:str}/complete",
        operation_id=_op("companionCompleteMultipart"),
        opt=UPLOAD,
        summary="Complete the multipart upload",
        status_code=200,
        responses=responses(400, 401, 403, 404, 409, 413, 415, 422, 503),
    )
    async def complete(
        self,
        upload_id: UploadId,
        key: Key,
        data: JSONBody[CompleteMultipart],
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> MultipartCompleted:
        """Assemble the object and queue the asset's processing (as `completeUpload`)."""
        parts = [PartDone(number=p.part_number, etag=p.e_tag) for p in data.parts]
        done = await companion.uploads.complete(principal, key, upload_id, parts)
        location = companion.uploads.storage.presign_get(done.asset.storage_key).split("?", 1)[0]
        return MultipartCompleted(location=location, key=done.asset.storage_key, bucket=_bucket(companion))

    @delete(
        "/multipart/{upload_id:str}",
        operation_id=_op("companionAbortMultipart"),
        opt=UPLOAD,
        summary="Abort the upload and delete its asset",
        status_code=200,
        responses=responses(400, 401, 403, 404, 409, 503),
    )
    async def abort(
        self,
        upload_id: UploadId,
        key: Key,
        principal: NamedDependency[Principal],
        companion: NamedDependency[Companion],
    ) -> Aborted:
        """Give the upload up: its parts and its asset are deleted."""
        asset_id = await companion.uploads.abort(principal, key, upload_id)
        await companion.assets.delete(principal, asset_id)
        return Aborted()


def _bucket(companion: Companion) -> str:
    return companion.uploads.storage.bucket


def _part_number(value: str) -> int:
    if not _PART_NUMBER.fullmatch(value) or int(value) > MAX_PARTS:
        raise ValidationException(f"part numbers are integers from 1 to {MAX_PARTS}, not {value[:16]!r}")
    return int(value)


def _metadata_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """``metadata[name]=value`` query parameters, as Uppy sends a file's meta fields."""
    found = {}
    for name, value in request.query_params.items():
        if match := _METADATA.fullmatch(name):
            found[match["name"]] = value
    return found
