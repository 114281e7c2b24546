"""What the media steps find and make: typed facts for ``assets.media`` and rendition files."""

from __future__ import annotations

from typing import Literal

import msgspec

from dam.domain.errors import MediaRejected

__all__ = [
    "AudioTags",
    "Camera",
    "Description",
    "MediaInfo",
    "MediaKind",
    "MediaRejected",
    "RenderedFile",
    "StreamInfo",
]

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
    # As ffprobe states them (profile "High", level 40; bt709, smpte2084, progressive...).
    profile: str | None = None
    level: int | None = None
    bit_depth: int | None = None
    sample_aspect_ratio: str | None = None
    display_aspect_ratio: str | None = None
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_space: str | None = None
    color_range: str | None = None
    field_order: str | None = None
    frame_count: int | None = None
    channel_layout: str | None = None
    attached_pic: bool | None = None  # a cover picture, not a video


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


class Description(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a photo's IPTC/XMP says about it: what people search by."""

    keywords: list[str] | None = None
    caption: str | None = None
    creator: str | None = None
    copyright: str | None = None
    rating: int | None = None


class AudioTags(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Tags of an audio file (ID3, Vorbis comments, MP4 atoms), as ffprobe reads them."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    genre: str | None = None
    date: str | None = None
    track: str | None = None
    composer: str | None = None
    comment: str | None = None


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
    # Added by the real-world media work; every one optional, so facts recorded before still decode.
    media_type: str | None = None  # the media type the bytes are, when it differs from the declared one
    coded_width: int | None = None  # before rotation and the sample aspect ratio
    coded_height: int | None = None
    bit_depth: int | None = None
    icc_profile: str | None = None  # the embedded profile's description; renditions are sRGB
    animated: bool | None = None
    frame_count: int | None = None
    page_count: int | None = None
    hdr: str | None = None  # "PQ" (HDR10, smpte2084) or "HLG" (arib-std-b67)
    description: Description | None = None
    tags: AudioTags | None = None
    cover_art: bool | None = None


class RenderedFile(msgspec.Struct, kw_only=True):
    """A rendition's bytes, ready to upload."""

    kind: str
    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumbhash: bytes | None = None  # a thumbnail's placeholder (``media/thumbhash.py``)

    @property
    def extension(self) -> str:
        """File extension for the rendition's object key."""
        return _EXTENSIONS[self.content_type]
