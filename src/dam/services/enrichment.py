"""Enrichment's use cases: what the models found for an asset, its near-duplicates, and the
picture an enrichment step reads."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from dam.db import assets as asset_rows
from dam.db import collections as collection_rows
from dam.db import enrichment as db
from dam.db import query
from dam.db import steps as step_rows
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import AssetSummary, StoredRendition
from dam.domain.enrichment import DEFAULT_MAX_DISTANCE, MAX_DISTANCE, SIMILAR_LIMIT, Similar
from dam.domain.errors import InvalidInput
from dam.domain.steps import StepState
from dam.domain.transcript import Segment, to_webvtt
from dam.resources import Resources
from dam.services import scoped
from dam.services.present import Presenter

PICTURE = "preview"  # the upright, sRGB, EXIF-free rendition OCR reads (text needs its pixels)
SMALL_PICTURE = "thumbnail"  # the same picture at 320 px: what models of a 224-300 px input read
HASH_MODEL = "dhash"
SPEECH = "speech"  # the enrichment kind whose segments make the transcript


class Near(AssetSummary, frozen=True, kw_only=True):
    """A near-duplicate: the other asset as lists show it, and how many bits its picture differs by."""

    distance: int


class Group(msgspec.Struct, frozen=True, kw_only=True):
    """Near-duplicates: the oldest of them first (distance 0), then the others, closest first."""

    assets: list[Near]


class Groups(msgspec.Struct, frozen=True, kw_only=True):
    """A page of groups of near-duplicates, and the cursor of the next page."""

    items: list[Group]
    next_cursor: str | None


SCANNED = 200  # assets looked at per page of groups, at most


class Enrichments:
    """Reading what enrichment found."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.present = Presenter(resources)

    async def transcript(self, principal: Principal, asset_id: uuid.UUID) -> str:
        """The asset's transcript as WebVTT; NotFound, as for an asset it cannot see, when it has
        none (the speech step has not run, failed, or heard nothing)."""
        require(principal, Scope.READ)
        asset = await scoped.find(self.pool, asset_id, principal)
        steps = await step_rows.list_steps(self.pool, [asset.id])
        heard = next((s for s in steps if s.name == SPEECH and s.state is StepState.DONE), None)
        found = (await db.findings(self.pool, asset.id)).get(SPEECH) if heard is not None else None
        result = found.result if found is not None else None
        segments = msgspec.convert((result or {}).get("segments") or [], list[Segment])
        if not segments:
            raise scoped.not_found(asset_id)
        return to_webvtt(segments)

    async def picture(self, asset_id: uuid.UUID, small: bool = False) -> StoredRendition | None:
        """The rendition a picture model reads: the preview, or (``small``) the thumbnail where
        there is one; None until the asset has a preview."""
        found = {r.kind: r for r in await asset_rows.list_renditions(self.pool, [asset_id])}
        if PICTURE not in found:
            return None
        return found.get(SMALL_PICTURE, found[PICTURE]) if small else found[PICTURE]

    async def similar(self, principal: Principal, asset_id: uuid.UUID, max_distance: int) -> list[Near]:
        """The workspace's near-duplicates of an asset, closest first."""
        if not 0 <= max_distance <= MAX_DISTANCE:
            raise InvalidInput(f"max_distance must be 0 to {MAX_DISTANCE} bits of 64")
        require(principal, Scope.READ)
        asset = await scoped.find(self.pool, asset_id, principal)
        found = await db.similar(
            self.pool, asset.workspace_id, asset.id, HASH_MODEL, max_distance, SIMILAR_LIMIT
        )
        if not found:
            return []
        assets = await collection_rows.assets(self.pool, [f.asset_id for f in found], asset.workspace_id)
        summaries = {s.id: s for s in await self.present.summaries(assets)}
        return [_near(summaries[f.asset_id], f.distance) for f in found if f.asset_id in summaries]

    async def duplicates(self, principal: Principal, cursor: str | None, limit: int) -> Groups:
        """Groups of near-duplicates in the workspace (within the default distance), each once: under
        its oldest member, oldest groups first. A page looks at ``SCANNED`` assets at most, so it may
        hold fewer than ``limit`` groups (or none) and still have a next one."""
        require(principal, Scope.READ)
        workspace = principal.workspace_id
        assert workspace is not None
        after = query.decode(cursor, db.OLDEST_HASHED) if cursor else None
        scanned = await db.hashed(self.pool, workspace, HASH_MODEL, after, SCANNED + 1)
        groups: list[Group] = []
        last: db.Hashed | None = None
        for anchor in scanned[:SCANNED]:
            last = anchor
            near = await db.similar(
                self.pool, workspace, anchor.id, HASH_MODEL, DEFAULT_MAX_DISTANCE, SIMILAR_LIMIT
            )
            if near:
                group = await self._group(workspace, anchor, near)
                if group is not None:
                    groups.append(group)
            if len(groups) == limit:
                break
        more = last is not None and (len(scanned) > SCANNED or last != scanned[-1])
        next_cursor = query.encode(db.OLDEST_HASHED, db.OLDEST_HASHED.values_of(last)) if more else None
        return Groups(items=groups, next_cursor=next_cursor)

    async def _group(self, workspace: uuid.UUID, anchor: db.Hashed, near: list[Similar]) -> Group | None:
        """The group anchored at ``anchor``; None when an older asset is among its near-duplicates
        (the group is that one's)."""
        assets = await collection_rows.assets(self.pool, [anchor.id, *(n.asset_id for n in near)], workspace)
        if any((a.created_at, a.id) < (anchor.created_at, anchor.id) for a in assets):
            return None
        summaries = {s.id: s for s in await self.present.summaries(assets)}
        if anchor.id not in summaries:
            return None
        distances = {n.asset_id: n.distance for n in near}
        members = [_near(summaries[anchor.id], 0)]
        members += [
            _near(summaries[n.asset_id], distances[n.asset_id]) for n in near if n.asset_id in summaries
        ]
        return Group(assets=members)


def _near(summary: AssetSummary, distance: int) -> Near:
    fields: dict[str, Any] = msgspec.structs.asdict(summary)
    return Near(**fields, distance=distance)
