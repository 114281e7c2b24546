"""Audio waveform: peaks streamed from the decoded audio into a PNG and a JSON for players."""

from __future__ import annotations

import io
from typing import Any

import av
import av.error
import msgspec
import numpy as np
from PIL import Image, ImageDraw, ImageOps

from dam.domain.media import MediaRejected, RenderedFile
from dam.media import colour

WIDTH, HEIGHT = 1200, 200
STEP_SECONDS = 0.01  # one fine-grained peak per 10 ms of audio; the picture is made from these
BACKGROUND, FOREGROUND = (255, 255, 255, 0), (37, 99, 235, 255)


class Peaks(msgspec.Struct):
    """audiowaveform-style peaks: min/max pairs per pixel column, 8-bit."""

    version: int
    channels: int
    sample_rate: int
    samples_per_pixel: int
    bits: int
    length: int
    data: list[int]


def waveform(container: av.container.InputContainer) -> list[RenderedFile]:
    """Decode the first audio stream once; return the waveform PNG and the peaks JSON.

    Peaks are the minimum and maximum of every sample of every channel at the source rate (full
    band: a 5.5 kHz tone draws at its true loudness), folded per 10 ms, never resampled.
    """
    stream = container.streams.audio[0]
    rate = stream.codec_context.sample_rate or 48000
    step = max(1, round(rate * STEP_SECONDS))
    converter = av.AudioResampler(format="fltp")  # the sample format only: same rate, same channels
    fold = _Folder(step)
    try:
        for frame in container.decode(stream):
            for chunk in converter.resample(frame):
                fold.add(chunk.to_ndarray())
        for chunk in converter.resample(None):
            fold.add(chunk.to_ndarray())
    except av.error.FFmpegError as exc:
        raise MediaRejected(f"audio data is corrupt: {str(exc)[:200]}") from None
    lows, highs = fold.finish()
    if not len(lows):
        raise MediaRejected("the audio stream has no decodable samples")
    columns = _columns(lows, highs, WIDTH)
    return [_png(columns), _json(columns, len(lows) * step, rate)]


class _Folder:
    """Per-sample extremes over the channels, folded into (min, max) per ``step`` samples."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.lows: list[Any] = []
        self.highs: list[Any] = []
        self.pending = np.zeros((2, 0), dtype=np.float32)

    def add(self, planes: Any) -> None:
        samples = np.asarray(planes, dtype=np.float32).reshape(-1, planes.shape[-1])
        pair = np.stack((samples.min(axis=0), samples.max(axis=0)))
        pending = np.concatenate((self.pending, pair), axis=1)
        whole = pending.shape[1] - pending.shape[1] % self.step
        if whole:
            blocks = pending[:, :whole].reshape(2, -1, self.step)
            self.lows.append(blocks[0].min(axis=1))
            self.highs.append(blocks[1].max(axis=1))
        self.pending = pending[:, whole:]

    def finish(self) -> tuple[Any, Any]:
        if self.pending.shape[1]:
            self.lows.append(self.pending[0].min(keepdims=True))
            self.highs.append(self.pending[1].max(keepdims=True))
        if not self.lows:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.float32)
        low = np.clip(np.concatenate(self.lows), -1.0, 1.0)
        return low, np.clip(np.concatenate(self.highs), -1.0, 1.0)


def cover(container: av.container.InputContainer) -> Image.Image | None:
    """The embedded cover picture (ID3 APIC, FLAC PICTURE, MP4 covr), upright RGB, or None."""
    pictures = [s for s in container.streams.video if s.disposition & av.stream.Disposition.attached_pic]
    if not pictures:
        return None
    try:
        for packet in container.demux(pictures[0]):
            data = bytes(packet)
            if data:
                with Image.open(io.BytesIO(data), formats=["JPEG", "PNG"]) as image:
                    image.load()
                    return colour.to_srgb(ImageOps.exif_transpose(image), image.info.get("icc_profile"))
    except (av.error.FFmpegError, OSError, SyntaxError, ValueError):
        return None  # a broken cover: the asset keeps its waveform
    return None


def _columns(lows: Any, highs: Any, width: int) -> list[tuple[float, float]]:
    count = len(lows)
    columns = []
    for x in range(width):
        a = x * count // width
        b = max(a + 1, (x + 1) * count // width)
        columns.append((float(lows[a:b].min()), float(highs[a:b].max())))
    return columns


def _png(columns: list[tuple[float, float]]) -> RenderedFile:
    image = Image.new("RGBA", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    middle = HEIGHT / 2
    for x, (low, high) in enumerate(columns):
        top = middle - high * middle
        bottom = middle - low * middle
        draw.line([(x, top), (x, max(bottom, top + 1))], fill=FOREGROUND)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return RenderedFile(
        kind="waveform", content_type="image/png", data=buffer.getvalue(), width=WIDTH, height=HEIGHT
    )


def _json(columns: list[tuple[float, float]], total_samples: int, rate: int) -> RenderedFile:
    data: list[int] = []
    for low, high in columns:
        data.extend((max(-128, round(low * 128)), min(127, round(high * 128))))
    peaks = Peaks(
        version=2, channels=1, sample_rate=rate, samples_per_pixel=max(1, total_samples // WIDTH),
        bits=8, length=len(columns), data=data,
    )  # fmt: skip
    return RenderedFile(kind="peaks", content_type="application/json", data=msgspec.json.encode(peaks))
