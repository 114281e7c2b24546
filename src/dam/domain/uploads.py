"""Upload planning: single PUT or multipart, part sizes, which parts to presign. Pure functions."""

from __future__ import annotations

import math
from datetime import datetime

import msgspec

from dam.domain.errors import InvalidInput

MAX_PARTS = 10_000  # S3's limit on parts per multipart upload
UNKNOWN_SIZE_BATCH = 16  # parts presigned at a time when the total size was not declared
MiB = 1024 * 1024
MIN_PART = 5 * MiB  # S3's smallest part: every part but the last holds at least this much


def part_cap(limit: int) -> int:
    """The highest part number an upload of at most ``limit`` bytes can need, whatever part sizes
    its client picks: every part but the last holds at least 5 MiB."""
    return max(1, min(MAX_PARTS, math.ceil(limit / MIN_PART)))


def signing_ttl(presign_ttl: int, until: float | None, now: float) -> int:
    """Seconds an upload URL or form lives: ``DAM_PRESIGN_TTL``, and never past ``until`` (the
    epoch second an upload token expires; None for other credentials). At least one second."""
    if until is None:
        return presign_ttl
    return max(1, min(presign_ttl, math.floor(until - now)))


def use_multipart(size: int | None, requested: bool, threshold: int) -> bool:
    """Multipart when asked for, or when the declared size is above the threshold."""
    return requested or (size is not None and size > threshold)


def part_size_for(size: int | None, configured: int) -> int:
    """The configured part size, grown (in whole MiB) when needed to stay within 10,000 parts."""
    if size is None or math.ceil(size / configured) <= MAX_PARTS:
        return configured
    return math.ceil(size / MAX_PARTS / MiB) * MiB


def part_count(size: int | None, part_size: int) -> int | None:
    """How many parts a declared size takes; None when the size is unknown."""
    if size is None:
        return None
    return max(1, math.ceil(size / part_size))


def parts_to_presign(total: int | None, stored: set[int], requested: list[int] | None) -> list[int]:
    """Explicitly requested parts, else every part storage does not hold yet."""
    if requested:
        bad = [n for n in requested if not 1 <= n <= (total or MAX_PARTS)]
        if bad:
            limit = total or MAX_PARTS
            raise InvalidInput(f"part_numbers must be between 1 and {limit}; got {bad[:5]}")
        return sorted(set(requested))
    if total is not None:
        return [n for n in range(1, total + 1) if n not in stored]
    start = max(stored, default=0) + 1
    return list(range(start, min(start + UNKNOWN_SIZE_BATCH, MAX_PARTS + 1)))


class StoredPart(msgspec.Struct, frozen=True, kw_only=True):
    """A part storage already holds for a multipart upload (from S3 ListParts)."""

    number: int
    etag: str
    size: int


class PartUrl(msgspec.Struct, kw_only=True):
    """A presigned URL for one part, and the headers its signature covers."""

    number: int
    url: str
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class SingleUpload(msgspec.Struct, kw_only=True, tag_field="method", tag="PUT"):
    """Upload the whole file with one PUT to ``url``, sending exactly ``headers``."""

    url: str
    headers: dict[str, str]
    expires_at: datetime


class MultipartUpload(msgspec.Struct, kw_only=True, tag_field="method", tag="multipart"):
    """PUT each part to its URL, keep each ETag, then complete with the list."""

    upload_id: str
    part_size: int
    parts: list[PartUrl]
    uploaded_parts: list[StoredPart]
    expires_at: datetime
    part_count: int | None = None
    part_checksums: bool = False


UploadInstructions = SingleUpload | MultipartUpload
