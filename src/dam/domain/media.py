"""What the media step finds and makes: facts for ``assets.media`` and rendition files."""

from __future__ import annotations

from typing import Any

import msgspec

from dam.domain.errors import DamError


class MediaRejected(DamError):
    """The bytes are not usable media of the declared kind; retrying cannot help."""

    status_code = 422
    code = "media_rejected"


class StreamInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One stream of a container."""

    index: int
    type: str
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    rotation: int | None = None
    pixel_format: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    bit_rate: int | None = None
    duration: float | None = None


class MediaInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Media facts recorded on the asset."""

    kind: str  # image | video | audio
    format: str | None = None
    duration: float | None = None
    bit_rate: int | None = None
    width: int | None = None
    height: int | None = None
    streams: list[StreamInfo] = msgspec.field(default_factory=list)
    orientation: int | None = None
    color_mode: str | None = None
    camera: dict[str, Any] = msgspec.field(default_factory=dict)
    captured_at: str | None = None
    bytes_read: int | None = None


class RenderedFile(msgspec.Struct, kw_only=True):
    """A rendition's bytes, ready to upload."""

    kind: str
    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None

    @property
    def extension(self) -> str:
        """File extension for the rendition's object key."""
        return {"image/webp": "webp", "image/png": "png", "application/json": "json", "image/jpeg": "jpg"}[
            self.content_type
        ]


class MediaResult(msgspec.Struct, kw_only=True):
    """Everything one media step produced."""

    info: MediaInfo
    renditions: list[RenderedFile]
