"""The query classes of the search bench: concrete query strings, each with the bare statement that is
its floor, and the class's target at 1M assets (issue 31).

Words come from the generator's vocabulary by rank (the same seed gives the same words): rank 0-2
are the common words, 600-800 mid-frequency, 12,000-16,000 rare; all real English words except the
rare ones, so the ``english`` configuration's stems matter.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import asyncpg

from bench.search.generate import SEED
from bench.search.vocab import vocabulary

FACET_CAP = 10_000  # the service's default DAM_SEARCH_FACET_CAP


def prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds of the folded strings that start with ``prefix`` (byte order: the "C" collation)."""
    low = prefix.lower()
    return low, low[:-1] + chr(ord(low[-1]) + 1)


# Floors: the bare statement each class cannot beat (no rank, no page of asset rows, no count).
TEXT_FLOOR = "SELECT asset_id FROM search_documents WHERE doc @@ websearch_to_tsquery('simple', $1) LIMIT 50"
FILTERED_FLOOR = TEXT_FLOOR.replace("LIMIT 50", "AND {filters} LIMIT 50")
BROWSE_FLOOR = """SELECT asset_id FROM search_documents WHERE workspace_id = $1 AND status = 'ready'
                   ORDER BY created_at DESC, asset_id DESC LIMIT 50"""
FACET_FLOOR = """SELECT kind, count(*) FROM (SELECT kind FROM search_documents
                   WHERE workspace_id = $1 AND status = 'ready' ORDER BY created_at DESC LIMIT $2) AS c
                   GROUP BY kind"""
FILENAME_FLOOR = "SELECT asset_id FROM search_documents WHERE filename_key LIKE $1 LIMIT 50"
META_FLOOR = "SELECT asset_id FROM search_documents WHERE metadata @> $1::jsonb LIMIT 50"
SUGGEST_FLOOR = """SELECT title_key FROM search_documents WHERE workspace_id = $1 AND title_key >= $2
                    AND title_key < $3 ORDER BY title_key LIMIT 5"""

CLASSES = (
    "text common", "text mid", "text rare", "text + filters", "browse newest", "facets", "filename",
    "metadata", "suggest",
)  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One query string and its floor (a statement and its arguments)."""

    query: str
    floor: tuple[str, tuple[object, ...]]


@dataclass(frozen=True)
class QueryClass:
    """A class of queries, the path they go to, and the p95 target at 1M assets (ms) if any."""

    name: str
    path: str
    items: tuple[Item, ...]
    target_ms: float | None

    def as_floor(self) -> QueryClass:
        """The same class, named for its floors."""
        return replace(self, target_ms=None)


def _q(**params: str) -> str:
    return urlencode(params)


async def make_classes(conn: asyncpg.Connection, workspace_id: uuid.UUID) -> list[QueryClass]:
    """The concrete classes for this data set's big workspace."""
    words = vocabulary(SEED)
    common, mid, rare = words[0:3], words[600:900:100], words[12000:18000:2000]
    tag = await conn.fetchval(
        "SELECT name FROM tags WHERE workspace_id = $1 ORDER BY asset_count DESC LIMIT 1", workspace_id
    )
    mid_tag = await conn.fetchval(
        "SELECT name FROM tags WHERE workspace_id = $1 ORDER BY asset_count DESC OFFSET 200 LIMIT 1",
        workspace_id,
    )
    collection = await conn.fetchval(
        """SELECT c.id FROM collections AS c WHERE c.workspace_id = $1 AND c.parent_id IS NULL
            ORDER BY (SELECT count(*) FROM collections AS k WHERE k.parent_id = c.id) DESC, c.id LIMIT 1""",
        workspace_id,
    )

    def text(name: str, chosen: list[str]) -> QueryClass:
        return QueryClass(name, "/search", tuple(Item(_q(q=w), (TEXT_FLOOR, (w,))) for w in chosen), 50)

    def filtered(word: str, filters: dict[str, str], sql: str, *args: object) -> Item:
        return Item(_q(q=word, **filters), (FILTERED_FLOOR.format(filters=sql), (word, *args)))

    browse = (BROWSE_FLOOR, (workspace_id,))
    facet = (FACET_FLOOR, (workspace_id, FACET_CAP))
    return [
        text("text common", common),
        text("text mid", mid),
        text("text rare", rare),
        QueryClass(
            "text + filters",
            "/search",
            (
                filtered(
                    common[0],
                    {"type": "image", "camera_make": "Canon"},
                    "kind = $2 AND camera_make = $3",
                    "image",
                    "Canon",
                ),
                filtered(
                    mid[0],
                    {"taken_after": "2020-01-01T00:00:00Z", "taken_before": "2022-01-01T00:00:00Z"},
                    "taken_at >= $2 AND taken_at < $3",
                    datetime(2020, 1, 1, tzinfo=UTC),
                    datetime(2022, 1, 1, tzinfo=UTC),
                ),
                filtered(common[1], {"tag": tag}, "tags @> ARRAY[$2]::text[]", tag),
                filtered(
                    common[2], {"meta.project": "apollo"}, "metadata @> $2::jsonb", '{"project": "apollo"}'
                ),
            ),
            50,
        ),
        QueryClass(
            "browse newest",
            "/search",
            (
                Item("", browse),
                Item(_q(type="video"), browse),
                Item(_q(tag=mid_tag), browse),
                Item(_q(camera_model="ILCE-7M3"), browse),
                Item(_q(content_type="image/heic"), browse),
                Item(_q(collection=str(collection)), browse),
            ),
            20,
        ),
        QueryClass(
            "facets",
            "/search",
            (
                Item(_q(facets="type,tag,camera_model,year", type="image"), facet),
                Item(_q(facets="type,tag,camera_make,year"), facet),
                Item(_q(q=common[0], facets="type,tag,year"), facet),
            ),
            50,
        ),
        QueryClass(
            "filename",
            "/search",
            tuple(
                Item(_q(filename=f), (FILENAME_FLOOR, (f"%{f.lower()}%",)))
                for f in ("IMG_12", "dsc0", common[0], "7168")
            ),
            None,
        ),
        QueryClass(
            "metadata",
            "/search",
            tuple(
                Item(urlencode({f"meta.{k}": v}), (META_FLOOR, (json.dumps({k: v}),)))
                for k, v in (("project", "apollo"), ("client", "Globex"), ("project", "gemma"))
            ),
            None,
        ),
        QueryClass(
            "suggest",
            "/search/suggest",
            tuple(
                Item(_q(q=p), (SUGGEST_FLOOR, (workspace_id, *prefix_range(p))))
                for p in (common[0][:3], "img_1", "ilce", mid[0][:2])
            ),
            20,
        ),
    ]
