"""An ISO BMFF reader of the test suite's own (not the service's): what a player reads from a CMAF
segment, to check the ladder's output against its playlists."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_NESTED = {b"moof", b"traf", b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def _walk(data: bytes, start: int, end: int, out: dict[bytes, list[tuple[int, int]]]) -> None:
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, offset + 8)[0], 16
        assert header <= size <= end - offset, f"broken box {kind!r} at {offset}"
        out.setdefault(kind, []).append((offset + header, offset + size))
        if kind in _NESTED:
            _walk(data, offset + header, offset + size, out)
        offset += size


def index(data: bytes) -> dict[bytes, list[tuple[int, int]]]:
    """Every box by type: payload start and end."""
    out: dict[bytes, list[tuple[int, int]]] = {}
    _walk(data, 0, len(data), out)
    return out


@dataclass
class Fragment:
    """What one media segment holds: decode time, sample durations, and the first sample's bytes."""

    decode_time: int
    durations: list[int]
    first_sample: bytes

    @property
    def duration(self) -> int:
        return sum(self.durations)


def fragment(data: bytes, default_duration: int = 0) -> Fragment:
    """Read a segment of one track fragment (tfdt + trun, default-base-is-moof)."""
    boxes = index(data)
    assert len(boxes.get(b"moof", [])) == 1, "one moof"
    assert len(boxes.get(b"mdat", [])) == 1, "one mdat"
    tfdt_at, _ = boxes[b"tfdt"][0]
    version = data[tfdt_at]
    decode_time = struct.unpack_from(">Q" if version == 1 else ">I", data, tfdt_at + 4)[0]
    trun_at, _ = boxes[b"trun"][0]
    flags = int.from_bytes(data[trun_at + 1 : trun_at + 4], "big")
    count = struct.unpack_from(">I", data, trun_at + 4)[0]
    pos = trun_at + 8
    data_offset = 0
    if flags & 0x1:
        data_offset = struct.unpack_from(">i", data, pos)[0]
        pos += 4
    if flags & 0x4:
        pos += 4
    durations, sizes = [], []
    for _ in range(count):
        duration = default_duration
        if flags & 0x100:
            duration = struct.unpack_from(">I", data, pos)[0]
            pos += 4
        if flags & 0x200:
            sizes.append(struct.unpack_from(">I", data, pos)[0])
            pos += 4
        pos += 4 * (bool(flags & 0x400) + bool(flags & 0x800))
        durations.append(duration)
    moof_start = boxes[b"moof"][0][0] - 8
    first = moof_start + data_offset
    return Fragment(decode_time, durations, data[first : first + sizes[0]] if sizes else b"")


def nal_types(sample: bytes) -> list[int]:
    """The NAL unit types of a length-prefixed H.264 sample (5: IDR slice)."""
    types, pos = [], 0
    while pos + 4 <= len(sample):
        (length,) = struct.unpack_from(">I", sample, pos)
        types.append(sample[pos + 4] & 0x1F)
        pos += 4 + length
    return types


def timescale(init: bytes) -> int:
    """The track's timescale (mdhd)."""
    at, _ = index(init)[b"mdhd"][0]
    return int(struct.unpack_from(">I", init, at + (20 if init[at] == 1 else 12))[0])
