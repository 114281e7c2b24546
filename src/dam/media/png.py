"""A PNG's eXIf chunk after the image data, found without decoding the pixels or reading their bytes.

Pillow reads the chunks before the first IDAT when it opens a PNG; an eXIf after the image data
(ImageMagick writes it there, and exiftool edits it where it is) is seen only by a full decode. Those
chunks are at the end of the file, so the last ``TAIL`` bytes are read (one or two blocks of the
ranged reader) and walked in memory. Walking every chunk header from the start would fetch the whole
file: encoders split the image data into 8-32 KiB IDAT chunks, and a ranged read fetches 320 KiB.

A candidate eXIf in the tail is taken only when its CRC matches, it is at most ``MAX_EXIF`` bytes,
and the chunks from it lead, header by header, to IEND at the very end of the file: bytes of the
compressed image that happen to spell ``eXIf`` are never taken for it. Anything else is no EXIF.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from typing import IO, NamedTuple

SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_EXIF = 64 * 1024  # as a JPEG's APP1 segment: larger ones are ignored
TAIL = MAX_EXIF + 64 * 1024  # the eXIf and the chunks after it (text, time) up to IEND
CANDIDATES = 8  # bytes spelling eXIf looked at, at most (each costs a CRC of up to MAX_EXIF bytes)
_HEADER = struct.Struct(">I4s")


class Chunk(NamedTuple):
    """One chunk of a PNG: where it starts in the bytes walked, its type, its data and whether the
    CRC stored after it matches."""

    at: int
    kind: bytes
    data: bytes
    crc_ok: bool


def chunks(data: bytes, at: int = len(SIGNATURE)) -> Iterator[Chunk]:
    """The chunks of ``data`` from offset ``at`` to IEND (included); stops early, without an error,
    at a chunk that is cut short, longer than what is left, or whose type is not four letters."""
    while at + 12 <= len(data):
        length, kind = _HEADER.unpack_from(data, at)
        end = at + 8 + length
        if not kind.isalpha() or end + 4 > len(data):
            return
        body = data[at + 8 : end]
        (crc,) = struct.unpack_from(">I", data, end)
        yield Chunk(at, kind, body, zlib.crc32(body, zlib.crc32(kind)) == crc)
        if kind == b"IEND":
            return
        at = end + 4


def exif_in(data: bytes, at: int = len(SIGNATURE)) -> bytes | None:
    """The eXIf payload of the chunks of ``data`` walked from ``at``: None unless it is whole, its
    CRC matches, it is at most ``MAX_EXIF`` bytes, and the walk ends at IEND, the last bytes."""
    found = None
    for chunk in chunks(data, at):
        if chunk.kind == b"eXIf" and found is None:
            if not chunk.crc_ok or len(chunk.data) > MAX_EXIF:
                return None
            found = chunk.data
        if chunk.kind == b"IEND":
            return found if chunk.at + 12 == len(data) else None
    return None


def tail_exif(fp: IO[bytes]) -> bytes | None:
    """The eXIf payload among the chunks at the end of a PNG (after its image data), reading only
    the last ``TAIL`` bytes; the file position is left where it was."""
    at = fp.tell()
    try:
        size = fp.seek(0, 2)
        start = max(len(SIGNATURE), size - TAIL)
        fp.seek(start)
        tail = fp.read(size - start)
    except OSError:
        return None
    finally:
        fp.seek(at)
    return find_exif(tail)


def find_exif(tail: bytes) -> bytes | None:
    """The eXIf payload in the last bytes of a PNG: the first ``eXIf`` type whose chunk walks to IEND."""
    index = tail.find(b"eXIf", 4)
    for _ in range(CANDIDATES):
        if index < 0:
            break
        found = exif_in(tail, index - 4)
        if found is not None:
            return found
        index = tail.find(b"eXIf", index + 1)
    return None
