# ruff: noqa: S608 (statements are put together from this module's own fragments; values are parameters)
"""A stand-in for the service's search, in raw SQL over ``search_documents``: what the runner measured
before the service's own search code was there, and what the floors are written beside.

It answers a ``GET /search`` (or ``/search/suggest``) query string for one workspace the way issue 31
describes: relevance over the newest ``RANK_CAP`` matches, facets over the newest ``FACET_CAP``, a
total counted up to ``TOTAL_CAP``, the page's asset rows read from ``assets`` by id.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from dam.db.pool import Connection

RANK_CAP = 2000
FACET_CAP = 10_000
TOTAL_CAP = 10_000
LIMIT = 50
QUERY = "(websearch_to_tsquery('simple', dam_fold({p})) || websearch_to_tsquery('english', dam_fold({p})))"
FACETS = {
    "type": "kind",
    "content_type": "content_type",
    "camera_make": "camera_make",
    "camera_model": "camera_model",
    "year": "extract(year FROM taken_at)::int::text",
}
_COLLECTION = """asset_id IN (SELECT m.asset_id FROM collection_assets AS m WHERE m.collection_id IN (
    WITH RECURSIVE below AS (SELECT id FROM collections WHERE id = {p} AND workspace_id = $1
        UNION ALL SELECT c.id FROM collections AS c JOIN below AS b ON c.parent_id = b.id)
    SELECT id FROM below))"""


class Where:
    """The predicates and parameters of one query string ($1 is the workspace)."""

    def __init__(self, workspace_id: uuid.UUID) -> None:
        self.sql = ["workspace_id = $1", "status = 'ready'"]
        self.args: list[Any] = [workspace_id]

    def add(self, template: str, value: Any) -> None:
        """A predicate whose ``{p}`` is the next parameter."""
        self.args.append(value)
        self.sql.append(template.format(p=f"${len(self.args)}"))

    def text(self) -> str:
        """The WHERE clause's body."""
        return " AND ".join(self.sql)


def _range(key: str) -> str:
    return "taken_at " + (">=" if key == "taken_after" else "<") + " {p}::timestamptz"


# Each filter: its predicate template and how the value becomes the parameter.
_FILTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "type": ("kind = {p}", str),
    "content_type": ("content_type = {p}", str),
    "tag": ("tags @> ARRAY[{p}]::text[]", str),
    "camera_make": ("camera_make = {p}", str),
    "camera_model": ("camera_model = {p}", str),
    "taken_after": (_range("taken_after"), datetime.fromisoformat),
    "taken_before": (_range("taken_before"), datetime.fromisoformat),
    "filename": ("filename_key LIKE {p}", lambda v: "%" + v.lower().replace("_", "\\_") + "%"),
    "collection": (_COLLECTION, uuid.UUID),
}


def where_of(workspace_id: uuid.UUID, params: list[tuple[str, str]]) -> tuple[Where, str | None]:
    """The filters of a query string, and its ``q`` if any."""
    where, q = Where(workspace_id), None
    for key, value in params:
        if key == "q":
            q = value
            where.add("doc @@ " + QUERY, value)
        elif key in _FILTERS:
            template, convert = _FILTERS[key]
            where.add(template, convert(value))
        elif key.startswith("meta."):
            where.add("metadata @> {p}::jsonb", _meta(key[5:], value))
    return where, q


def _meta(key: str, value: str) -> str:
    number: Any = value
    with contextlib.suppress(ValueError):
        number = int(value)
    return json.dumps({key: number})


async def search(conn: Connection, workspace_id: uuid.UUID, path: str, query: str) -> int:
    """Answer one query string; the number of items (or suggestions) it found."""
    params = parse_qsl(query, keep_blank_values=True)
    if path == "/search/suggest":
        return await suggest(conn, workspace_id, dict(params)["q"])
    where, q = where_of(workspace_id, params)
    facets = next((v.split(",") for k, v in params if k == "facets"), [])
    if q is not None:
        qp = f"${len(where.args) + 1}"
        page = await conn.fetch(
            f"""WITH candidates AS (SELECT asset_id, created_at, doc FROM search_documents
                                     WHERE {where.text()} ORDER BY created_at DESC LIMIT {RANK_CAP})
                SELECT asset_id, ts_rank_cd(doc, {QUERY.format(p=qp)}) AS score FROM candidates
                 ORDER BY score DESC, created_at DESC, asset_id DESC LIMIT {LIMIT + 1}""",
            *where.args,
            q,
        )  # fmt: skip
    else:
        page = await conn.fetch(
            f"""SELECT asset_id FROM search_documents WHERE {where.text()}
                 ORDER BY created_at DESC, asset_id DESC LIMIT {LIMIT + 1}""",
            *where.args,
        )  # fmt: skip
    await conn.fetchval(
        f"SELECT count(*) FROM (SELECT 1 FROM search_documents WHERE {where.text()} LIMIT {TOTAL_CAP + 1}) t",
        *where.args,
    )
    if facets:
        await facet_counts(conn, where, facets)
    rows = await conn.fetch(
        "SELECT id, filename, content_type, status, media, metadata, title, tags, created_at FROM assets"
        " WHERE id = ANY($1::uuid[])",
        [r["asset_id"] for r in page[:LIMIT]],
    )
    return len(rows)


async def facet_counts(conn: Connection, where: Where, facets: list[str]) -> int:
    """Counts of each facet's top values over the newest ``FACET_CAP`` matches, in one statement."""
    parts = []
    for name in facets:
        if name == "tag":
            value = "unnest(tags)"
        elif name in FACETS:
            value = FACETS[name]
        else:
            continue
        parts.append(
            f"(SELECT '{name}' AS facet, v AS value, count(*) AS n FROM (SELECT {value} AS v FROM capped) x"
            " WHERE v IS NOT NULL GROUP BY v ORDER BY n DESC LIMIT 10)"
        )
    rows = await conn.fetch(
        f"""WITH capped AS MATERIALIZED (SELECT kind, content_type, camera_make, camera_model, taken_at, tags
                                           FROM search_documents WHERE {where.text()}
                                          ORDER BY created_at DESC LIMIT {FACET_CAP})
            {" UNION ALL ".join(parts)}""",
        *where.args,
    )  # fmt: skip
    return len(rows)


def prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds of the folded strings that start with ``prefix`` (byte order: the "C" collation)."""
    low = prefix.lower()
    return low, low[:-1] + chr(ord(low[-1]) + 1)


async def suggest(conn: Connection, workspace_id: uuid.UUID, prefix: str) -> int:
    """Up to 5 tags, titles, filenames, camera models and collections by prefix, in one statement."""
    low, high = prefix_range(prefix)
    row = await conn.fetchrow(
        """SELECT
            ARRAY(SELECT name FROM tags WHERE workspace_id = $1 AND dam_fold(name) COLLATE "C" >= $2
                    AND dam_fold(name) COLLATE "C" < $3 ORDER BY asset_count DESC LIMIT 5) AS tags,
            ARRAY(SELECT DISTINCT title_key FROM (SELECT title_key FROM search_documents
                    WHERE workspace_id = $1 AND title_key >= $2 AND title_key < $3 ORDER BY title_key
                    LIMIT 50) AS t LIMIT 5) AS titles,
            ARRAY(SELECT DISTINCT filename_key FROM (SELECT filename_key FROM search_documents
                    WHERE workspace_id = $1 AND filename_key >= $2 AND filename_key < $3
                    ORDER BY filename_key LIMIT 50) AS f LIMIT 5) AS filenames,
            ARRAY(WITH RECURSIVE m AS (
                    (SELECT model_key FROM search_documents WHERE workspace_id = $1 AND model_key >= $2
                        AND model_key < $3 ORDER BY model_key LIMIT 1)
                    UNION ALL
                    SELECT (SELECT s.model_key FROM search_documents AS s WHERE s.workspace_id = $1
                              AND s.model_key > m.model_key AND s.model_key < $3 ORDER BY s.model_key LIMIT 1)
                      FROM m WHERE m.model_key IS NOT NULL)
                  SELECT model_key FROM m WHERE model_key IS NOT NULL LIMIT 5) AS models,
            ARRAY(SELECT name FROM collections WHERE workspace_id = $1 AND dam_fold(name) COLLATE "C" >= $2
                    AND dam_fold(name) COLLATE "C" < $3 LIMIT 5) AS collections""",
        workspace_id,
        low,
        high,
    )  # fmt: skip
    assert row is not None
    return sum(len(row[k]) for k in ("tags", "titles", "filenames", "models", "collections"))
