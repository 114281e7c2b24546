"""Asset states and the transitions allowed between them."""

from __future__ import annotations

import enum


class AssetStatus(enum.StrEnum):
    """Lifecycle of an asset."""

    PENDING_UPLOAD = "pending_upload"
    UPLOADED = "uploaded"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    DELETED = "deleted"


_S = AssetStatus
TRANSITIONS: dict[AssetStatus, frozenset[AssetStatus]] = {
    _S.PENDING_UPLOAD: frozenset({_S.UPLOADED, _S.FAILED, _S.DELETED}),
    _S.UPLOADED: frozenset({_S.PROCESSING, _S.FAILED, _S.DELETED}),
    _S.PROCESSING: frozenset({_S.READY, _S.FAILED, _S.UPLOADED, _S.DELETED}),
    _S.READY: frozenset({_S.UPLOADED, _S.DELETED}),
    _S.FAILED: frozenset({_S.UPLOADED, _S.DELETED}),
    _S.DELETED: frozenset(),
}


def can_transition(current: AssetStatus, new: AssetStatus) -> bool:
    """Whether ``current -> new`` is a legal move."""
    return new in TRANSITIONS[current]


def sources_of(new: AssetStatus) -> tuple[AssetStatus, ...]:
    """Every status from which ``new`` may be reached (the SQL guard for a transition)."""
    return tuple(sorted(s for s, targets in TRANSITIONS.items() if new in targets))
