"""Asset states, the transitions allowed between them, and the guarded moves built from them.

``TRANSITIONS`` is the only statement of legal moves: every SQL guard in ``db/`` is a ``Move``
made by ``move()``, which refuses at import time a move the table does not allow.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec


class AssetStatus(enum.StrEnum):
    """Lifecycle of an asset."""

    PENDING_UPLOAD = "pending_upload"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    TRASHED = "trashed"  # deleted by someone, its bytes kept until ``purge_at``: it can be restored
    DELETED = "deleted"


_S = AssetStatus
TRANSITIONS: dict[AssetStatus, frozenset[AssetStatus]] = {
    _S.PENDING_UPLOAD: frozenset({_S.UPLOADED, _S.FAILED, _S.DELETED}),
    _S.UPLOADED: frozenset({_S.PROCESSING, _S.FAILED, _S.TRASHED, _S.DELETED}),
    _S.PROCESSING: frozenset({_S.READY, _S.FAILED, _S.UPLOADED, _S.TRASHED, _S.DELETED}),
    _S.READY: frozenset({_S.UPLOADED, _S.TRASHED, _S.DELETED}),
    _S.FAILED: frozenset({_S.UPLOADED, _S.TRASHED, _S.DELETED}),
    # Restored to where it was (ready, failed), or to processing again from the start (uploaded);
    # purged (deleted) when its time in the trash is up.
    _S.TRASHED: frozenset({_S.READY, _S.FAILED, _S.UPLOADED, _S.DELETED}),
    _S.DELETED: frozenset(),
}
# Statuses in which an asset is gone for everyone but GET /assets/{id} and the trash: left out of
# listings, search, collections, share links and streams, as an unknown asset is.
HIDDEN = frozenset({_S.TRASHED, _S.DELETED})
# Statuses in which the stored original is the asset's (what reads and reprocessing may rely on).
HAS_OBJECT = frozenset({_S.UPLOADED, _S.PROCESSING, _S.READY, _S.FAILED})


def can_transition(current: AssetStatus, new: AssetStatus) -> bool:
    """Whether ``current -> new`` is a legal move."""
    return new in TRANSITIONS[current]


def sources_of(new: AssetStatus) -> tuple[AssetStatus, ...]:
    """Every status from which ``new`` may be reached (the SQL guard for a transition)."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if new in targets))


class Move(msgspec.Struct, frozen=True):
    """A guarded status change: from any of ``sources`` to ``target``."""

    sources: tuple[AssetStatus, ...]
    target: AssetStatus

    @property
    def source_values(self) -> list[str]:
        """The sources as the SQL guard's ``status = ANY($n)`` argument."""
        return [s.value for s in self.sources]


def move(target: AssetStatus, *, sources: Iterable[AssetStatus] | None = None) -> Move:
    """A move to ``target`` from ``sources`` (default: every legal source); illegal ones are refused."""
    chosen = tuple(sorted(set(sources))) if sources is not None else sources_of(target)
    illegal = [s.value for s in chosen if not can_transition(s, target)]
    if illegal or not chosen:
        raise ValueError(f"{illegal or 'no source'} -> {target.value} is not in the transition table")
    return Move(chosen, target)
