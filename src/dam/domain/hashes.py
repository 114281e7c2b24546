"""Perceptual hashes as numbers: 64-bit patterns held as PostgreSQL bigints, their Hamming distance,
and the 16-bit quarters a near-duplicate search looks up (migration 0022 says why)."""

from __future__ import annotations

BITS = 64
_MASK = (1 << BITS) - 1


def signed(value: int) -> int:
    """A 64-bit pattern as a signed integer (as a bigint holds it)."""
    value &= _MASK
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits two hashes differ in."""
    return ((a ^ b) & _MASK).bit_count()


def _smallint(value: int) -> int:
    return value - 0x10000 if value >= 0x8000 else value


def quarters(value: int) -> tuple[int, int, int, int]:
    """The hash's four 16-bit quarters, highest first, each as a signed smallint."""
    bits = value & _MASK
    q0, q1, q2, q3 = (_smallint((bits >> shift) & 0xFFFF) for shift in (48, 32, 16, 0))
    return q0, q1, q2, q3


def near(quarter: int, radius: int) -> list[int]:
    """Every 16-bit value (as a signed smallint) within ``radius`` bits of ``quarter``."""
    start = quarter & 0xFFFF
    found = {start}
    frontier = {start}
    for _ in range(radius):
        frontier = {value ^ (1 << bit) for value in frontier for bit in range(16)} - found
        found |= frontier
    return sorted(_smallint(v) for v in found)


def radius_of(max_distance: int) -> int:
    """The bits some quarter differs in at most when the whole differs in ``max_distance`` or fewer
    (pigeonhole: four quarters cannot all differ in more than ``max_distance // 4``)."""
    return max_distance // 4


def hex_of(value: int) -> str:
    """The hash as 16 hexadecimal digits."""
    return f"{value & _MASK:016x}"
