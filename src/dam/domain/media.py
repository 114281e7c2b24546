"""What the media steps find and make: typed facts for ``assets.media`` and rendition files."""

from __future__ import annotations

from typing import Literal

import msgspec

from dam.domain.errors import MediaRejected

__all__ = ["Camera", "MediaInfo", "MediaKind", "MediaRejected", "RenderedFile", "StreamInfo"]

MediaKind = Literal["image", "video", "audio"]
# An EXIF value as JSON can hold it: text, a number, or a list of them (rationals, versions). New
# facts hold flat lists; facts recorded before could nest one level, and must still decode.
ExifScalar = str | int | float
ExifValue = ExifScalar | list[ExifScalar | list[ExifScalar]]

_EXTENSIONS = {"image/webp": "webp", "image/png": "png", "application/json": "json", "image/jpeg": "jpg"}


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


class Camera(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Camera fields from a photo's EXIF data."""

    make: str | None = None
    model: str | None = None
    lens: str | None = None
    f_number: float | None = None
    exposure_time: float | None = None
    iso: int | None = None
    focal_length: float | None = None
    gps: dict[str, ExifValue] | None = None


class MediaInfo(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Media facts recorded on the asset."""

    kind: MediaKind
    format: str | None = None
    duration: float | None = None
    bit_rate: int | None = None
    width: int | None = None
    height: int | None = None
    streams: list[StreamInfo] = msgspec.field(default_factory=list)
    orientation: int | None = None
    color_mode: str | None = None
    camera: Camera | None = None
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
        return _EXTENSIONS[self.content_type]
