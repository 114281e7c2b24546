"""The media work of each step: a seekable file object in, facts or rendition files out.

Each function is synchronous (the worker runs it in a thread) and touches no database, storage or
event loop. Rendering steps are generators: each rendition is yielded as soon as it is encoded, and
the worker stores it while the next one is made (one ahead, never more).
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import IO

import av
import msgspec
from PIL import Image

from dam.domain import formats
from dam.domain.media import MediaInfo, MediaKind, MediaRejected, RenderedFile
from dam.media import audio, images, ladder, probe, remux
from dam.media import storyboard as storyboards


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


def identify(fp: IO[bytes], content_type: str) -> formats.Format | None:
    """What the file is, by its first bytes and its declared type (None: neither tells).

    Bytes of another family than declared (audio declared as video) fail the asset with what they
    are; within a family (a PNG declared image/jpeg) the bytes' format is processed and recorded.
    """
    head = fp.read(formats.HEAD_BYTES)
    fp.seek(0)
    found = formats.sniff(head)
    # Reconciled first: an audio-only MP4 (brand isom) declared audio/mp4 is an M4A, not a mismatch.
    chosen = formats.reconcile(formats.by_media_type(content_type), found)
    if found is not None and chosen is not None and (why := formats.mismatch(content_type, chosen)):
        raise MediaRejected(why)
    return chosen


def probe_media(fp: IO[bytes], content_type: str, *, max_pixels: int = images.MAX_PIXELS) -> MediaInfo:
    """The ``probe`` step: facts of the file's format; MediaRejected when the bytes disagree."""
    kind = family(content_type)
    found = identify(fp, content_type)
    if kind == "image":
        info = images.image_facts(fp, fmt=found.name if found else None, max_pixels=max_pixels)
    else:
        size = fp.seek(0, 2)
        fp.seek(0)
        with probe.open_media(fp) as container:
            kind, found = _true_kind(container, kind, found)
            info = probe.probe(container, kind, content_type, size)
        if found is not None:
            info.format = found.file_type
    if found is not None and formats.by_media_type(content_type) != found:
        info.media_type = found.media_type
    return info


def _true_kind(
    container: av.container.InputContainer, kind: MediaKind, found: formats.Format | None
) -> tuple[MediaKind, formats.Format | None]:
    """A container that holds audio or video alike, declared video, with only audio in it (an MP4
    or an ASF of sound, sent as video/mp4 or video/x-ms-asf) is processed as the audio it is."""
    audio = formats.audio_only(found) if kind == "video" and found is not None else None
    if audio is not None and probe.sound_only(container):
        return "audio", audio
    return kind, found


def stills(
    fp: IO[bytes], info: MediaInfo | None = None, *, max_pixels: int = images.MAX_PIXELS
) -> Generator[RenderedFile, None, None]:
    """The ``stills`` step (images): preview and thumbnail, decoded as the probe found the format."""
    fmt = info.format if info is not None else None
    yield from images.stills(fp, fmt=fmt if fmt in formats.IMAGE_NAMES else None, max_pixels=max_pixels)


def poster(fp: IO[bytes], info: MediaInfo) -> Generator[RenderedFile, None, MediaInfo]:
    """The ``poster`` step (video): poster, preview and thumbnail from a keyframe at ~10%.

    Returns the facts corrected by what the decoded frame tells (rotation from the display matrix,
    displayed width and height).
    """
    facts = msgspec.structs.replace(info, streams=[msgspec.structs.replace(s) for s in info.streams])
    with probe.open_media(fp) as container:
        frame: Image.Image | None = probe.poster_frame(container, facts)
    if frame is None:  # the seek found no keyframe after it (one keyframe at the start: AVCHD)
        fp.seek(0)
        with probe.open_media(fp) as container:
            frame = probe.poster_frame(container, facts, seek=False)
    if frame is None:
        raise MediaRejected("the video has no decodable frame")
    yield images.webp("poster", frame)
    preview = frame.copy()
    preview.thumbnail((images.PREVIEW, images.PREVIEW))
    yield images.webp("preview", preview)
    thumbnail = preview.copy()
    thumbnail.thumbnail((images.THUMBNAIL, images.THUMBNAIL))
    yield images.thumbnail_file(thumbnail)
    return facts


def waveform(fp: IO[bytes]) -> Generator[RenderedFile, None, None]:
    """The ``waveform`` step (audio): the waveform picture and the peaks JSON; the cover art, when
    the file has one, as the asset's preview and thumbnail."""
    with probe.open_media(fp) as container:
        yield from audio.waveform(container)
    fp.seek(0)
    with probe.open_media(fp) as container:
        picture = audio.cover(container)
    if picture is not None:
        picture.thumbnail((images.PREVIEW, images.PREVIEW), Image.Resampling.LANCZOS)
        yield images.webp("preview", picture)
        thumbnail = picture.copy()
        thumbnail.thumbnail((images.THUMBNAIL, images.THUMBNAIL), Image.Resampling.LANCZOS)
        yield images.thumbnail_file(thumbnail)


def ladder_chunk(
    fp: IO[bytes], plan: ladder.ChunkPlan
) -> Generator[ladder.EncodedFile, None, ladder.ChunkResult]:
    """The ``ladder`` step, one chunk: init segments, then each CMAF segment as it closes."""
    with probe.open_media(fp) as container:
        return (yield from ladder.encode_chunk(container, plan))


def storyboard(
    fp: IO[bytes], info: MediaInfo, *, folder: str = ""
) -> Generator[storyboards.Sprite, None, storyboards.Board]:
    """The ``storyboard`` step: sprite sheets of seek thumbnails, then their WebVTT track."""
    with probe.open_media(fp) as container:
        return (yield from storyboards.storyboard(container, info, folder=folder))


def download_mp4(video: IO[bytes], audio_fp: IO[bytes] | None, out: Path) -> int:
    """The stream's web-playable MP4 (one rung and the audio, remuxed, ``moov`` first) at ``out``."""
    return remux.faststart(video, audio_fp, out)
