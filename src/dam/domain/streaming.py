"""Adaptive streaming, the pure part: which rungs a video gets, the recipe that names them, where each
chunk of the work starts, and the HLS playlists and DASH MPD written over one set of CMAF segments.

Segments sit on a fixed grid of ``SEGMENT_SECONDS`` of content (IDR frames every ``GOP_SECONDS``, by
timestamp), so every rung cuts at the same frames and a chunk of the work, which starts on the grid,
can be encoded by itself. Segment number ``n`` (from 1) is the one whose first frame is the first at
or after ``(n - 1) * SEGMENT_SECONDS``.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from typing import Literal

import msgspec

SEGMENT_SECONDS = 4
GOP_SECONDS = 2
VIDEO_TIMESCALE = 90_000
AUDIO_RATE = 48_000
AUDIO_FRAME = 1024  # samples per AAC frame
AUDIO_BITRATE = 128_000
AUDIO_CODECS = "mp4a.40.2"
AUDIO_NAME = "a"
DEFAULT_LADDER = (1080, 720, 360)
PRESET = "veryfast"
CRF = 23
# Peak bit rate (kb/s) by the rung's short side: the capped-CRF ceiling; the buffer is twice it.
_MAXRATE = ((2160, 16000), (1440, 9000), (1080, 6000), (720, 3000), (480, 1500), (360, 1000), (240, 500))
StreamStatus = Literal["pending", "processing", "ready", "failed"]


class Rung(msgspec.Struct, frozen=True, kw_only=True):
    """One video rendition of the ladder: its size (square pixels, upright) and rate cap."""

    name: str  # "v720": the folder its segments are in
    width: int
    height: int
    maxrate: int  # kb/s

    @property
    def bufsize(self) -> int:
        """The VBV buffer, kb: twice the cap."""
        return 2 * self.maxrate


class Segment(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """One media segment: its number, first decode time and duration (timescale units), size."""

    number: int
    start: int
    duration: int
    bytes: int


class Rendition(msgspec.Struct, kw_only=True):
    """One rendition of a stream (a rung or the audio) and its segments so far."""

    name: str
    kind: Literal["video", "audio"]
    codecs: str
    timescale: int
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    channels: int | None = None
    segments: list[Segment] = msgspec.field(default_factory=list)

    @property
    def duration(self) -> float:
        """Seconds of content in its segments."""
        return sum(s.duration for s in self.segments) / self.timescale

    @property
    def peak_bandwidth(self) -> int:
        """The largest bit rate of any one segment (b/s): HLS's BANDWIDTH."""
        rates = [s.bytes * 8 * self.timescale / s.duration for s in self.segments if s.duration > 0]
        return math.ceil(max(rates, default=0))

    @property
    def average_bandwidth(self) -> int:
        """Bits over seconds of all its segments (b/s): HLS's AVERAGE-BANDWIDTH."""
        seconds = self.duration
        return math.ceil(sum(s.bytes for s in self.segments) * 8 / seconds) if seconds else 0


def maxrate(short_side: int) -> int:
    """The rate cap (kb/s) of a rung of this short side."""
    return next((rate for side, rate in _MAXRATE if short_side >= side), _MAXRATE[-1][1])


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def rungs(width: int, height: int, ladder: tuple[int, ...] = DEFAULT_LADDER) -> list[Rung]:
    """The rungs of a video shown at ``width`` x ``height`` (square pixels, upright): each configured
    short side that does not upscale it; a video smaller than the lowest gets one rung of its own size."""
    short = min(width, height)
    sides = [side for side in sorted(set(ladder), reverse=True) if side <= short] or [short]
    out = []
    for side in sides:
        scale = side / short
        w, h = _even(width * scale), _even(height * scale)
        out.append(Rung(name=f"v{min(w, h)}", width=w, height=h, maxrate=maxrate(min(w, h))))
    return out


def recipe(ladder: tuple[int, ...]) -> str:
    """The name of the encoding settings, part of every stream path: a new recipe is written beside
    the old one, never over the files players are reading."""
    sides = ",".join(map(str, sorted(set(ladder), reverse=True)))
    canon = f"h264:{PRESET}:crf{CRF}:{sides}:seg{SEGMENT_SECONDS}:gop{GOP_SECONDS}:aac{AUDIO_BITRATE}"
    return "h264-" + hashlib.sha256(canon.encode()).hexdigest()[:10]


def chunk_seconds(configured: int) -> int:
    """The chunk length, rounded up to whole segments: chunks start on the segment grid."""
    return max(1, math.ceil(configured / SEGMENT_SECONDS)) * SEGMENT_SECONDS


def chunk_count(duration: float, chunk: int) -> int:
    """How many chunks cover ``duration`` seconds."""
    return max(1, math.ceil(duration / chunk - 1e-9))


def first_segment(chunk_index: int, chunk: int) -> int:
    """The number of a chunk's first segment."""
    return chunk_index * chunk // SEGMENT_SECONDS + 1


def audio_start(seconds: float) -> int:
    """The first audio sample of a chunk starting at ``seconds``: on an AAC frame boundary."""
    return math.floor(seconds * AUDIO_RATE / AUDIO_FRAME) * AUDIO_FRAME


def video_segment(seconds: float) -> int:
    """The number of the segment a frame shown at ``seconds`` starts, when it starts one."""
    return int((seconds + 1e-6) // SEGMENT_SECONDS) + 1


def audio_segment(sample: int) -> int:
    """The number of the segment an AAC frame starting at ``sample`` belongs to: segment ``n`` starts
    at the AAC frame boundary at or before ``(n - 1) * SEGMENT_SECONDS``."""
    number = sample // (AUDIO_RATE * SEGMENT_SECONDS) + 1
    while audio_start(number * SEGMENT_SECONDS) <= sample:
        number += 1
    return number


def bandwidth(video: Rendition | None, audio: Rendition | None) -> tuple[int, int]:
    """Peak and average bit rate of a variant (its video with the audio it plays with)."""
    parts = [r for r in (video, audio) if r is not None]
    return sum(r.peak_bandwidth for r in parts), sum(r.average_bandwidth for r in parts)


class Manifests(msgspec.Struct, frozen=True, kw_only=True):
    """The finished stream's text files, kept in PostgreSQL (and stored beside the segments)."""

    master: str
    mpd: str
    playlists: dict[str, str]  # rendition name -> its media playlist


class Storyboard(msgspec.Struct, frozen=True, kw_only=True):
    """Seek thumbnails: sprite sheets and the WebVTT track that points into them."""

    vtt: str
    sprites: list[str]  # file names, beside the VTT
    interval: float
    tile_width: int
    tile_height: int


class StreamRecord(msgspec.Struct, kw_only=True):
    """An asset's stream in one recipe: how far the ladder got, and what it made."""

    asset_id: uuid.UUID
    recipe: str
    run_id: uuid.UUID
    chunk_seconds: int
    chunk_count: int
    chunks_done: int
    renditions: list[Rendition]
    manifests: Manifests | None = None
    storyboard: Storyboard | None = None

    @property
    def videos(self) -> list[Rendition]:
        """The rungs, largest first."""
        return [r for r in self.renditions if r.kind == "video"]

    @property
    def audio(self) -> Rendition | None:
        """The shared audio rendition, if the asset has sound."""
        return next((r for r in self.renditions if r.kind == "audio"), None)


def merge(renditions: list[Rendition], chunk: list[Rendition]) -> list[Rendition]:
    """The renditions with a chunk's segments added (a segment already there is kept, not doubled)."""
    out = {r.name: msgspec.structs.replace(r, segments=list(r.segments)) for r in renditions}
    for rendition in chunk:
        known = out.get(rendition.name)
        if known is None:
            out[rendition.name] = msgspec.structs.replace(rendition, segments=list(rendition.segments))
            continue
        numbers = {s.number for s in known.segments}
        known.segments += [s for s in rendition.segments if s.number not in numbers]
        known.segments.sort(key=lambda s: s.number)
    return list(out.values())


def stream_prefix(asset_id: uuid.UUID, recipe_name: str) -> str:
    """Where a recipe's files of an asset live in the bucket."""
    return f"renditions/{asset_id}/stream/{recipe_name}/"


class Variant(msgspec.Struct, frozen=True, kw_only=True):
    """One rung as a player picks it."""

    width: int | None
    height: int | None
    bandwidth: int
    codecs: str


class StreamLinks(msgspec.Struct, frozen=True, kw_only=True):
    """An asset's stream as a reader sees it; paths under the API's base, with a token."""

    status: StreamStatus
    progress: float
    hls_path: str | None = None
    dash_path: str | None = None
    storyboard_path: str | None = None
    variants: list[Variant] = msgspec.field(default_factory=list)
