"""What enrichment found, as read back: one kind's step and record, and a near-duplicate."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

DEFAULT_MAX_DISTANCE = 10  # of 64 bits: a copy re-encoded, resized to 70% and cropped by 3% is within it
MAX_DISTANCE = 16  # beyond it unrelated pictures start to match (half the bits differ at random)
SIMILAR_LIMIT = 100


class Enrichment(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of enrichment of an asset: its step's state, the model that ran and what it found
    (None until it has run; ``error`` when it failed)."""

    kind: str
    state: str
    model: str | None
    model_version: str | None
    result: dict[str, Any] | None
    error: str | None = None


class Similar(msgspec.Struct, frozen=True, kw_only=True):
    """Another asset whose picture is within ``distance`` bits of this one's."""

    asset_id: uuid.UUID
    distance: int
