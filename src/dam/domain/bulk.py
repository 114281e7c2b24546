"""Changing many assets at once (``POST /assets/bulk``): the request's rules and each id's outcome,
decided in one pass over the rows the service has locked (pure; ``services/bulk.py`` locks, writes,
audits and refreshes).

A request names up to ``MAX_IDS`` assets (repeats count once, the first kept) and at least one
action: tags to add and to remove, a merge patch of the metadata, a collection to add them to and
one to take them out of, or deletion (alone). Each id's outcome is decided in the order
``PATCH /assets/{id}`` decides one asset's:

- ``NotFound``: unknown, or another workspace's (the same answer);
- ``Forbidden``: a contributor changing someone else's asset (membership alone is any asset's, as
  ``POST /collections/{id}/assets`` allows), a viewer anything;
- ``Conflict``: the asset is deleted (deleting it again is no change, as ``DELETE`` is);
- ``InvalidInput``: the edit breaks a rule of the asset (a tag, more than 100 tags, the metadata's
  limits once merged, the workspace's metadata schema as ``PATCH`` applies it);
- ``PreconditionFailed``: ``revisions`` names a revision the asset no longer has;

else it is changed (or already as asked: no change). With ``atomic``, when any id fails, the others
are ``NotApplied`` and nothing changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from dam.domain import metadata as rules
from dam.domain import schema as schema_rules
from dam.domain import tags as tag_rules
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset
from dam.domain.errors import (
    Conflict,
    DamError,
    Forbidden,
    InvalidInput,
    NotApplied,
    NotFound,
    PreconditionFailed,
)
from dam.domain.metadata import Edit, Editable
from dam.domain.schema import EMPTY, MetadataSchema
from dam.domain.status import HIDDEN

MAX_IDS = 1000
"""Assets one request may name."""


class Bulk(msgspec.Struct, frozen=True, kw_only=True):
    """What one request asks of its assets (``UNSET``, ``None``, ``False``: that action is not asked)."""

    ids: list[uuid.UUID]
    add_tags: list[str] | UnsetType = UNSET
    remove_tags: list[str] | UnsetType = UNSET
    metadata: dict[str, Any] | UnsetType | None = UNSET  # a merge patch; None removes all, as in PATCH
    add_to: uuid.UUID | None = None
    remove_from: uuid.UUID | None = None
    delete: bool = False
    revisions: dict[uuid.UUID, int] = msgspec.field(default_factory=dict)
    atomic: bool = False

    @property
    def edits(self) -> bool:
        """Whether it changes the assets' tags or metadata."""
        given = (self.add_tags, self.remove_tags, self.metadata)
        return any(not isinstance(value, UnsetType) for value in given)

    @property
    def owned(self) -> bool:
        """Whether it changes the assets themselves (their creator's or an editor's to change), not
        only which collections hold them (any member's of the workspace who may add)."""
        return self.edits or self.delete


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """One id's outcome: changed (or already as asked) when ``error`` is None."""

    id: uuid.UUID
    error: DamError | None = None


class Planned(msgspec.Struct, frozen=True, kw_only=True):
    """One id's outcome as planned, with what the service writes for it: ``after``, the asset's
    fields when the edit changes them (tags it gains named as the request writes them)."""

    id: uuid.UUID
    error: DamError | None = None
    asset: Asset | None = None
    after: Editable | None = None

    @property
    def outcome(self) -> Outcome:
        """The id's answer."""
        return Outcome(id=self.id, error=self.error)


def check(bulk: Bulk) -> Bulk:
    """The request with its ids without repeats, or ``InvalidInput`` naming what makes it unusable
    as a whole (what is wrong of one asset only is that id's outcome)."""
    if not bulk.ids:
        raise InvalidInput("ids must name at least one asset")
    if len(bulk.ids) > MAX_IDS:
        raise InvalidInput(f"ids may name at most {MAX_IDS} assets per request, not {len(bulk.ids)}")
    for name in ("add_tags", "remove_tags", "metadata"):
        if getattr(bulk, name) in ([], {}):
            raise InvalidInput(f"{name} is empty: leave it out, or name what to change")
    if not (bulk.edits or bulk.delete or bulk.add_to is not None or bulk.remove_from is not None):
        raise InvalidInput(
            "nothing to do: give add_tags, remove_tags, metadata, add_to, remove_from or delete: true"
        )
    if bulk.delete and (bulk.edits or bulk.add_to is not None or bulk.remove_from is not None):
        raise InvalidInput("delete: true deletes the assets; it cannot be combined with other changes")
    if bulk.add_to is not None and bulk.add_to == bulk.remove_from:
        raise InvalidInput("add_to and remove_from name the same collection")
    both = _keys(bulk.add_tags) & _keys(bulk.remove_tags)
    if both:
        raise InvalidInput(f"a tag cannot be both added and removed: {sorted(both)[0][:100]!r}")
    ids = list(dict.fromkeys(bulk.ids))
    named = set(ids)
    if stray := [str(i) for i in bulk.revisions if i not in named]:
        raise InvalidInput(f"revisions names ids that ids does not: {', '.join(stray[:5])}")
    return msgspec.structs.replace(bulk, ids=ids)


def _keys(names: list[str] | UnsetType) -> set[str]:
    return set() if isinstance(names, UnsetType) else {tag_rules.key_of(n.strip()) for n in names}


def plan(
    principal: Principal, bulk: Bulk, found: Mapping[uuid.UUID, Asset], schema: MetadataSchema = EMPTY
) -> list[Planned]:
    """Each id's outcome, in the request's order: ``found`` holds the workspace's assets among the
    ids (locked), ``schema`` is the workspace's. With ``atomic``, the changes that would be made are
    ``NotApplied`` when any fails."""
    try:
        adding = tag_rules.clean_list(bulk.add_tags) if isinstance(bulk.add_tags, list) else []
        unusable: InvalidInput | None = None
    except InvalidInput as exc:  # of every asset alike; still the outcome of each id it would change
        adding, unusable = [], exc
    planned = [_one(principal, bulk, found.get(i), i, adding, unusable, schema) for i in bulk.ids]
    failed = sum(p.error is not None for p in planned)
    if not bulk.atomic or not failed:
        return planned
    refused = NotApplied(
        f"not changed: the request is atomic and {failed} of its ids cannot be changed (see theirs)"
    )
    return [p if p.error is not None else Planned(id=p.id, error=refused) for p in planned]


def _one(
    principal: Principal,
    bulk: Bulk,
    asset: Asset | None,
    asset_id: uuid.UUID,
    adding: list[str],
    unusable: InvalidInput | None,
    schema: MetadataSchema,
) -> Planned:
    if asset is None:  # worded as every route words it (services/scoped.py)
        return Planned(id=asset_id, error=NotFound(f"asset {asset_id} not found"))
    try:
        require(principal, Scope.EDIT_OWN, asset.owner if bulk.owned else None)
        if asset.status in HIDDEN and not bulk.delete:
            raise Conflict(f"asset is {asset.status.value}; it cannot be changed")
        if unusable is not None:
            return Planned(id=asset_id, error=unusable, asset=asset)
        after = edited(asset, bulk, adding, schema) if bulk.edits else None
        _precondition(bulk.revisions.get(asset_id), asset.revision)
    except (Forbidden, Conflict, InvalidInput, PreconditionFailed) as exc:
        return Planned(id=asset_id, error=exc, asset=asset)
    return Planned(id=asset_id, asset=asset, after=after)


def edited(asset: Asset, bulk: Bulk, adding: list[str], schema: MetadataSchema = EMPTY) -> Editable | None:
    """The asset's fields with the request's tags and metadata patch applied and checked, the
    metadata against ``schema`` as an edit is (``InvalidInput``); None when that changes nothing."""
    before = Editable(
        title=asset.title, description=asset.description, tags=asset.tags, metadata=asset.metadata
    )
    tags: list[str] | UnsetType = UNSET
    if adding or not isinstance(bulk.remove_tags, UnsetType):
        tags = retagged(asset.tags, adding, _keys(bulk.remove_tags))
    after = rules.apply(before, Edit(tags=tags, metadata=bulk.metadata))
    if after.metadata != before.metadata:
        schema_rules.validate(schema, after.metadata, before=before.metadata)
    return after if rules.changes(before, after) else None


def retagged(current: list[str], adding: list[str], removing: set[str]) -> list[str]:
    """An asset's tags without the keys ``removing``, then ``adding`` that it does not carry (in any
    case) after them."""
    kept = [name for name in current if tag_rules.key_of(name) not in removing]
    have = {tag_rules.key_of(name) for name in kept}
    return kept + [name for name in adding if tag_rules.key_of(name) not in have]


def _precondition(wanted: int | None, revision: int) -> None:
    if wanted is not None and wanted != revision:
        raise PreconditionFailed(
            f"the asset is at revision {revision}, not {wanted} as revisions says: read it again and"
            " re-apply the change"
        )


def tag_deltas(changes: Iterable[tuple[Sequence[str], Sequence[str]]]) -> list[tuple[str, str, int]]:
    """How many more (or fewer) assets carry each tag once each asset's tags go from the first list
    of a pair to the second: (key, name as written, delta), by key, no zero."""
    counted: dict[str, tuple[str, int]] = {}

    def count(key: str, name: str, delta: int) -> None:
        first, total = counted.get(key, (name, 0))
        counted[key] = (first, total + delta)

    for before, after in changes:
        had = {tag_rules.key_of(name) for name in before}
        has = {tag_rules.key_of(name): name for name in after}
        for key, name in has.items():
            if key not in had:
                count(key, name, 1)
        for key in had - set(has):
            count(key, key, -1)
    return sorted((key, name, delta) for key, (name, delta) in counted.items() if delta)


def named(after: Sequence[str], before: Sequence[str], names: Mapping[str, str]) -> list[str]:
    """An asset's new tags named as the workspace writes them: those it carried as it did, those
    it gains as ``names`` (the workspace's, by key) says."""
    have = {tag_rules.key_of(name): name for name in before}
    return [have.get(key) or names.get(key, name) for key, name in ((tag_rules.key_of(n), n) for n in after)]
