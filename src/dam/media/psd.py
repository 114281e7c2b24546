"""Photoshop documents of 16 and 32 bits per channel: the composite image, read by us.

Pillow reads 8-bit PSDs (its composite is frame 0); deeper ones it does not open. Their layout is
simple: a header, three length-prefixed sections (colour mode data, image resources with the ICC
profile as resource 1039, layers), then the composite, planar, raw or PackBits per row.
"""

from __future__ import annotations

import struct
from typing import IO, Any

import numpy as np
from PIL import Image

from dam.domain.media import MediaRejected

MODES = {1: "L", 3: "RGB", 4: "CMYK"}  # greyscale, RGB, CMYK; others (Lab, duotone...) are refused
_ICC = 1039
MAX_RESOURCES = 64 * 1024 * 1024


class Header:
    """What the file header says, and where the composite starts."""

    def __init__(self, width: int, height: int, channels: int, depth: int, mode: int, version: int) -> None:
        self.width, self.height, self.channels, self.depth, self.mode, self.version = (
            width, height, channels, depth, mode, version,
        )  # fmt: skip
        self.icc: bytes | None = None
        self.composite_at: int | None = None


def header(fp: IO[bytes]) -> Header | None:
    """The header of a deep (16/32-bit) PSD or PSB, or None for an 8-bit one (Pillow reads those)."""
    data = fp.read(26)
    if len(data) < 26 or data[:4] != b"8BPS":
        raise MediaRejected("not a Photoshop document")
    version, channels, height, width, depth, mode = struct.unpack(">H6xHIIHH", data[4:26])
    fp.seek(0)
    if depth == 8 or version not in {1, 2}:
        return None
    if depth not in {16, 32} or mode not in MODES:
        raise MediaRejected(f"Photoshop documents of {depth} bits in colour mode {mode} are not supported")
    return Header(width, height, channels, depth, mode, version)


def resources(fp: IO[bytes], head: Header) -> None:
    """Read the sections before the composite: the ICC profile, and where the composite starts."""
    fp.seek(26)
    fp.seek(_length(fp, 4), 1)  # colour mode data
    size = _length(fp, 4)
    if size > MAX_RESOURCES:
        raise MediaRejected("the Photoshop document's image resources are implausibly large")
    head.icc = _icc(fp.read(size))
    fp.seek(_length(fp, 4 if head.version == 1 else 8), 1)  # layers and masks
    head.composite_at = fp.tell()


def composite(fp: IO[bytes], head: Header) -> Image.Image:
    """The composite as an 8-bit image of the document's mode (L, RGB or CMYK)."""
    if head.composite_at is None:
        resources(fp, head)
    fp.seek(head.composite_at or 0)
    data = fp.read(2)
    if len(data) < 2:
        raise MediaRejected("the Photoshop document is truncated before its composite")
    (compression,) = struct.unpack(">H", data)
    wanted = len(MODES[head.mode])
    planes = _planes(fp, head, compression, wanted)
    if head.mode == 4:
        planes = [255 - p for p in planes]  # Photoshop stores CMYK inverted (0 is full ink)
    return Image.merge(MODES[head.mode], [Image.fromarray(p, "L") for p in planes])


def _planes(fp: IO[bytes], head: Header, compression: int, wanted: int) -> list[Any]:
    """The first ``wanted`` channel planes, each made 8-bit as soon as it is read."""
    plane = head.width * head.height * head.depth // 8
    if compression == 0:
        return [_eight_bit(fp.read(plane), head) for _ in range(wanted)]
    if compression != 1:
        raise MediaRejected(f"Photoshop composite compression {compression} is not supported")
    count = 2 if head.version == 1 else 4
    table = fp.read(head.channels * head.height * count)
    if len(table) < head.channels * head.height * count:
        raise MediaRejected("the Photoshop composite is truncated")
    lengths = np.frombuffer(table, dtype=">u2" if count == 2 else ">u4").reshape(head.channels, head.height)
    return [_eight_bit(_unpack(fp.read(int(lengths[c].sum())), plane), head) for c in range(wanted)]


def _unpack(data: bytes, size: int) -> bytes:
    """PackBits, decoded by Pillow's C decoder."""
    try:
        return Image.frombytes("L", (size, 1), data, "packbits", "L").tobytes()
    except ValueError:
        raise MediaRejected("the Photoshop composite is truncated or corrupt") from None


def _eight_bit(data: bytes, head: Header) -> Any:
    if len(data) < head.width * head.height * head.depth // 8:
        raise MediaRejected("the Photoshop composite is truncated")
    if head.depth == 16:
        values = np.frombuffer(data, dtype=">u2").reshape(head.height, head.width)
        return ((values.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    # 32-bit documents hold linear light: encoded with sRGB's transfer.
    linear = np.clip(np.frombuffer(data, dtype=">f4").reshape(head.height, head.width), 0.0, 1.0)
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
    return (encoded * 255 + 0.5).astype(np.uint8)


def _length(fp: IO[bytes], size: int) -> int:
    data = fp.read(size)
    if len(data) < size:
        raise MediaRejected("the Photoshop document is truncated")
    return int.from_bytes(data, "big")


def _icc(resources: bytes) -> bytes | None:
    return resource(resources, _ICC)


def resource(resources: bytes, wanted: int) -> bytes | None:
    """The data of one Photoshop image resource (``8BIM`` blocks: an ICC profile, IPTC records)."""
    at = 0
    while at + 12 <= len(resources) and resources[at : at + 4] == b"8BIM":
        (ident,) = struct.unpack(">H", resources[at + 4 : at + 6])
        name = resources[at + 6]
        at += 6 + ((name + 2) & ~1)
        if at + 4 > len(resources):
            return None
        (length,) = struct.unpack(">I", resources[at : at + 4])
        if ident == wanted:
            return resources[at + 4 : at + 4 + length]
        at += 4 + length + (length & 1)
    return None
