"""Assets as the services see them: the record, its renditions and steps, and what a read returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from dam.domain.access import Owner
from dam.domain.enrichment import Enrichment
from dam.domain.media import MediaInfo
from dam.domain.metadata import Metadata
from dam.domain.status import AssetStatus
from dam.domain.steps import StepState
from dam.domain.streaming import StreamLinks

Thumbhash = Annotated[
    bytes,
    msgspec.Meta(
        description=(
            "The thumbnail's ThumbHash (https://evanw.github.io/thumbhash/), base64: a placeholder to"
            " draw until the thumbnail loads; null when there is no thumbnail to show"
        ),
        extra_json_schema={"contentEncoding": "base64", "examples": ["G0kKTYqGh4dwd3eId3d4h3eAdweH"]},
    ),
]


class AssetFields(msgspec.Struct, frozen=True, kw_only=True):
    """The fields of an asset that clients see: declared once, here. ``Asset`` adds what only the
    service uses; the database column list (``db/assets.py``) and the API's ``AssetOut`` (which
    names ``storage_key`` ``storage_path``) are derived from these classes, so adding a field is
    this declaration and its migration."""

    id: uuid.UUID
    status: AssetStatus
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    storage_key: str
    metadata: Metadata  # custom metadata: see ``domain/metadata.py`` for how it is typed
    title: str | None
    description: str | None
    tags: list[str]  # names as the workspace writes them (``domain/tags.py``), in the asset's order
    revision: int  # grows with every change of the title, description, tags or metadata (the ETag)
    media: MediaInfo | None
    error: str | None
    etag: str | None
    stored_size: int | None
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None
    # In the trash (status ``trashed``): when, by whom (the user, or whose key it was; null for the system),
    # and when it is purged for good.
    trashed_at: datetime | None = None
    trashed_by: uuid.UUID | None = None
    purge_at: datetime | None = None


PUBLIC_FIELDS = tuple(f.name for f in msgspec.structs.fields(AssetFields))


def public_values(asset: AssetFields) -> dict[str, Any]:
    """The public fields of an asset, by name (to build another struct that shares them)."""
    return {name: getattr(asset, name) for name in PUBLIC_FIELDS}


class Asset(AssetFields, frozen=True, kw_only=True):
    """One asset's record: what clients see, and what only the service uses."""

    upload_id: str | None
    part_size: int | None
    part_checksums: bool
    workspace_id: uuid.UUID
    created_by: uuid.UUID | None = None
    created_by_key: uuid.UUID | None = None
    upload_token_id: uuid.UUID | None = None
    max_bytes: int | None = None  # a tighter limit than the deployment's (an upload token's)
    # The thumbnail's ThumbHash: shown beside its URL (summaries, details), never on its own.
    thumbhash: bytes | None = None
    trashed_from: AssetStatus | None = None  # the status a restore brings it back to

    @property
    def owner(self) -> Owner:
        """Who created it."""
        return Owner(user_id=self.created_by, key_id=self.created_by_key, token_id=self.upload_token_id)


class NewAsset(msgspec.Struct, frozen=True, kw_only=True):
    """What creating an asset records."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    storage_key: str
    upload_id: str | None
    part_size: int | None
    part_checksums: bool
    metadata: Metadata
    workspace_id: uuid.UUID
    created_by: uuid.UUID | None = None
    created_by_key: uuid.UUID | None = None
    upload_token_id: uuid.UUID | None = None
    max_bytes: int | None = None
    title: str | None = None
    description: str | None = None
    tags: list[str] = msgspec.field(default_factory=list)  # as the workspace writes them


class Rendition(msgspec.Struct, frozen=True, kw_only=True):
    """A derived file a step stored (thumbnail, preview, poster, waveform...)."""

    kind: str
    storage_key: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int | None


class StoredRendition(Rendition, frozen=True, kw_only=True):
    """A rendition's record, with its asset."""

    asset_id: uuid.UUID
    created_at: datetime


class StepRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One step of one asset: where it stands and what it made."""

    asset_id: uuid.UUID
    name: str
    state: StepState
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    outputs: list[Rendition]
    retries: int = 0  # attempts cut short by an unavailable dependency (they do not count as attempts)
    last_fault: str | None = None  # the last such fault
    retrying_since: datetime | None = None  # when the current run of retries began
    progress: float | None = None  # how far a long step is, 0-1 (the ladder, chunk by chunk)


class RenditionLink(msgspec.Struct, frozen=True, kw_only=True):
    """A rendition with a presigned URL."""

    kind: str
    content_type: str
    width: int | None
    height: int | None
    bytes: int | None
    url: str


class AssetDetail(msgspec.Struct, frozen=True, kw_only=True):
    """What reading an asset returns: the record, renditions with URLs, steps, a download URL
    (under its reader's ``Audience``: what it hides is empty)."""

    asset: Asset
    renditions: list[RenditionLink]
    steps: list[StepRecord]
    download_url: str | None  # the original, as an attachment
    media_url: str | None = None  # audio and video only: the original inline, for players
    stream: StreamLinks | None = None
    kind: str | None = None  # the media kind (image, video, audio...), shown even when facts are hidden
    thumbhash: Thumbhash | None = None  # when the thumbnail is among the renditions
    # What enrichment found, kind by kind: read for one asset's own page only (None in lists).
    enrichment: list[Enrichment] | None = None


class AssetSummary(msgspec.Struct, frozen=True, kw_only=True):
    """An asset in a list of results (search, a collection): enough to show a tile and open it."""

    id: uuid.UUID
    status: AssetStatus
    filename: str
    content_type: str
    size: int | None  # as stored, or as declared until it is
    kind: str | None
    thumbnail_url: str | None
    created_at: datetime
    # As displayed (after rotation), when processing measured them: what a grid lays tiles out by.
    width: int | None = None
    height: int | None = None
    thumbhash: Thumbhash | None = None  # present when ``thumbnail_url`` is


class Audience(msgspec.Struct, frozen=True, kw_only=True):
    """Who reads assets and under which rules: the presenter (``services/present.py``) shows
    every asset to an audience the same way, a member of the workspace (the defaults) or a
    share link's visitor (``domain/shares.audience_of``)."""

    viewer: str = "-"  # whom stream tokens name
    until: datetime | None = None  # every URL expires by then (a share link's expiry)
    kinds: frozenset[str] | None = None  # the rendition kinds shown (None: all)
    download: bool = True  # the original as an attachment
    steps: bool = True  # the processing steps
    metadata: bool = True  # custom metadata and media facts


MEMBER = Audience()
"""A member of the asset's workspace with no stream viewer (``viewer_of`` names one)."""


class AssetPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of assets, newest first, and the cursor of the next page."""

    items: list[AssetDetail]
    next_cursor: str | None
