"""Assets as the services see them: the record, its renditions and steps, and what a read returns."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from dam.domain.access import Owner
from dam.domain.media import MediaInfo
from dam.domain.status import AssetStatus
from dam.domain.steps import StepState
from dam.domain.streaming import StreamLinks


class Asset(msgspec.Struct, frozen=True, kw_only=True):
    """One asset's record."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int | None
    sha256: str | None
    storage_key: str
    status: AssetStatus
    upload_id: str | None
    part_size: int | None
    part_checksums: bool
    etag: str | None
    stored_size: int | None
    error: str | None
    metadata: dict[str, Any]
    media: MediaInfo | None
    created_at: datetime
    updated_at: datetime
    uploaded_at: datetime | None
    workspace_id: uuid.UUID
    created_by: uuid.UUID | None = None
    created_by_key: uuid.UUID | None = None
    upload_token_id: uuid.UUID | None = None
    max_bytes: int | None = None  # a tighter limit than the deployment's (an upload token's)

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
    metadata: dict[str, Any]
    workspace_id: uuid.UUID
    created_by: uuid.UUID | None = None
    created_by_key: uuid.UUID | None = None
    upload_token_id: uuid.UUID | None = None
    max_bytes: int | None = None


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
    """What reading an asset returns: the record, renditions with URLs, steps, a download URL."""

    asset: Asset
    renditions: list[RenditionLink]
    steps: list[StepRecord]
    download_url: str | None  # the original, as an attachment
    media_url: str | None = None  # audio and video only: the original inline, for players
    stream: StreamLinks | None = None


class AssetPage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of assets, newest first, and the cursor of the next page."""

    items: list[AssetDetail]
    next_cursor: str | None
