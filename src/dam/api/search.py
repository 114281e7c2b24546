"""Search routes: ``GET /search`` (words, filters, facets) and ``GET /search/suggest`` (what the
search box offers as a person types). Members of the workspace, viewers and up.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from dam.api.access import policy
from dam.api.errors import responses
from dam.api.query import CLOSED, PATTERN, REPEATABLE
from dam.domain.access import Principal, Scope, needs
from dam.domain.search import (
    FACETS,
    MAX_LIMIT,
    MAX_QUERY,
    SORTS,
    TYPES,
    HasName,
    Parameters,
    Suggestions,
    request_from,
)
from dam.domain.search import (
    REPEATABLE as REPEATED,
)
from dam.domain.tags import TagSource
from dam.services.search import Results, Search

READ = {**policy(needs(Scope.READ)), CLOSED: True}
SEARCH = {**READ, REPEATABLE: REPEATED, PATTERN: re.compile(r"^meta\.")}
_MOMENT = "An RFC 3339 date and time, e.g. 2024-05-01T00:00:00Z"

DESCRIPTION = f"""Find the workspace's assets by words, filters and facets.

**Words** (`q`): every word must match somewhere in the asset: its title and filename (ranked
highest), tags, description, metadata values, camera make and model, audio tags, IPTC caption and
creator, and text found in the media. `"a phrase"` matches words in that order, `-word` excludes,
`a OR b` accepts either; the last word also matches as a prefix as you type. Case, accents and
English word endings do not matter (`cafés` finds `Cafe`).

**Filters** narrow the matches; `type`, `tag`, `exclude_tag` and `has` may be repeated (tags: all
of them; excluded: none of them; `has`: all of them). `meta.<key>=<value>` matches a metadata value
(`<key>` is 1 to 64 of `A-Z a-z 0-9 _ . -`); `meta.<key>.min` / `meta.<key>.max` bound a number or
date field of the workspace's schema. `collection` includes the collections below it.

**Order**: `relevance` when there are words, else `newest`. Relevance ranks the newest
`DAM_SEARCH_RANK_CAP` matches (1,000 by default); `total` counts up to `DAM_SEARCH_COUNT_CAP`
(`relation: "gte"` beyond), and facets count the newest `DAM_SEARCH_FACET_CAP` matches
(`facets_partial: true` when there were more). Below the caps everything is exact.

**Facets**: a comma list of {", ".join(FACETS)} or `meta.<key>` (a facet field of the schema), each
with its most frequent values. The cursor is bound to its query (its words, filters and order; not
its facets or page size, so facets may come with the first page only): replayed with another, 400.
Any other parameter is 400."""


class SearchController(Controller):
    """Searching the workspace."""

    path = "/search"
    tags = ("search",)

    @get(
        "/", operation_id="search", opt=SEARCH, responses=responses(400, 401, 403, 503),
        summary="Search the workspace's assets", description=DESCRIPTION,
    )  # fmt: skip
    async def search(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        search: NamedDependency[Search],
        q: Annotated[
            str | None, QueryParameter(max_length=MAX_QUERY, description="Words to look for")
        ] = None,
        type: Annotated[
            list[str] | None, QueryParameter(description=f"Kind of media, repeatable: {', '.join(TYPES)}")
        ] = None,
        content_type: Annotated[
            str | None, QueryParameter(max_length=255, description="Exact type, or a family like image/*")
        ] = None,
        tag: Annotated[
            list[str] | None, QueryParameter(description="Has this tag (repeatable: all of them)")
        ] = None,
        exclude_tag: Annotated[
            list[str] | None, QueryParameter(description="Has not this tag (repeatable: none of them)")
        ] = None,
        source: Annotated[
            TagSource,
            QueryParameter(
                description=(
                    "Whose tags `tag`, `exclude_tag` and the tag facet mean: people's (the default),"
                    " model (enrichment's model tags, by lower-case name) or any (either)"
                )
            ),
        ] = "people",
        has: Annotated[
            list[HasName] | None,
            QueryParameter(
                description=(
                    "Found in the media by enrichment, repeatable (all of them): text (words read in"
                    " the pictures or heard), credentials (content credentials), ai_generated"
                )
            ),
        ] = None,
        collection: Annotated[
            uuid.UUID | None, QueryParameter(description="In this collection or one below it")
        ] = None,
        camera_make: Annotated[
            str | None, QueryParameter(max_length=200, description="Camera make, any case")
        ] = None,
        camera_model: Annotated[
            str | None, QueryParameter(max_length=200, description="Camera model, any case")
        ] = None,
        taken_after: Annotated[
            datetime | None, QueryParameter(description=f"Captured at or after. {_MOMENT}")
        ] = None,
        taken_before: Annotated[
            datetime | None, QueryParameter(description=f"Captured before. {_MOMENT}")
        ] = None,
        created_after: Annotated[
            datetime | None, QueryParameter(description=f"Created at or after. {_MOMENT}")
        ] = None,
        created_before: Annotated[
            datetime | None, QueryParameter(description=f"Created before. {_MOMENT}")
        ] = None,
        duration_min: Annotated[
            float | None, QueryParameter(ge=0, description="At least this long, seconds")
        ] = None,
        duration_max: Annotated[
            float | None, QueryParameter(ge=0, description="At most this long, seconds")
        ] = None,
        width_min: Annotated[
            int | None, QueryParameter(ge=0, le=1_000_000, description="At least this wide")
        ] = None,
        height_min: Annotated[
            int | None, QueryParameter(ge=0, le=1_000_000, description="At least this high")
        ] = None,
        filename: Annotated[
            str | None,
            QueryParameter(min_length=1, max_length=255, description="Filename contains this, any case"),
        ] = None,
        sha256: Annotated[
            str | None, QueryParameter(pattern="^[0-9a-f]{64}$", description="The original's SHA-256, hex")
        ] = None,
        status: Annotated[
            str,
            QueryParameter(
                max_length=32, description="An asset status but pending_upload, or any (default: ready)"
            ),
        ] = "ready",
        sort: Annotated[str | None, QueryParameter(description=f"One of {', '.join(SORTS)}")] = None,
        facets: Annotated[
            str | None, QueryParameter(max_length=1000, description="Comma list of facets")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Results per page")] = 50,
        cursor: Annotated[
            str | None, QueryParameter(max_length=2048, description="next_cursor of a page")
        ] = None,
    ) -> Results:
        """A page of matches, newest first or by relevance, with the total and the facets asked for."""
        given = Parameters(
            q=q, type=type or [], content_type=content_type, tag=tag or [], exclude_tag=exclude_tag or [],
            source=source, has=has or [], collection=collection, camera_make=camera_make,
            camera_model=camera_model,
            taken_after=taken_after, taken_before=taken_before, created_after=created_after,
            created_before=created_before, duration_min=duration_min, duration_max=duration_max,
            width_min=width_min, height_min=height_min, filename=filename, sha256=sha256, status=status,
            sort=sort, facets=facets, limit=limit, cursor=cursor,
        )  # fmt: skip
        meta = {n: v for n, v in request.query_params.items() if n.startswith("meta.")}
        asked = request_from(given, meta)
        return await search.search(principal, asked)

    @get(
        "/suggest", operation_id="suggestSearch", opt=READ, responses=responses(400, 401, 403, 503),
        summary="What the search box offers for what was typed",
    )  # fmt: skip
    async def suggest(
        self,
        principal: NamedDependency[Principal],
        search: NamedDependency[Search],
        q: Annotated[str, QueryParameter(max_length=100, description="What was typed so far")] = "",
    ) -> Suggestions:
        """Up to 5 each of the workspace's tags (most used first), titles, filenames, camera models
        and collections that start with `q`, case- and accent-insensitively, as they are written."""
        return await search.suggest(principal, q)
