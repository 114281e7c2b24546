"""What enrichment found, as read back: one kind's step and record, and a near-duplicate."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from dam.domain.steps import ENRICH_KINDS

if TYPE_CHECKING:  # assets.py imports this module (an asset's detail holds its enrichment)
    from dam.domain.assets import StepRecord

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


class Findings(msgspec.Struct, frozen=True, kw_only=True):
    """What one kind's last run found (its ``enrichments`` row), people's answers to its tags marked."""

    model: str
    model_version: str
    result: dict[str, Any]


def enrichment_of(steps: Sequence[StepRecord], found: Mapping[str, Findings]) -> list[Enrichment]:
    """Each enrichment step of an asset (in plan order) with what its kind last found (while the
    step runs again, the earlier run's findings)."""
    shown = []
    for step in steps:
        if step.name not in ENRICH_KINDS:
            continue
        findings = found.get(step.name)
        shown.append(
            Enrichment(
                kind=step.name,
                state=step.state,
                error=step.error,
                model=findings.model if findings else None,
                model_version=findings.model_version if findings else None,
                result=findings.result if findings else None,
            )
        )
    return shown


class Similar(msgspec.Struct, frozen=True, kw_only=True):
    """Another asset whose picture is within ``distance`` bits of this one's."""

    asset_id: uuid.UUID
    distance: int
