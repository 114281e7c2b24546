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

from dam.domain.media import MediaInfo, MediaKind, MediaRejected, StreamInfo

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


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.replace("\n", " ")[:300]


def probe(container: av.container.InputContainer, kind: MediaKind) -> MediaInfo:
    """Container and stream facts; refuses what is not of the declared kind or is absurd."""
    streams = [_stream(s) for s in container.streams]
    duration = container.duration / av.time_base if container.duration else None
    if duration is not None and duration > MAX_DURATION:
        raise MediaRejected(f"duration of {duration:.0f} s exceeds the limit of {MAX_DURATION:.0f} s")
    videos = [s for s in streams if s.type == "video"]
    audios = [s for s in streams if s.type == "audio"]
    if kind == "video" and not videos:
        raise MediaRejected("no video stream found in a file declared as video")
    if kind == "audio" and not audios:
        raise MediaRejected("no audio stream found in a file declared as audio")
    for v in videos:
        if (v.width or 0) * (v.height or 0) > MAX_FRAME_PIXELS:
            raise MediaRejected(f"video frame of {v.width}x{v.height} exceeds the limit")
    main = videos[0] if kind == "video" else None
    return MediaInfo(
        kind=kind,
        format=container.format.name,
        duration=round(duration, 3) if duration is not None else None,
        bit_rate=container.bit_rate or None,
        width=main.width if main else None,
        height=main.height if main else None,
        streams=streams,
    )


def _stream(stream: Any) -> StreamInfo:
    ctx = stream.codec_context
    # The codec, not the decoder FFmpeg picked for it (av1, not libdav1d; mp3, not mp3float).
    codec = ctx.codec.canonical_name if ctx and ctx.codec else None
    info = StreamInfo(index=stream.index, type=stream.type, codec=codec)
    if stream.duration and stream.time_base:
        info.duration = round(float(stream.duration * stream.time_base), 3)
    info.bit_rate = getattr(ctx, "bit_rate", None) or None
    if stream.type == "video":
        info.width, info.height = ctx.width or None, ctx.height or None
        rate = stream.average_rate or stream.guessed_rate
        still = bool(stream.disposition & av.stream.Disposition.attached_pic)  # cover art: one picture
        info.frame_rate = round(float(rate), 3) if isinstance(rate, Fraction) and rate and not still else None
        info.pixel_format = ctx.format.name if ctx.format else None
        info.rotation = _rotation(stream)
    elif stream.type == "audio":
        info.sample_rate = ctx.sample_rate or None
        info.channels = ctx.channels or None
    return info


def _rotation(stream: Any) -> int | None:
    """Rotation from old-style stream metadata; the display matrix is read from the poster frame."""
    value = stream.metadata.get("rotate")
    return int(float(value)) % 360 if value not in (None, "", "0") else None


def poster_frame(container: av.container.InputContainer, info: MediaInfo) -> Any:
    """A PIL image of the keyframe at about 10% into the video, upright."""
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    if info.duration:
        base = stream.time_base or Fraction(1, 1000)
        target = int(info.duration * 0.10 / float(base)) + (stream.start_time or 0)
        try:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.seek(0)
    try:
        for frame in container.decode(stream):
            image = frame.to_image()  # type: ignore[no-untyped-call]
            # Counter-clockwise degrees from the display matrix, as PIL's rotate() takes them.
            rotation = int(frame.rotation or 0) % 360
            if rotation:
                for facts in info.streams:
                    if facts.index == stream.index:
                        facts.rotation = rotation
                        if facts.width and facts.height:  # displayed size, from the coded one
                            turned = rotation in {90, 270}
                            info.width, info.height = (
                                (facts.height, facts.width) if turned else (facts.width, facts.height)
                            )
            return image.rotate(rotation, expand=True) if rotation else image
    except av.error.FFmpegError as exc:
        raise MediaRejected(f"video data is corrupt: {_reason(exc)}") from None
    raise MediaRejected("the video has no decodable frame")
