"""What a step hands back: typed outputs, each persisted by its own ``db`` function in the step's
finish transaction (``services.processing``).

A tagged union (msgspec tagged Structs): a new kind of output (tags, text, other records) is one
Struct here with a tag of its own, added to ``Output``, and one persisting function beside the
others; runners never write to the database themselves.
"""

from __future__ import annotations

from typing import Any

import msgspec

from dam.domain.assets import Rendition
from dam.domain.media import MediaInfo


class Renditions(msgspec.Struct, frozen=True, kw_only=True, tag="renditions"):
    """Derived files the step stored (thumbnail, preview, poster, waveform, the download MP4)."""

    items: list[Rendition]


class MediaFacts(msgspec.Struct, frozen=True, kw_only=True, tag="media"):
    """Facts about the media the step found or corrected; the steps they call for are planned."""

    info: MediaInfo


class Tags(msgspec.Struct, frozen=True, kw_only=True, tag="tags"):
    """Keywords found in the file (IPTC/XMP keywords, an audio file's genre): tags of the asset,
    added after those it has (never removing one; one already there, in any case, is not repeated)."""

    names: list[str]


class Placeholder(msgspec.Struct, frozen=True, kw_only=True, tag="placeholder"):
    """The ThumbHash of the thumbnail the step stored: what a list shows until the thumbnail loads.
    It replaces the asset's earlier one, as the thumbnail replaces the earlier thumbnail."""

    thumbhash: bytes


class Found(msgspec.Struct, frozen=True, kw_only=True, tag="found"):
    """What an enrichment step's model found: the kind's record (replacing an earlier run's), with
    the model that found it, the ``result`` the asset's ``enrichment`` shows, the plain ``text``
    search reads (weight D) and the ``flags`` that ``has=`` filters by (``text``...)."""

    kind: str
    model: str
    model_version: str
    result: dict[str, Any]
    text: str = ""
    flags: list[str] = msgspec.field(default_factory=list)
    # Model tags (word -> confidence) replacing the kind's earlier ones; None: the kind tags nothing.
    tags: dict[str, float] | None = None


class Hashes(msgspec.Struct, frozen=True, kw_only=True, tag="hashes"):
    """Perceptual hashes of the asset's pictures (frame 0 the preview or poster), replacing the
    model's earlier ones: what near-duplicates are found by."""

    model: str
    values: list[int]


Output = Renditions | MediaFacts | Tags | Placeholder | Found | Hashes


class StepResult(msgspec.Struct, kw_only=True):
    """What one run of a step produced. ``more``: part of the work is done and the rest needs another
    job (a chunk of the ladder): that job's id suffix, and ``progress``, how far the step is."""

    outputs: list[Output] = msgspec.field(default_factory=list)
    more: str | None = None
    progress: float | None = None

    def renditions(self) -> list[Rendition]:
        """Every rendition among the outputs."""
        return [r for out in self.outputs if isinstance(out, Renditions) for r in out.items]
