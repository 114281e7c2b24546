"""Audio/video with PyAV: a locked-down open, the container's facts, a poster frame.

The worker opens untrusted bytes. FFmpeg can follow references inside some inputs (HLS/DASH
playlists, concat lists, image sequences, subtitles embedded in AVI) to other files and URLs, so
containers are opened only with the demuxers we support and with every nested open refused.
"""

from __future__ import annotations

from fractions import Fraction
from typing import IO, Any

import av
import av.error
from av.video.reformatter import Colorspace

from dam.domain.media import AudioTags, MediaInfo, MediaKind, MediaRejected, StreamInfo
from dam.media import tonemap

# FFmpeg demuxer names of the containers the service accepts; nothing that reads playlists or lists.
DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "mpegts", "mpeg", "flv", "asf", "ogg",
    "mp3", "wav", "flac", "aac", "aiff", "w64",
)  # fmt: skip
FORMAT_WHITELIST = ",".join(DEMUXERS)
# No protocol at all for nested opens (our own input is a Python file object, not a protocol).
CONTAINER_OPTIONS = {"format_whitelist": FORMAT_WHITELIST, "protocol_whitelist": "none"}
MAX_DURATION = 24 * 3600.0
MAX_FRAME_PIXELS = 8192 * 8192


def _refuse_nested(url: str, flags: int, options: dict[str, Any]) -> Any:
    """Called when a demuxer tries to open another file or URL: never allowed."""
    raise PermissionError(f"media refers to another resource ({url[:80]!r}); references are not followed")


def open_media(fp: IO[bytes], *, format: str | None = None) -> av.container.InputContainer:
    """Open a container from a file object with the allow-listed demuxers only (``format``: tests)."""
    try:
        container = av.open(
            fp,
            mode="r",
            format=format,
            container_options=dict(CONTAINER_OPTIONS),
            io_open=_refuse_nested,
            metadata_errors="replace",
            buffer_size=64 * 1024,
        )
    except (av.error.FFmpegError, PermissionError, ValueError, OSError) as exc:
        raise MediaRejected(f"not a supported audio/video container: {_reason(exc)}") from None
    return container


def sound_only(container: av.container.InputContainer) -> bool:
    """Audio and no video in the container (cover art aside)."""
    picture = av.stream.Disposition.attached_pic
    return bool(container.streams.audio) and all(s.disposition & picture for s in container.streams.video)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.replace("\n", " ")[:300]


def probe(
    container: av.container.InputContainer, kind: MediaKind, declared: str = "", size: int | None = None
) -> MediaInfo:
    """Container and stream facts; refuses what is not of the declared kind, cut short, or absurd."""
    streams = [_stream(s) for s in container.streams]
    duration = container.duration / av.time_base if container.duration else None
    if duration is not None and duration > MAX_DURATION:
        raise MediaRejected(f"duration of {duration:.0f} s exceeds the limit of {MAX_DURATION:.0f} s")
    videos = [s for s in streams if s.type == "video" and not s.attached_pic]
    audios = [s for s in streams if s.type == "audio"]
    if kind == "video" and not videos:
        if audios:
            raise MediaRejected(
                f"the file is audio (no video stream), declared {declared or 'as video'}: upload it as audio"
            )
        raise MediaRejected("no video stream found in a file declared as video")
    if kind == "audio" and not audios:
        raise MediaRejected("no audio stream found in a file declared as audio")
    for v in videos:
        if (v.width or 0) * (v.height or 0) > MAX_FRAME_PIXELS:
            raise MediaRejected(f"video frame of {v.width}x{v.height} exceeds the limit")
    if size is not None:
        _refuse_truncated(container, size)
    main = videos[0] if kind == "video" else None
    info = MediaInfo(
        kind=kind,
        format=container.format.name,
        duration=round(duration, 3) if duration is not None else None,
        bit_rate=container.bit_rate or None,
        streams=streams,
        tags=_tags(container.metadata) if kind == "audio" else None,
        cover_art=any(s.attached_pic for s in streams) or None,
    )
    if main is not None:
        display(info, main)
        info.bit_depth = main.bit_depth
        info.hdr = _HDR.get(main.color_transfer or "")
    return info


def display(info: MediaInfo, main: StreamInfo) -> None:
    """The displayed size: the coded one stretched by the sample aspect ratio, then rotated."""
    width, height = main.width, main.height
    if not width or not height:
        return
    sar = _fraction(main.sample_aspect_ratio)
    if sar and sar != 1:
        # As ffmpeg's scale filter does for square pixels: the width stretched (or squeezed).
        width = max(2, round(width * sar / 2) * 2)
    if (main.rotation or 0) % 180 == 90:
        width, height = height, width
    info.width, info.height = width, height
    if (width, height) not in {(main.width, main.height), (main.height, main.width)}:
        info.coded_width, info.coded_height = main.width, main.height


def _fraction(text: str | None) -> Fraction | None:
    try:
        return Fraction(text.replace(":", "/")) if text else None
    except (ValueError, ZeroDivisionError):
        return None


def _refuse_truncated(container: av.container.InputContainer, size: int) -> None:
    """The index (an MP4's moov, for one) says where every sample lies: those past the end are missing."""
    end = 0
    for stream in container.streams:
        if stream.type not in {"video", "audio"}:
            continue
        try:
            entries = stream.index_entries
            count = len(entries)
        except (AttributeError, av.error.FFmpegError):
            continue
        for i in range(max(0, count - 64), count):  # samples are stored in order: the last ones end last
            entry = entries[i]
            end = max(end, entry.pos + entry.size)
    if end > size:
        missing = end - size
        raise MediaRejected(
            f"the file is truncated: its index places media data up to byte {end}, the file has {size}"
            f" bytes ({missing} bytes, {missing / end:.0%} of the media data, are missing)"
        )


_TAG_NAMES = {
    "title": "title", "artist": "artist", "album": "album", "album_artist": "album_artist",
    "albumartist": "album_artist", "genre": "genre", "date": "date", "year": "date", "track": "track",
    "tracknumber": "track", "composer": "composer", "comment": "comment", "description": "comment",
}  # fmt: skip


def _tags(metadata: dict[str, str]) -> AudioTags | None:
    found: dict[str, str] = {}
    for key, value in metadata.items():
        name = _TAG_NAMES.get(key.lower())
        text = str(value).strip("\x00 ")[:1000]
        if name and text and name not in found:
            found[name] = text
    return AudioTags(**found) if found else None


# AVColorPrimaries, AVColorTransferCharacteristic, AVColorSpace, AVColorRange, AVFieldOrder values,
# named as ffprobe names them (unspecified ones are left out).
_PRIMARIES = {1: "bt709", 4: "bt470m", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "film", 9: "bt2020",
              10: "smpte428", 11: "smpte431", 12: "smpte432", 22: "jedec-p22"}  # fmt: skip
_TRANSFERS = {1: "bt709", 4: "gamma22", 5: "gamma28", 6: "smpte170m", 7: "smpte240m", 8: "linear",
              9: "log100", 10: "log316", 11: "iec61966-2-4", 12: "bt1361e", 13: "iec61966-2-1",
              14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 17: "smpte428",
              18: "arib-std-b67"}  # fmt: skip
_SPACES = {0: "gbr", 1: "bt709", 4: "fcc", 5: "bt470bg", 6: "smpte170m", 7: "smpte240m", 8: "ycgco",
           9: "bt2020nc", 10: "bt2020c", 11: "smpte2085", 14: "ictcp"}  # fmt: skip
_RANGES = {1: "tv", 2: "pc"}
_FIELD_ORDERS = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}
_HDR = {"smpte2084": "PQ", "arib-std-b67": "HLG"}


def _stream(stream: Any) -> StreamInfo:
    ctx = stream.codec_context
    # The codec, not the decoder FFmpeg picked for it (av1, not libdav1d; mp3, not mp3float).
    codec = ctx.codec.canonical_name if ctx and ctx.codec else None
    info = StreamInfo(index=stream.index, type=stream.type, codec=codec)
    if stream.duration and stream.time_base:
        info.duration = round(float(stream.duration * stream.time_base), 3)
    info.bit_rate = getattr(ctx, "bit_rate", None) or None
    info.profile = _text(getattr(ctx, "profile", None))
    if stream.type == "video":
        _video(stream, ctx, info)
    elif stream.type == "audio":
        info.sample_rate = ctx.sample_rate or None
        info.channels = ctx.channels or None
        info.channel_layout = _text(getattr(getattr(ctx, "layout", None), "name", None))
    return info


def _video(stream: Any, ctx: Any, info: StreamInfo) -> None:
    info.width, info.height = ctx.width or None, ctx.height or None
    still = bool(stream.disposition & av.stream.Disposition.attached_pic)  # cover art: one picture
    info.attached_pic = still or None
    rate = stream.average_rate or stream.guessed_rate
    info.frame_rate = round(float(rate), 3) if isinstance(rate, Fraction) and rate and not still else None
    info.pixel_format = ctx.format.name if ctx.format else None
    info.bit_depth = ctx.format.components[0].bits if ctx.format and ctx.format.components else None
    info.rotation = _rotation(stream)
    level = getattr(ctx, "level", None)
    info.level = level if isinstance(level, int) and level > 0 else None
    sar = stream.sample_aspect_ratio or ctx.sample_aspect_ratio
    if isinstance(sar, Fraction) and sar > 0:
        info.sample_aspect_ratio = f"{sar.numerator}:{sar.denominator}"
        if info.width and info.height:
            dar = Fraction(info.width, info.height) * sar
            info.display_aspect_ratio = f"{dar.numerator}:{dar.denominator}"
    info.color_primaries = _PRIMARIES.get(ctx.color_primaries)
    info.color_transfer = _TRANSFERS.get(ctx.color_trc)
    info.color_space = _SPACES.get(ctx.colorspace)
    info.color_range = _RANGES.get(ctx.color_range)
    info.field_order = _FIELD_ORDERS.get(getattr(ctx, "field_order", 0))
    info.frame_count = int(stream.frames) if stream.frames and not still else None


def _text(value: Any) -> str | None:
    return str(value)[:100] if isinstance(value, str) and value else None


def _rotation(stream: Any) -> int | None:
    """Rotation from old-style stream metadata; the display matrix is read from the poster frame."""
    value = stream.metadata.get("rotate")
    return int(float(value)) % 360 if value not in (None, "", "0") else None


POSTER_MAX = 1920
MAX_POSTER_PACKETS = 2000  # packets decoded, at most, looking for a picture (a broken file stops)


def poster_frame(container: av.container.InputContainer, info: MediaInfo, *, seek: bool = True) -> Any:
    """A PIL image of the first decodable frame from about 10% into the video (``seek``) or from its
    start, upright, in square pixels, tone-mapped to SDR when the video is HDR; None when there is none.
    """
    stream = next(
        (s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic),
        container.streams.video[0],
    )
    stream.thread_type = "AUTO"
    if seek and info.duration:
        base = stream.time_base or Fraction(1, 1000)
        target = int(info.duration * 0.10 / float(base)) + (stream.start_time or 0)
        try:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            return None
    frame, problem = _first_frame(container, stream)
    if frame is None:
        if problem and not seek:
            raise MediaRejected(f"video data is corrupt: {problem}")
        return None
    _correct(info, stream.index, int(frame.rotation or 0) % 360)
    return _picture(frame, info)


def _first_frame(container: av.container.InputContainer, stream: Any) -> tuple[Any, str | None]:
    """The first frame the decoder gives, skipping packets it cannot decode; the first error seen."""
    problem = None
    try:
        for count, packet in enumerate(container.demux(stream)):
            if count >= MAX_POSTER_PACKETS:
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                problem = problem or _reason(exc)
                continue
            if frames:
                return frames[0], problem
    except av.error.FFmpegError as exc:
        problem = problem or _reason(exc)
    return None, problem


def _correct(info: MediaInfo, index: int, rotation: int) -> None:
    """The facts corrected by the decoded frame: rotation from its display matrix."""
    for facts in info.streams:
        if facts.index == index:
            if rotation:
                facts.rotation = rotation
            display(info, facts)


def _picture(frame: Any, info: MediaInfo) -> Any:
    width, height = info.width or frame.width, info.height or frame.height
    turned = int(frame.rotation or 0) % 180 == 90
    # Square pixels at poster size (the rotation comes after: width/height here are unrotated).
    shown_w, shown_h = (height, width) if turned else (width, height)
    scale = min(1.0, POSTER_MAX / max(shown_w, shown_h))
    size = max(2, round(shown_w * scale)), max(2, round(shown_h * scale))
    if info.hdr in {"PQ", "HLG"}:
        rgb = frame.reformat(
            width=size[0], height=size[1], format="rgb48le", src_colorspace=Colorspace.BT2020
        )
        image = tonemap.to_sdr(rgb.to_ndarray(), info.hdr)
    else:
        image = frame.reformat(width=size[0], height=size[1], format="rgb24").to_image()
    # Counter-clockwise degrees from the display matrix, as PIL's rotate() takes them.
    rotation = int(frame.rotation or 0) % 360
    return image.rotate(rotation, expand=True) if rotation else image
