"""Audio waveform: peaks streamed from the decoded audio into a PNG and a JSON for players."""

from __future__ import annotations

import array
import io

import av
import av.error
import msgspec
from PIL import Image, ImageDraw

from dam.domain.media import MediaRejected, RenderedFile

WIDTH, HEIGHT = 1200, 200
RATE = 8000  # mono 16-bit at 8 kHz is plenty for a picture of loudness
STEP = 80  # samples per fine-grained peak (10 ms); the picture is made from these
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
    """Decode the first audio stream once; return the waveform PNG and the peaks JSON."""
    stream = container.streams.audio[0]
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    lows, highs = array.array("h"), array.array("h")
    pending = array.array("h")
    try:
        for frame in container.decode(stream):
            for chunk in resampler.resample(frame):
                pending.frombytes(bytes(chunk.planes[0])[: chunk.samples * 2])
                pending = _fold(pending, lows, highs)
        for chunk in resampler.resample(None):
            pending.frombytes(bytes(chunk.planes[0])[: chunk.samples * 2])
    except av.error.FFmpegError as exc:
        raise MediaRejected(f"audio data is corrupt: {str(exc)[:200]}") from None
    if pending:
        lows.append(min(pending))
        highs.append(max(pending))
    if not lows:
        raise MediaRejected("the audio stream has no decodable samples")
    columns = _columns(lows, highs, WIDTH)
    return [_png(columns), _json(columns, len(lows) * STEP)]


def _fold(samples: array.array[int], lows: array.array[int], highs: array.array[int]) -> array.array[int]:
    """Turn whole STEP-sized runs into (min, max); return the remainder."""
    whole = len(samples) - len(samples) % STEP
    view = memoryview(samples)
    for start in range(0, whole, STEP):
        run = view[start : start + STEP]
        lows.append(min(run))
        highs.append(max(run))
    return array.array("h", samples[whole:])


def _columns(lows: array.array[int], highs: array.array[int], width: int) -> list[tuple[int, int]]:
    count = len(lows)
    columns = []
    for x in range(width):
        a = x * count // width
        b = max(a + 1, (x + 1) * count // width)
        columns.append((min(lows[a:b]), max(highs[a:b])))
    return columns


def _png(columns: list[tuple[int, int]]) -> RenderedFile:
    image = Image.new("RGBA", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    middle = HEIGHT / 2
    for x, (low, high) in enumerate(columns):
        top = middle - high / 32768 * middle
        bottom = middle - low / 32768 * middle
        draw.line([(x, top), (x, max(bottom, top + 1))], fill=FOREGROUND)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return RenderedFile(
        kind="waveform", content_type="image/png", data=buffer.getvalue(), width=WIDTH, height=HEIGHT
    )


def _json(columns: list[tuple[int, int]], total_samples: int) -> RenderedFile:
    data: list[int] = []
    for low, high in columns:
        data.extend((low >> 8, high >> 8))
    peaks = Peaks(
        version=2, channels=1, sample_rate=RATE, samples_per_pixel=max(1, total_samples // WIDTH),
        bits=8, length=len(columns), data=data,
    )  # fmt: skip
    return RenderedFile(kind="peaks", content_type="application/json", data=msgspec.json.encode(peaks))
