"""Real media made on the fly with Pillow and PyAV: small, deterministic."""

from __future__ import annotations

import io
import math
import random
import struct
from fractions import Fraction

import av
from PIL import Image, ImageDraw


def jpeg_with_exif(width: int = 400, height: int = 300, orientation: int = 6) -> bytes:
    """A JPEG stored sideways (orientation 6) with camera fields and a GPS position."""
    image = Image.new("RGB", (width, height), (30, 60, 200))
    ImageDraw.Draw(image).rectangle([0, 0, width // 2, height], fill=(220, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"
    exif[0x0110] = "Model X"
    exif[0x0132] = "2026:07:14 10:30:00"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def big_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    """A large JPEG with detail, for draft-mode decoding."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def png_with_alpha(size: int = 500) -> bytes:
    """An RGBA PNG, half transparent."""
    image = Image.new("RGBA", (size, size), (0, 200, 0, 255))
    ImageDraw.Draw(image).rectangle([0, 0, size, size // 2], fill=(0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
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
            frame = av.VideoFrame.from_image(picture)
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            _write_audio(out, sound, seconds, 44100)
    return buffer.getvalue()


def noisy_mp4(frames: int = 40, width: int = 640, height: int = 480, fps: int = 25) -> bytes:
    """A high-bit-rate MP4 (noise, near-lossless) of several MB; moov at the end, as muxers write it."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "0"}
        for i in range(frames):
            image = Image.frombytes("L", (width, height), random.Random(i).randbytes(width * height))
            frame = av.VideoFrame.from_image(image.convert("RGB"))
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
    return buffer.getvalue()


def _tone(seconds: float, rate: int, chunk: int) -> list[av.AudioFrame]:
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


def _write_audio(
    out: av.container.OutputContainer, stream: av.audio.stream.AudioStream, seconds: float, rate: int
) -> None:
    resampler = av.AudioResampler(
        format=stream.codec_context.format, layout=stream.codec_context.layout, rate=rate
    )
    for frame in _tone(seconds, rate, 1024):
        for chunk in resampler.resample(frame):
            out.mux(stream.encode(chunk))
    out.mux(stream.encode(None))


def audio_file(fmt: str, codec: str, seconds: float = 2.0, rate: int = 48000) -> bytes:
    """An audio-only file: ("ipod", "aac") -> m4a, ("ogg", "libopus"), ("wav", "pcm_s16le")."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate)
        _write_audio(out, stream, seconds, rate)
    return buffer.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG cut short in its entropy-coded data."""
    data = jpeg_with_exif(orientation=1)
    return data[: len(data) // 3]


HLS_LOCAL = b"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"


def hls_pointing_at(url: str) -> bytes:
    """An HLS playlist (what an attacker would name .mp4) referring to another resource."""
    return f"#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n{url}\n#EXT-X-ENDLIST\n".encode()


def concat_pointing_at(target: str) -> bytes:
    """An ffconcat list referring to another file or URL."""
    return f"ffconcat version 1.0\nfile '{target}'\n".encode()
