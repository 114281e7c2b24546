"""Small real media made on the fly (Pillow, PyAV): what ``dam harness`` uploads to a deployment (so
it ships with the service), also used by the tests and the walkthrough."""

from __future__ import annotations

import io
import math
import struct
from fractions import Fraction

import av
from PIL import Image, ImageDraw


def jpeg(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG with a gradient and a marker, so a wrong rotation or crop would show."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    ImageDraw.Draw(image).rectangle([0, 0, width // 4, height // 4], fill=(220, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def mp4(
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: int = 25,
    audio: bool = True,
    rotation: int = 0,
) -> bytes:
    """An H.264 (+ AAC) MP4; ``rotation``: display matrix, counter-clockwise degrees (as phones write)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast"}
        if rotation:
            video.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=44100) if audio else None
        frames = int(seconds * fps)
        for i in range(frames):
            shade = int(255 * i / max(1, frames - 1))
            picture = Image.new("RGB", (width, height), (shade, 90, 255 - shade))
            ImageDraw.Draw(picture).rectangle([0, 0, width // 8, height], fill=(255, 0, 0))  # red left edge
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            write_tone(out, sound, seconds, 44100)
    return buffer.getvalue()


def _tone(seconds: float, rate: int, chunk: int) -> list[av.AudioFrame]:
    """A 440 Hz tone fading in, in mono 16-bit frames."""
    frames = []
    total = int(seconds * rate)
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        samples = b"".join(
            struct.pack(
                "<h", int(12000 * math.sin(2 * math.pi * 440 * (start + k) / rate) * (start + k) / total)
            )
            for k in range(n)
        )
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(samples)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        frames.append(frame)
    return frames


def write_tone(
    out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float, rate: int
) -> None:
    """Encode the fading tone into an audio stream."""
    resampler = av.AudioResampler(
        format=stream.codec_context.format, layout=stream.codec_context.layout, rate=rate
    )
    for frame in _tone(seconds, rate, 1024):
        for chunk in resampler.resample(frame):
            out.mux(stream.encode(chunk))
    out.mux(stream.encode(None))


def audio(fmt: str = "ipod", codec: str = "aac", seconds: float = 2.0, rate: int = 48000) -> bytes:
    """An audio-only file: ("ipod", "aac") -> m4a, ("ogg", "libopus"), ("wav", "pcm_s16le")."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        assert isinstance(stream, av.audio.stream.AudioStream)
        write_tone(out, stream, seconds, rate)
    return buffer.getvalue()
