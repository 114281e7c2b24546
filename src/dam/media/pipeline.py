"""The media work of each step: a seekable file object in, facts or rendition files out.

Each function is synchronous (the worker runs it in a thread) and touches no database, storage or
event loop. Rendering steps are generators: each rendition is yielded as soon as it is encoded, so
the worker stores it before the next one is made.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import IO

import msgspec
from PIL import Image

from dam.domain.media import MediaInfo, MediaKind, MediaRejected, RenderedFile
from dam.media import audio, images, probe

POSTER_MAX = 1920


def family(content_type: str) -> MediaKind:
    """image, video or audio, from the declared content type."""
    kind = content_type.split("/", 1)[0]
    if kind == "image":
        return "image"
    if kind == "video":
        return "video"
    if kind == "audio":
        return "audio"
    raise MediaRejected(f"no processing for content type {content_type!r}")


def probe_media(fp: IO[bytes], content_type: str, *, max_pixels: int = images.MAX_PIXELS) -> MediaInfo:
    """The ``probe`` step: facts of the declared kind; MediaRejected when the bytes disagree."""
    kind = family(content_type)
    if kind == "image":
        return images.image_facts(fp, max_pixels=max_pixels)
    with probe.open_media(fp) as container:
        return probe.probe(container, kind)


def stills(fp: IO[bytes], *, max_pixels: int = images.MAX_PIXELS) -> Generator[RenderedFile, None, None]:
    """The ``stills`` step (images): preview and thumbnail."""
    yield from images.stills(fp, max_pixels=max_pixels)


def poster(fp: IO[bytes], info: MediaInfo) -> Generator[RenderedFile, None, MediaInfo]:
    """The ``poster`` step (video): poster, preview and thumbnail from a keyframe at ~10%.

    Returns the facts corrected by what the decoded frame tells (rotation from the display matrix,
    displayed width and height).
    """
    facts = msgspec.structs.replace(info, streams=[msgspec.structs.replace(s) for s in info.streams])
    with probe.open_media(fp) as container:
        frame: Image.Image = probe.poster_frame(container, facts)
    frame.thumbnail((POSTER_MAX, POSTER_MAX))
    yield images.webp("poster", frame)
    preview = frame.copy()
    preview.thumbnail((images.PREVIEW, images.PREVIEW))
    yield images.webp("preview", preview)
    thumbnail = preview.copy()
    thumbnail.thumbnail((images.THUMBNAIL, images.THUMBNAIL))
    yield images.webp("thumbnail", thumbnail)
    return facts


def waveform(fp: IO[bytes]) -> Generator[RenderedFile, None, None]:
    """The ``waveform`` step (audio): the waveform picture and the peaks JSON."""
    with probe.open_media(fp) as container:
        yield from audio.waveform(container)
