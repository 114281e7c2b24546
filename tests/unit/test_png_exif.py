"""A PNG's eXIf chunk, before or after the image data, read without decoding or fetching the pixels;
anything malformed is no EXIF, never an error. The PNGs are built by hand, chunk by chunk."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from dam.media import png
from dam.media.images import image_facts, render_image

WIDTH, HEIGHT = 8, 6


def _chunk(kind: bytes, data: bytes, crc: int | None = None) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind)) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _exif(orientation: int = 6) -> bytes:
    """An eXIf payload (a TIFF structure): make, model, orientation, DateTimeOriginal."""
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS R5", orientation
    exif.get_ifd(0x8769)[0x9003] = "2024:05:06 07:08:09"
    return exif.tobytes().removeprefix(b"Exif\x00\x00")


def _png(before: bytes = b"", after: bytes = b"", idat: bytes | None = None) -> bytes:
    """An 8x6 RGB PNG with ``before`` and ``after`` its image data."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0))
    row = [b"\x00" + b"".join(bytes([x * 30, y * 40, 90]) for x in range(WIDTH)) for y in range(HEIGHT)]
    raw = b"".join(row)
    data = _chunk(b"IDAT", zlib.compress(raw)) if idat is None else idat
    return png.SIGNATURE + header + before + data + after + _chunk(b"IEND", b"")


AFTER = _png(after=_chunk(b"eXIf", _exif()) + _chunk(b"tEXt", b"Comment\x00after the exif"))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_png(before=_chunk(b"eXIf", _exif())), id="before-the-image-data"),
        pytest.param(AFTER, id="after-the-image-data"),
    ],
)
def test_camera_and_capture_time_come_from_an_exif_chunk(data: bytes) -> None:
    info = image_facts(io.BytesIO(data), fmt="PNG")
    assert info.camera is not None
    assert (info.camera.make, info.camera.model) == ("Canon", "EOS R5")
    assert info.captured_at == "2024-05-06T07:08:09"
    assert info.orientation == 6
    assert (info.width, info.height) == (HEIGHT, WIDTH)  # as displayed


def test_the_renditions_are_turned_as_the_facts_say() -> None:
    info, files = render_image(io.BytesIO(AFTER), fmt="PNG")
    assert (info.width, info.height) == (HEIGHT, WIDTH)
    assert {(f.width, f.height) for f in files} == {(HEIGHT, WIDTH)}


def test_the_walker_takes_the_exif_chunk_from_the_tail_and_leaves_the_position() -> None:
    fp = io.BytesIO(AFTER)
    fp.seek(33)
    assert png.tail_exif(fp) == _exif()
    assert fp.tell() == 33


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_png(), id="none"),
        pytest.param(_png(after=_chunk(b"eXIf", _exif(), crc=1234)), id="bad-crc"),
        pytest.param(_png(after=_chunk(b"eXIf", _exif() + b"\x00" * png.MAX_EXIF)), id="over-64-kib"),
        pytest.param(AFTER[: AFTER.index(b"eXIf") + 40], id="truncated-in-the-chunk"),
        pytest.param(AFTER[:-12], id="no-iend"),
        pytest.param(_png(after=struct.pack(">I", 0xFFFFFFF0) + b"eXIf" + _exif()), id="length-past-the-end"),
        pytest.param(
            # Compressed pixels that happen to spell a chunk header are not a chunk.
            _png(idat=_chunk(b"IDAT", b"\x00\x00\x00\x10eXIf" + b"\x07" * 40)),
            id="exif-spelt-inside-the-image-data",
        ),
    ],
)
def test_no_exif_or_a_malformed_one_is_no_camera_and_no_error(data: bytes) -> None:
    assert png.tail_exif(io.BytesIO(data)) is None
    info = image_facts(io.BytesIO(data), fmt="PNG")
    assert info.camera is None
    assert info.captured_at is None
    assert (info.width, info.height) == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_png(after=_chunk(b"eXIf", _exif(), crc=1234)), id="bad-crc-not-applied"),
        pytest.param(AFTER[: AFTER.index(b"eXIf") + 40], id="cut-short-after-the-pixels"),
    ],
)
def test_the_image_still_renders_unturned(data: bytes) -> None:
    info, files = render_image(io.BytesIO(data), fmt="PNG")
    assert info.camera is None
    assert {(f.width, f.height) for f in files} == {(WIDTH, HEIGHT)}


def test_an_unreadable_exif_payload_is_no_camera() -> None:
    data = _png(after=_chunk(b"eXIf", b"MM\x00*\x00\x00\xff\xff" + b"\x01" * 50))
    with pytest.warns(UserWarning, match="Corrupt EXIF"):  # Pillow's; a log line in the worker
        info = image_facts(io.BytesIO(data), fmt="PNG")
    assert info.camera is None


class _Counting(io.BytesIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_only_the_tail_of_a_large_png_is_read() -> None:
    pixels = b"".join(_chunk(b"IDAT", bytes(32 * 1024)) for _ in range(256))  # 8 MiB of image data
    fp = _Counting(_png(after=_chunk(b"eXIf", _exif()), idat=pixels))
    assert png.tail_exif(fp) == _exif()
    assert fp.read_bytes <= png.TAIL
    assert fp.read_bytes < len(fp.getvalue()) / 50
