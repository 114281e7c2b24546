"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from dam.domain import tags as tag_rules
from dam.domain.assets import AssetDetail, AssetFields, Thumbhash, public_values
from dam.domain.metadata import MAX_DESCRIPTION, MAX_TITLE
from dam.domain.steps import StepState
from dam.domain.streaming import StreamLinks
from dam.domain.uploads import MAX_PARTS, UploadInstructions

PartNumber = Annotated[int, Meta(ge=1, le=MAX_PARTS)]
# Patterns end in ``(?!\n)$``: Python's ``$`` (msgspec's, Litestar's) also matches before a final
# newline, which would let "<64 hex>\n" through; the lookahead means the same in JSON Schema.
SHA256_BASE64 = r"^[A-Za-z0-9+/]{43}=(?!\n)$"
SHA256_HEX = r"^[0-9a-fA-F]{64}(?!\n)$"
ETAG = r"^[\x21-\x7e]{1,256}(?!\n)$"


Metadata = Annotated[
    dict[str, Any],
    Meta(
        description=(
            "Custom metadata: any JSON object of at most 64 KiB and 8 levels, no NUL character, top-level"
            " keys of 1 to 64 of `A-Z a-z 0-9 _ . -` (422 naming the rule otherwise)"
        ),
        examples=[{"album": "Lisbon", "client": {"name": "Tram Co", "job": 4412}}],
    ),
]
Title = Annotated[
    str,
    Meta(
        description=f"A title, at most {MAX_TITLE} characters (422 otherwise)",
        extra_json_schema={"maxLength": MAX_TITLE},
        examples=["Tram 28 at dusk"],
    ),
]
Description = Annotated[
    str,
    Meta(
        description=f"A description, at most {MAX_DESCRIPTION:,} characters (422 otherwise)",
        extra_json_schema={"maxLength": MAX_DESCRIPTION},
    ),
]
TagName = Annotated[
    str,
    Meta(
        description=(
            f"A tag: trimmed, 1 to {tag_rules.MAX_LENGTH} characters, no control characters; matched"
            " case-insensitively and named as the workspace first wrote it"
        ),
        extra_json_schema={"minLength": 1, "maxLength": tag_rules.MAX_LENGTH},
        examples=["Lisbon"],
    ),
]
TagList = Annotated[
    list[TagName],
    Meta(
        description=(
            f"Tags, at most {tag_rules.MAX_PER_ASSET} (case-insensitive repeats collapse to the first"
            " written)"
        ),
        extra_json_schema={"maxItems": tag_rules.MAX_PER_ASSET},
        examples=[["Lisbon", "trams"]],
    ),
]


class CreateAsset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets``: the metadata of a file about to be uploaded."""

    filename: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=1024,
            description=(
                "Original file name, kept exactly as given or refused (422): at most 255 bytes of UTF-8,"
                " no leading or trailing whitespace, no path separators or look-alikes of them or of"
                " dots, no control characters, not `.` or `..`"
            ),
            examples=["holiday 2026.jpg"],
        ),
    ]
    content_type: Annotated[
        str,
        Meta(
            max_length=255,
            description="Media type, ASCII, no parameters; outside DAM_ALLOWED_CONTENT_TYPES it is 422",
            examples=["image/jpeg"],
            extra_json_schema={
                "pattern": r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?!\n)$"
            },
        ),
    ]
    size: Annotated[int, Meta(ge=0, description="Size in bytes; signed into the upload URL")] | None = None
    sha256: (
        Annotated[
            str,
            Meta(
                description="Hex SHA-256 of the bytes; storage verifies it (422 unless 64 hex digits)",
                extra_json_schema={"pattern": SHA256_HEX},
            ),
        ]
        | None
    ) = None
    metadata: Metadata | None = None
    title: Title | None = None
    description: Description | None = None
    tags: TagList | None = None
    multipart: bool = False
    part_checksums: Annotated[
        bool, Meta(description="Multipart only: the client signs each part's SHA-256 and storage verifies it")
    ] = False


class PatchAsset(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /assets/{id}``: a JSON merge patch (RFC 7396) of the asset's editable fields. A field
    left out stays as it is; ``null`` removes it (the title, the description, every tag, all
    metadata). ``tags`` replaces the list; ``metadata`` is merged key by key (``null`` removes a
    key, objects merge recursively)."""

    title: Title | UnsetType | None = UNSET
    description: Description | UnsetType | None = UNSET
    tags: TagList | UnsetType | None = UNSET
    metadata: (
        Annotated[
            dict[str, Any],
            Meta(
                description="Merged into the asset's metadata key by key (`null` removes a key); the result"
                " keeps the rules of `metadata` (64 KiB, 8 levels, no NUL, key names)",
                examples=[{"album": "Lisbon 2026", "draft": None}],
            ),
        ]
        | UnsetType
        | None
    ) = UNSET


class TagOut(msgspec.Struct, kw_only=True):
    """A tag of the workspace, as first written, and how many of its assets carry it."""

    name: str
    count: int


class TagPage(msgspec.Struct, kw_only=True):
    """``GET /tags``: the workspace's tags, most used first."""

    items: list[TagOut]


class RenameTag(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``PATCH /tags/{name}``: its new name (the name of another tag merges the two)."""

    name: TagName


class RenewUpload(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets/{id}/upload``: optionally, which multipart parts to presign."""

    part_numbers: Annotated[list[PartNumber], Meta(max_length=MAX_PARTS)] | None = None
    part_checksums: (
        Annotated[
            dict[str, Annotated[str, Meta(pattern=SHA256_BASE64)]],
            Meta(max_length=MAX_PARTS, description="Part number -> base64 SHA-256 of the part"),
        ]
        | None
    ) = None


class CompletedPart(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One uploaded part, as storage answered the part's PUT."""

    number: PartNumber
    etag: Annotated[str, Meta(pattern=ETAG, description="The part's ETag, as storage gave it")]
    checksum_sha256: Annotated[str, Meta(pattern=SHA256_BASE64)] | None = None


class CompleteUpload(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets/{id}/complete``: for multipart, the parts (read from storage when omitted)."""

    parts: Annotated[list[CompletedPart], Meta(max_length=MAX_PARTS)] | None = None


class ReprocessRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``POST /assets/{id}/reprocess``: which steps to run again (default: all)."""

    steps: Annotated[list[Annotated[str, Meta(max_length=64)]], Meta(max_length=32)] | None = None


class RenditionOut(msgspec.Struct, kw_only=True):
    """A derived file (thumbnail, preview, poster...), with a presigned URL."""

    kind: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int | None
    url: str


class StepOut(msgspec.Struct, kw_only=True):
    """One processing step of the asset."""

    name: str
    state: StepState
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    retries: int = 0
    """Attempts cut short by an unavailable dependency (storage, database, Redis); not counted in
    ``attempts``. While ``retrying_since`` is set the step waits for its next retry."""
    last_fault: str | None = None
    retrying_since: datetime | None = None
    progress: float | None = None
    """How far a long step is, 0 to 1 (the ladder, chunk by chunk)."""


class VariantOut(msgspec.Struct, kw_only=True):
    """One rung of the stream (audio-only streams have one variant without a size)."""

    width: int | None
    height: int | None
    bandwidth: int
    codecs: str


class StreamOut(msgspec.Struct, kw_only=True):
    """The asset's adaptive stream (video and audio assets). The URLs carry a token that lets the
    reader's player fetch it until it expires (reading the asset again gives a fresh one); they are
    null until the stream is ready."""

    status: Literal["pending", "processing", "ready", "failed"]
    progress: float
    hls_url: str | None
    dash_url: str | None
    variants: list[VariantOut]
    storyboard_url: str | None


class EnrichmentOut(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of enrichment of an asset: its step's state, the model that ran, what it found
    (``null`` until it has run) and, when it failed, why."""

    state: StepState
    model: str | None
    model_version: str | None
    result: dict[str, Any] | None
    error: str | None = None


class AssetOut(AssetFields, frozen=True, kw_only=True):
    """An asset as clients see it."""

    # The asset's own fields come from ``AssetFields`` (declared once, in the domain); the API
    # names the storage key ``storage_path`` (the field keeps its place).
    storage_key: str = msgspec.field(name="storage_path")
    renditions: list[RenditionOut]
    download_url: str | None
    steps: list[StepOut]
    stream: StreamOut | None = None
    media_url: str | None = None
    thumbhash: Thumbhash | None = None
    # ``GET /assets/{id}`` only: each kind of enrichment planned for the asset, by kind.
    enrichment: dict[str, EnrichmentOut] | None = None


class CreatedAsset(AssetOut, frozen=True, kw_only=True):
    """``POST /assets`` answer: the asset and how to upload its bytes."""

    upload: UploadInstructions


class AssetPage(msgspec.Struct, kw_only=True):
    """One page of ``GET /assets``."""

    items: list[AssetOut]
    next_cursor: str | None


class Health(msgspec.Struct, kw_only=True):
    """Liveness."""

    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct, kw_only=True):
    """Readiness: each dependency's state, and which ones fail."""

    status: Literal["ok", "unavailable"]
    checks: dict[str, str]
    failing: list[str]


class ErrorBody(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Every error answer: the HTTP status, what went wrong, a stable code, and for invalid
    requests the fields at fault."""

    status_code: int
    detail: str
    error: str
    extra: list[dict[str, Any]] | None = None


def stream_out(links: StreamLinks | None, base: str) -> StreamOut | None:
    """The ``stream`` of an asset, its paths made URLs under the API's ``base``."""
    if links is None:
        return None
    return StreamOut(
        status=links.status, progress=round(links.progress, 4),
        hls_url=base + links.hls_path if links.hls_path else None,
        dash_url=base + links.dash_path if links.dash_path else None,
        storyboard_url=base + links.storyboard_path if links.storyboard_path else None,
        variants=[VariantOut(**msgspec.structs.asdict(v)) for v in links.variants],
    )  # fmt: skip


def asset_out(detail: AssetDetail, base: str = "") -> AssetOut:
    """The API's shape of an asset read by the services (stream URLs under ``base``)."""
    return AssetOut(
        **public_values(detail.asset),
        renditions=[RenditionOut(**msgspec.structs.asdict(r)) for r in detail.renditions],
        download_url=detail.download_url,
        media_url=detail.media_url,
        steps=[
            StepOut(name=s.name, state=s.state, attempts=s.attempts, started_at=s.started_at,
                    finished_at=s.finished_at, error=s.error, retries=s.retries,
                    last_fault=s.last_fault, retrying_since=s.retrying_since, progress=s.progress)
            for s in detail.steps
        ],
        stream=stream_out(detail.stream, base),
        thumbhash=detail.thumbhash,
        enrichment=None if detail.enrichment is None else {
            e.kind: EnrichmentOut(state=StepState(e.state), model=e.model, model_version=e.model_version,
                                  result=e.result, error=e.error)
            for e in detail.enrichment
        },
    )  # fmt: skip


def created_out(detail: AssetDetail, upload: UploadInstructions) -> CreatedAsset:
    """``POST /assets``'s answer."""
    return CreatedAsset(**msgspec.structs.asdict(asset_out(detail)), upload=upload)
