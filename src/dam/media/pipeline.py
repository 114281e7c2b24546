"""One media step per family: bytes in (a seekable file object), facts and renditions out."""

from __future__ import annotations

from typing import IO

from dam.domain.media import MediaRejected, MediaResult
from dam.media import audio, images, probe


def family(content_type: str) -> str:
    """image, video or audio, from the declared content type."""
    kind = content_type.split("/", 1)[0]
    if kind not in {"image", "video", "audio"}:
        raise MediaRejected(f"no processing for content type {content_type!r}")
    return kind


def analyse(fp: IO[bytes], content_type: str, *, max_pixels: int = images.MAX_PIXELS) -> MediaResult:
    """Probe and render according to the declared type; MediaRejected when the bytes disagree."""
    kind = family(content_type)
    if kind == "image":
        info, renditions = images.render_image(fp, max_pixels=max_pixels)
        return MediaResult(info=info, renditions=renditions)
    with probe.open_media(fp) as container:
        info = probe.probe(container, kind)
        if kind == "audio":
            return MediaResult(info=info, renditions=audio.waveform(container))
        poster = probe.poster_frame(container, info)
    poster.thumbnail((1920, 1920))
    preview = poster.copy()
    preview.thumbnail((images.PREVIEW, images.PREVIEW))
    thumbnail = preview.copy()
    thumbnail.thumbnail((images.THUMBNAIL, images.THUMBNAIL))
    renditions = [
        images.webp("poster", poster),
        images.webp("preview", preview),
        images.webp("thumbnail", thumbnail),
    ]
    return MediaResult(info=info, renditions=renditions)
