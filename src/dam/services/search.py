"""Finding assets: ``GET /search`` and ``GET /search/suggest`` (``db/search.py`` has the SQL and
why it stays fast; ``domain/search.py`` the query language and the parameters).

Everything is scoped to the caller's workspace inside the statements themselves: another
workspace's assets, tags and collections are never read, so they answer as unknown ones do.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import msgspec

from dam.db import query
from dam.db import search as db
from dam.db.pool import Pool
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, AssetSummary
from dam.domain.errors import InvalidInput, NotFound
from dam.domain.schema import EMPTY
from dam.domain.search import (
    Facet,
    InvalidSearch,
    SearchRequest,
    Suggestions,
    Total,
    check,
    request_of,
)
from dam.resources import Resources
from dam.services.present import Presenter
from dam.services.schema import schema_of
from dam.settings import SearchSettings


class Hit(AssetSummary, frozen=True, kw_only=True):
    """One result: the asset as listings show it, with its title and tags, its score (relevance
    only) and the parts of it that hold a word of the query (``MATCHED`` names them)."""

    title: str | None
    tags: list[str]
    score: float | None
    matched: list[str]


class Results(msgspec.Struct, frozen=True, kw_only=True):
    """A page of results, how many there are, and the facets asked for."""

    items: list[Hit]
    next_cursor: str | None
    total: Total
    facets: dict[str, list[Facet]]
    facets_partial: bool


class Search:
    """Searching a workspace's assets."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool
        self.present = Presenter(resources)
        self.caps = resources.settings.search

    async def search(self, principal: Principal, request: SearchRequest) -> Results:
        """One page of what ``request`` finds in the caller's workspace (viewers and up)."""
        require(principal, Scope.READ)
        workspace = _workspace(principal)
        request = check(request)
        plan = await plan_of(self.pool, workspace, request)
        sort = db.SORTS[request.order]
        scope = query.scope_of("search", workspace, *request.scope())
        after = _decode(request.cursor, sort, scope)
        caps = self.caps
        paging = db.page(
            self.pool,
            plan,
            after=after,
            limit=request.limit + 1,
            rank_cap=caps.rank_cap,
            count_cap=caps.count_cap,
        )
        if request.order == "relevance" and not request.facets:
            paged = await paging  # the ranked window counts the matches too
            assert paged.matches is not None
            matches, facets = paged.matches, {}
        else:
            paged, counted = await asyncio.gather(
                paging, db.count(self.pool, plan, count_cap=caps.count_cap, facet_cap=caps.facet_cap)
            )
            matches, facets = counted.matches, counted.facets
        rows = paged.rows
        items, next_cursor = query.page(rows, request.limit, sort, scope)
        summaries = await self.present.summaries([r.asset for r in items])
        hits = [
            Hit(
                **msgspec.structs.asdict(s),
                title=r.asset.title,
                tags=r.asset.tags,
                score=r.score,
                matched=r.matched,
            )
            for s, r in zip(summaries, items, strict=True)
        ]
        total = Total(min(matches, caps.count_cap), "gte" if matches > caps.count_cap else "eq")
        partial = bool(request.facets) and matches > caps.facet_cap
        return Results(
            items=hits, next_cursor=next_cursor, total=total, facets=facets, facets_partial=partial
        )

    async def suggest(self, principal: Principal, prefix: str) -> Suggestions:
        """Tags, titles, filenames, camera models and collections of the caller's workspace that
        start with ``prefix`` (viewers and up)."""
        require(principal, Scope.READ)
        return await db.suggest(self.pool, _workspace(principal), prefix.strip())


async def plan_of(pool: Pool, workspace: uuid.UUID, request: SearchRequest) -> db.Plan:
    """A search of the workspace, checked against its schema: a range or a facet of a key the
    schema does not declare as such is 400."""
    wanted = {m.key for m in request.meta} | {f[5:] for f in request.facets if f.startswith("meta.")}
    schema = await schema_of(pool, workspace) if wanted else EMPTY
    for meta in request.meta:
        field = schema.field(meta.key)
        ranged = meta.min is not None or meta.max is not None
        if ranged and (field is None or not field.ranged):
            raise InvalidSearch(
                f"meta.{meta.key}.min and .max need {meta.key!r} to be a number or date field of the"
                " workspace's schema"
            )
    for facet in request.facets:
        field = schema.field(facet[5:]) if facet.startswith("meta.") else None
        if facet.startswith("meta.") and (field is None or not field.facet):
            raise InvalidSearch(
                f"facet {facet!r} needs {facet[5:]!r} to be a facet field of the workspace's schema"
            )
    looked = await db.lookups(pool, workspace, request)
    return db.Plan(
        workspace_id=workspace, request=request,
        fields={f.key: f for f in schema.fields if f.key in wanted}, tags=looked.tags,
        excluded=looked.excluded, named=looked.named, collections=looked.collections,
        impossible=looked.impossible,
    )  # fmt: skip


async def smart_page(
    pool: Pool,
    workspace: uuid.UUID,
    stored: str,
    *,
    cursor: str | None,
    limit: int,
    scope: str,
    caps: SearchSettings,
) -> tuple[list[Asset], str | None]:
    """A page of what a smart collection's stored query finds, in the query's order (a cursor of
    another collection or query is 422, as other listings answer)."""
    request = request_of(stored)
    plan = await plan_of(pool, workspace, request)
    sort = db.SORTS[request.order]
    after = query.decode(cursor, sort, scope) if cursor else None
    paged = await db.page(
        pool, plan, after=after, limit=limit + 1, rank_cap=caps.rank_cap, count_cap=caps.count_cap
    )
    items, next_cursor = query.page(paged.rows, limit, sort, scope)
    return [r.asset for r in items], next_cursor


async def smart_contains(pool: Pool, workspace: uuid.UUID, stored: str, asset_id: uuid.UUID) -> bool:
    """Whether a smart collection's stored query finds this asset of the workspace."""
    plan = await plan_of(pool, workspace, request_of(stored))
    return await db.contains(pool, plan, asset_id)


def _decode(cursor: str | None, sort: query.Sort, scope: str) -> Sequence[object] | None:
    """A cursor of this very search, or 400 (another query's cursor is the client's error)."""
    if cursor is None:
        return None
    try:
        return query.decode(cursor, sort, scope)
    except InvalidInput:
        raise InvalidSearch(
            "cursor is not one of this search: it was issued for another query (start again without it)"
        ) from None


def _workspace(principal: Principal) -> uuid.UUID:
    if principal.workspace_id is None:  # require() refused it already; for the type checker
        raise NotFound("no workspace")
    return principal.workspace_id
