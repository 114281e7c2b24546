"""Real media made on the fly with Pillow and PyAV: small, deterministic."""

from __future__ import annotations

import io
import random
from fractions import Fraction

import av
from PIL import Image, ImageDraw

from dam.harness import samples
from dam.harness.samples import mp4

__all__ = ["mp4"]


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


def audio_file(fmt: str, codec: str, seconds: float = 2.0, rate: int = 48000) -> bytes:
    """An audio-only file: ("ipod", "aac") -> m4a, ("ogg", "libopus"), ("wav", "pcm_s16le")."""
    return samples.audio(fmt, codec, seconds, rate)


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


def dng(width: int, height: int) -> bytes:
    """A camera DNG written by pidng (not by us): an RGGB mosaic of a left-to-right red ramp."""
    import tempfile

    import numpy as np
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import (
        CalibrationIlluminant,
        CFAPattern,
        DNGVersion,
        Orientation,
        PhotometricInterpretation,
    )

    x = np.arange(width, dtype=np.uint32)[None, :].repeat(height, axis=0)
    red = (x * 4095 // width).astype(np.uint16)
    mosaic = np.full((height, width), 600, dtype=np.uint16)
    mosaic[0::2, 0::2] = red[0::2, 0::2]
    tags = DNGTags()
    for tag, value in (
        (Tag.ImageWidth, width), (Tag.ImageLength, height), (Tag.TileWidth, width), (Tag.TileLength, height),
        (Tag.Orientation, Orientation.Horizontal), (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 16),
        (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
        (Tag.CFARepeatPatternDim, [2, 2]), (Tag.CFAPattern, CFAPattern.RGGB), (Tag.BlackLevel, 0),
        (Tag.WhiteLevel, 4095), (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
        (Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
        (Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]), (Tag.Make, "Oracle"), (Tag.Model, "Mosaic 1"),
        (Tag.DNGVersion, DNGVersion.V1_4), (Tag.DNGBackwardVersion, DNGVersion.V1_2),
    ):  # fmt: skip
        tags.set(tag, value)
    with tempfile.TemporaryDirectory() as folder:
        writer = RAW2DNG()
        writer.options(tags, path=folder, compress=False)
        writer.convert(mosaic, filename="camera")
        with open(f"{folder}/camera.dng", "rb") as file:
            return file.read()
