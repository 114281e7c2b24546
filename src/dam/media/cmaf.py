"""CMAF media segments written by hand, and what an init segment says (ISO BMFF boxes).

FFmpeg's mp4 muxer writes each rendition's init segment (``ftyp`` + ``moov``, with the codec's
``avcC``/``esds``). The media segments (``styp`` + ``moof`` + ``mdat``) are ours: FFmpeg rebases
every fragmented output to time zero and cuts audio fragments only by duration, while a chunk of
the ladder needs its fragments at their place in the whole video and on the segment grid. One
``moof`` per segment: one track fragment, its decode time in ``tfdt`` (version 1), every sample's
duration, size, flags and composition offset (signed, version 1) in ``trun``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import msgspec

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"mp4a", b"moof", b"traf"}
# Sample flags (ISO/IEC 14496-12 8.8.3.1): a sync sample depends on nothing; others depend on one.
_SYNC = 0x02000000
_NON_SYNC = 0x01010000
_TRACK_ID = 1  # FFmpeg's muxer numbers the one track of each init segment 1


class Sample(msgspec.Struct, frozen=True, array_like=True):
    """One encoded frame as a segment holds it."""

    duration: int
    size: int
    sync: bool
    composition_offset: int


def box(kind: bytes, *payload: bytes) -> bytes:
    """An ISO BMFF box."""
    body = b"".join(payload)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    """A box with version and flags."""
    return box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def segment(sequence: int, decode_time: int, samples: list[Sample], data: bytes) -> bytes:
    """A media segment: ``styp``, one ``moof`` with one track fragment, the ``mdat`` of ``data``."""
    styp = box(b"styp", b"msdh", struct.pack(">I", 0), b"msdh", b"msix", b"cmfs")
    mfhd = full_box(b"mfhd", 0, 0, struct.pack(">I", sequence))
    tfhd = full_box(b"tfhd", 0, 0x020000, struct.pack(">I", _TRACK_ID))  # default-base-is-moof
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time))
    # data-offset, sample duration, size, flags and composition offset present.
    entries = b"".join(
        struct.pack(">IIIi", s.duration, s.size, _SYNC if s.sync else _NON_SYNC, s.composition_offset)
        for s in samples
    )
    trun_size = 8 + 4 + 4 + 4 + len(entries)
    moof_size = 8 + len(mfhd) + 8 + len(tfhd) + len(tfdt) + trun_size
    trun = full_box(b"trun", 1, 0x000F01, struct.pack(">Ii", len(samples), moof_size + 8), entries)
    moof = box(b"moof", mfhd, box(b"traf", tfhd, tfdt, trun))
    assert len(moof) == moof_size
    return styp + moof + box(b"mdat", data)


def length_prefixed(annex_b: bytes) -> bytes:
    """H.264 NAL units as MP4 stores them (each after its 4-byte length), from the start-code form
    libx264 emits (FFmpeg's muxer converts the same way when it writes)."""
    starts = []
    index = annex_b.find(b"\x00\x00\x01")
    while index != -1:
        starts.append(index + 3)
        index = annex_b.find(b"\x00\x00\x01", index + 3)
    if not starts:
        return annex_b  # already length-prefixed
    out = bytearray()
    for i, begin in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(annex_b)
        while end > begin and annex_b[end - 1] == 0:  # a 4-byte start code's leading zero, trailing zeros
            end -= 1
        out += struct.pack(">I", end - begin) + annex_b[begin:end]
    return bytes(out)


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """The boxes in ``data[start:end]``: type, offset of the payload, end."""
    end = len(data) if end is None else end
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            return
        yield kind, offset + header, offset + size
        offset += size


def find(data: bytes, path: list[bytes], start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """The payload span of the first box along ``path`` (sample entries' own fields skipped)."""
    for kind, payload, stop in boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            return payload, stop
        skip = {b"stsd": 8, b"avc1": 78, b"mp4a": 28}.get(kind, 0)
        found = find(data, path[1:], payload + skip, stop)
        if found is not None:
            return found
    return None


def timescale(init: bytes) -> int:
    """The track's timescale, from ``mdhd``."""
    span = find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if span is None:
        raise ValueError("init segment without mdhd")
    version = init[span[0]]
    return int(struct.unpack_from(">I", init, span[0] + (20 if version == 1 else 12))[0])


def avc_codecs(init: bytes) -> str:
    """RFC 6381 codecs string of an H.264 track (``avc1.640028``), from its ``avcC``."""
    span = find(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"])
    if span is None:
        raise ValueError("init segment without avcC")
    profile, constraints, level = init[span[0] + 1 : span[0] + 4]
    return f"avc1.{profile:02x}{constraints:02x}{level:02x}"
