"""Typed image facts from the probe step: camera fields only where the photo has them."""

from __future__ import annotations

import io
import struct

import av
import pytest
from PIL import Image

from dam.domain.media import MediaRejected
from dam.media.images import image_facts
from dam.media.pipeline import probe_media


def _jpeg(exif: Image.Exif | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG", exif=exif or Image.Exif())
    buffer.seek(0)
    return buffer


def test_a_photo_without_exif_has_no_camera() -> None:
    info = image_facts(_jpeg())
    assert (info.kind, info.format, info.width, info.height) == ("image", "JPEG", 64, 48)
    assert info.camera is None


def test_camera_fields_have_their_types() -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif.get_ifd(0x8769).update({0x829D: 2.8, 0x8827: 400, 0x920A: 35.0})  # FNumber, ISO, FocalLength
    camera = image_facts(_jpeg(exif)).camera
    assert camera is not None
    assert camera.make == "TestCam"
    assert camera.model is None
    assert camera.f_number == 2.8
    assert camera.iso == 400
    assert camera.focal_length == 35.0


def _jpeg_header(width: int, height: int) -> bytes:
    """A JPEG whose frame header claims ``width`` x ``height``, with no image data: opening reads the
    markers, nothing is decoded."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([n, 0x11, 0]) for n in (1, 2, 3))
    scan = bytes([3]) + b"".join(bytes([n, 0]) for n in (1, 2, 3)) + bytes([0, 63, 0])
    marker = lambda code, body: b"\xff" + bytes([code]) + struct.pack(">H", len(body) + 2) + body  # noqa: E731
    return b"\xff\xd8" + marker(0xC0, frame) + marker(0xDA, scan) + b"\x00" * 16 + b"\xff\xd9"


def test_the_pixel_limit_is_ours_not_pillows() -> None:
    """A 90 MP photo is legitimate under the documented 100 MP default (Pillow alone stops at 89.5 MP
    with a "decompression bomb" warning); above DAM_MAX_IMAGE_PIXELS it is refused, naming the limit."""
    big = _jpeg_header(10_000, 9_000)
    assert (image_facts(io.BytesIO(big)).width, image_facts(io.BytesIO(big)).height) == (10_000, 9_000)
    with pytest.raises(MediaRejected, match="exceeds the limit of 50000000 pixels"):
        image_facts(io.BytesIO(big), max_pixels=50_000_000)
    huge = _jpeg_header(20_000, 10_000)  # 200 MP: above Pillow's own error threshold too
    assert image_facts(io.BytesIO(huge), max_pixels=250_000_000).width == 20_000


def test_codecs_are_named_by_codec_not_by_decoder() -> None:
    """AV1 decodes with libdav1d here; the facts say av1, as ffprobe does."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libsvtav1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
        for n in range(5):
            frame = av.VideoFrame.from_image(Image.new("RGB", (128, 96), (n * 40, 0, 0)))
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    buffer.seek(0)
    info = probe_media(buffer, "video/mp4")
    (video,) = [s for s in info.streams if s.type == "video"]
    assert video.codec == "av1"
    assert video.frame_rate == 25


def _iptc(*keywords: str) -> bytes:
    return b"".join(b"\x1c\x02\x19" + struct.pack(">H", len(k.encode())) + k.encode() for k in keywords)


def _raw_profile(name: str, data: bytes) -> str:
    """A "Raw profile" PNG text as ImageMagick and exiftool write it: name, length, hex lines."""
    hexed = data.hex()
    lines = [hexed[i : i + 72] for i in range(0, len(hexed), 72)]
    return "\n".join(["", name, f"{len(data):8d}", *lines, ""])


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(_iptc("alpha", "beta"), id="iptc-records-as-imagemagick-writes-them"),
        pytest.param(
            b"8BIM\x04\x04\x00\x00" + struct.pack(">I", 19) + _iptc("alpha", "beta") + b"\x00",
            id="in-a-photoshop-resource-as-exiftool-writes-them",
        ),
    ],
)
def test_png_keywords_come_from_its_raw_iptc_profile(profile: bytes) -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Raw profile type iptc", _raw_profile("IPTC profile", profile), zip=True)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(buffer, "PNG", pnginfo=text)
    description = image_facts(io.BytesIO(buffer.getvalue())).description
    assert description is not None
    assert description.keywords == ["alpha", "beta"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("\nIPTC profile\n  nope\n1c02\n", id="length-not-a-number"),
        pytest.param("\nIPTC profile\n       4\nzz\n", id="not-hex"),
        pytest.param("", id="empty"),
    ],
)
def test_a_broken_raw_profile_is_no_keywords(text: str) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type iptc", text)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), "teal").save(buffer, "PNG", pnginfo=info)
    assert image_facts(io.BytesIO(buffer.getvalue())).description is None


def test_a_jpeg_xl_container_gives_its_xmp_box() -> None:
    from dam.media.metadata import jxl_xmp

    def box(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", 8 + len(data)) + kind + data

    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    large = struct.pack(">I", 1) + b"jxlc" + struct.pack(">Q", 16 + 100) + b"\x00" * 100
    container = box(b"JXL ", b"\r\n\x87\n") + box(b"ftyp", b"jxl \x00\x00\x00\x00jxl ") + large
    assert jxl_xmp(container + box(b"Exif", b"\x00" * 8) + box(b"xml ", xmp)) == xmp
    assert jxl_xmp(container) is None
    assert jxl_xmp(b"\xff\x0a" + b"\x00" * 40) is None  # a bare codestream has no boxes
    assert jxl_xmp(container + struct.pack(">I", 4) + b"xml ") is None  # a size below its header
