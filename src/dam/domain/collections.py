"""Collections as the services see them: nested in one workspace, plain (ordered members of their
own) or smart (a stored query, members found by search); pure rules, no I/O.

Members are ordered by sparse integer positions: adding at the end takes the last position plus
``GAP``; moving ``k`` members before another takes ``k`` free positions between that member and the
one before it (``plan_move``); only when no such room is left is the collection renumbered
(``GAP`` apart again), which happens once per ~16 moves into the same spot at worst.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Sequence
from datetime import datetime

import msgspec

from dam.domain.access import Owner
from dam.domain.errors import InvalidInput

MAX_NAME = 200
MAX_DESCRIPTION = 10_000
MAX_QUERY = 2000
MAX_IDS = 1000
"""Asset ids one call may add, remove or move."""

GAP = 1 << 16
"""Room between neighbouring positions after a renumbering (and between members added at the end)."""


class Collection(msgspec.Struct, frozen=True, kw_only=True):
    """A collection's record; ``asset_count`` is its members that are not deleted (None: a smart
    collection, whose members are a search)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    description: str
    parent_id: uuid.UUID | None
    query: str | None
    created_by: uuid.UUID | None
    created_by_key: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    asset_count: int | None = None

    @property
    def smart(self) -> bool:
        """Whether its members are a search rather than its own."""
        return self.query is not None

    @property
    def owner(self) -> Owner:
        """Who made it (contributors change only the collections they made)."""
        return Owner(user_id=self.created_by, key_id=self.created_by_key)


class Node(msgspec.Struct, frozen=True, kw_only=True):
    """A collection in the workspace's tree, with the first member that shows as its cover."""

    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    asset_count: int | None
    cover_asset_id: uuid.UUID | None


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """What a ``PATCH`` changes (``UNSET``: left as it is; ``parent_id`` None: to the top)."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    description: str | msgspec.UnsetType = msgspec.UNSET
    parent_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET


def clean_name(name: str) -> str:
    """A collection's name as given, or refused: 1 to 200 characters, not only whitespace, no
    control characters."""
    if not name.strip():
        raise InvalidInput("name must not be empty or only whitespace")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name must be at most {MAX_NAME} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for ch in name):
        raise InvalidInput("name must not contain control characters")
    return name


def clean_text(value: str, field: str, limit: int) -> str:
    """A description or query as given, or refused past ``limit`` characters."""
    if len(value) > limit:
        raise InvalidInput(f"{field} must be at most {limit} characters")
    return value


def clean_ids(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The asset ids of one call, duplicates dropped (the first kept), at most ``MAX_IDS``."""
    if not ids:
        raise InvalidInput("asset_ids must name at least one asset")
    if len(ids) > MAX_IDS:
        raise InvalidInput(f"asset_ids may name at most {MAX_IDS} assets per call, not {len(ids)}")
    return list(dict.fromkeys(ids))


def plan_move(previous: int, following: int | None, count: int) -> list[int] | None:
    """Positions for ``count`` members placed after ``previous`` and before ``following`` (None:
    at the end), evenly spread; None when there is no room (renumber, then plan again)."""
    if following is None:
        return [previous + GAP * n for n in range(1, count + 1)]
    step = (following - previous) // (count + 1)
    if step < 1:
        return None
    return [previous + step * n for n in range(1, count + 1)]


def missing(what: str, ids: Sequence[uuid.UUID]) -> str:
    """The message naming ids that are unknown (another workspace's are named just the same)."""
    shown = ", ".join(str(i) for i in ids[:5])
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return f"{what} not found: {shown}{more}"
