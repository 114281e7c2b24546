"""Search documents and the queries that read them: every SQL statement of search lives here.

One row of ``search_documents`` per asset (migration 0019 says what it holds and why), rebuilt by
triggers on ``assets`` in the statement of every change that feeds it.

What keeps a search fast at a million assets (figures in ``docs/development/benchmarks.md``):

- every filter, sort and facet reads the document's own columns through its indexes; ``assets`` is
  joined only for the page answered;
- relevance ranks only the newest ``rank_cap`` matches (ranking every match of a common word reads
  them all); below the cap the order is exact. A cursor carries the newest match of its first page
  (the ceiling), so later pages rank the same window while new assets arrive;
- ``total`` and facets count at most the newest ``count_cap`` / ``facet_cap`` matches;
- statements are planned for their very values (``Pool.fetch_planned``): whether to walk the newest
  first index or to read every match of the text index depends on how common the words are.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from dam.db.assets import ASSET_COLUMNS, asset_of
from dam.db.pool import Pool
from dam.db.query import Key, Sort, Where
from dam.domain.assets import Asset
from dam.domain.schema import SchemaField
from dam.domain.search import (
    ANY_STATUS,
    MATCHED,
    Facet,
    SearchRequest,
    Suggestions,
    Terms,
    Word,
    escape_like,
)
from dam.domain.status import HIDDEN, AssetStatus
from dam.domain.tags import key_of

FACET_VALUES = 25  # values of each facet, most frequent first
SUGGESTIONS = 5  # of each kind
MIN_PREFIX = 3  # letters the last word needs before it also matches as a prefix
_WORD = "(plainto_tsquery('simple', dam_fold({0})) || plainto_tsquery('english', dam_fold({0})))"
_PHRASE = "(phraseto_tsquery('simple', dam_fold({0})) || phraseto_tsquery('english', dam_fold({0})))"
_PREFIX = "(plainto_tsquery('english', dam_fold({0})) || to_tsquery('simple', dam_fold({1})))"
_LEXEME = re.compile(r"[^\W_]+")
_SPLIT_NAME = r"regexp_replace(a.filename, '[._[:space:]-]+', ' ', 'g')"


# The orders of a search. A key's value is on every row (``Found``); relevance's cursor also
# carries the ceiling of its window.
NEWEST = Sort(
    "search-newest", (Key("d.created_at", datetime, "created_at"), Key("d.asset_id", uuid.UUID, "id"))
)
OLDEST = Sort(
    "search-oldest",
    (Key("d.created_at", datetime, "created_at", False), Key("d.asset_id", uuid.UUID, "id", False)),
)
TAKEN = Sort(
    "search-taken", (Key("d.taken_sort", datetime, "taken_sort"), Key("d.asset_id", uuid.UUID, "id"))
)
NAME = Sort(
    "search-name", (Key("d.name_key", str, "name_key", False), Key("d.asset_id", uuid.UUID, "id", False))
)
RELEVANCE = Sort(
    "search-relevance",
    (
        Key("r.score", float, "score"),
        Key("r.created_at", datetime, "created_at"),
        Key("r.asset_id", uuid.UUID, "id"),
        Key("ceiling_at", datetime, "ceiling_at"),
        Key("ceiling_id", uuid.UUID, "ceiling_id"),
    ),
)
SORTS: dict[str, Sort] = {
    "newest": NEWEST,
    "oldest": OLDEST,
    "taken": TAKEN,
    "name": NAME,
    "relevance": RELEVANCE,
}


class Found(msgspec.Struct, frozen=True, kw_only=True):
    """One result: the asset, its score (relevance only), which parts matched, its sort keys."""

    asset: Asset
    score: float | None
    matched: list[str]
    created_at: datetime
    taken_sort: datetime
    name_key: str
    ceiling_at: datetime | None = None
    ceiling_id: uuid.UUID | None = None

    @property
    def id(self) -> uuid.UUID:
        """The asset's id (the last key of every order)."""
        return self.asset.id


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """A search checked against its workspace, ready to become SQL."""

    workspace_id: uuid.UUID
    request: SearchRequest
    fields: dict[str, SchemaField]  # the schema's fields this search uses, by key
    # Looked up first, so the statement holds them as values the planner weighs by its statistics:
    tags: tuple[str, ...] = ()  # the workspace's names of the tags asked for, all of them
    excluded: tuple[str, ...] = ()  # the workspace's names of the tags excluded (those it has)
    # With ``source=any``: for each key asked for, the workspace's name of it (None: it has none).
    named: tuple[tuple[str, str | None], ...] = ()
    collections: tuple[uuid.UUID, ...] = ()  # the collection asked for and every one below it
    impossible: bool = False  # a tag or collection the workspace does not have: nothing matches


class Looked(msgspec.Struct, frozen=True, kw_only=True):
    """What ``lookups`` found: the workspace's names of the tags asked for and excluded, the names
    by key (of those asked for), the collections reached, whether one asked for is missing."""

    tags: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    named: tuple[tuple[str, str | None], ...] = ()
    collections: tuple[uuid.UUID, ...] = ()
    impossible: bool = False


async def lookups(pool: Pool, workspace_id: uuid.UUID, request: SearchRequest) -> Looked:
    """The names of the tags a search asks for and excludes, the collections it reaches, and
    whether one of them is missing (one round trip, only when the search has such filters). A
    model's tag needs no name: with ``source=model`` or ``any``, a tag the workspace's people never
    used is no bar."""
    wanted = list(dict.fromkeys(key_of(t) for t in request.tags))
    unwanted = list(dict.fromkeys(key_of(t) for t in request.exclude_tags))
    if not wanted and not unwanted and request.collection is None:
        return Looked()
    record = await pool.fetchrow(
        """SELECT ARRAY(SELECT t.name FROM tags t WHERE t.workspace_id = $1 AND t.key = ANY($2::text[])
                        ORDER BY t.key) AS wanted,
                  ARRAY(SELECT t.key FROM tags t WHERE t.workspace_id = $1 AND t.key = ANY($2::text[])
                        ORDER BY t.key) AS wanted_keys,
                  ARRAY(SELECT t.name FROM tags t WHERE t.workspace_id = $1 AND t.key = ANY($3::text[])
                        ORDER BY t.key) AS unwanted,
                  ARRAY(WITH RECURSIVE below(id) AS (
                            SELECT c.id FROM collections c WHERE c.id = $4 AND c.workspace_id = $1
                            UNION SELECT c.id FROM collections c JOIN below b ON c.parent_id = b.id)
                        SELECT id FROM below) AS below""",
        workspace_id, wanted, unwanted, request.collection,
    )  # fmt: skip
    assert record is not None
    tags, below = tuple(record["wanted"]), tuple(record["below"])
    names = dict(zip(record["wanted_keys"], tags, strict=True))
    missing = (request.source == "people" and len(tags) < len(wanted)) or (
        request.collection is not None and not below
    )
    return Looked(
        tags=tags, excluded=tuple(record["unwanted"]), named=tuple((k, names.get(k)) for k in wanted),
        collections=below, impossible=missing,
    )  # fmt: skip


def tsquery(terms: Terms, where: Where, *, positive_only: bool = False) -> str:
    """The tsquery of ``terms`` as an SQL expression whose values are ``where``'s arguments.
    Every function in it is immutable, so PostgreSQL folds it to a constant when it plans the
    statement for its values. ``positive_only``: any of the words not excluded (what a part of a
    document must hold to count as ``matched``)."""
    groups: list[str] = []
    for group in terms.groups:
        alternatives = [_word(w, where) for w in group if not (positive_only and w.excluded)]
        if alternatives:
            groups.append("(" + " || ".join(alternatives) + ")")
    return "(" + (" || " if positive_only else " && ").join(groups) + ")"


def _word(word: Word, where: Where) -> str:
    if word.phrase:
        sql = _PHRASE.format(where.arg(word.text))
    else:
        lexemes = _LEXEME.findall(word.text)
        if word.prefix and lexemes and len(lexemes[-1]) >= MIN_PREFIX:
            sql = _PREFIX.format(where.arg(word.text), where.arg(" & ".join(lexemes) + ":*"))
        else:
            sql = _WORD.format(where.arg(word.text))
    return f"(!!{sql})" if word.excluded else sql


def filters(plan: Plan, where: Where) -> None:
    """Add the conditions of ``plan`` (but not its words) to ``where``: the workspace first."""
    r, ws = plan.request, plan.workspace_id
    where.add("d.workspace_id = {}", ws)
    if r.status != ANY_STATUS:
        where.add("d.status = {}", r.status)
    else:  # any status of the searchable ones: trashed assets are found by none
        where.add("d.status <> {}", AssetStatus.TRASHED.value)
    if r.types:
        where.add("d.kind = ANY({}::text[])", list(r.types))
    if r.content_type is not None and r.content_type.endswith("/*"):
        where.add("starts_with(d.content_type, {})", r.content_type[:-1])
    else:
        where.maybe("d.content_type = {}", r.content_type)
    _membership(plan, where)
    where.maybe("d.make_key = left(dam_fold({}), 200)", r.camera_make)
    where.maybe("d.model_key = left(dam_fold({}), 200)", r.camera_model)
    where.maybe("d.taken_at >= {}", r.taken_after)
    where.maybe("d.taken_at < {}", r.taken_before)
    where.maybe("d.created_at >= {}", r.created_after)
    where.maybe("d.created_at < {}", r.created_before)
    where.maybe("d.duration >= {}", r.duration_min)
    where.maybe("d.duration <= {}", r.duration_max)
    where.maybe("d.width >= {}", r.width_min)
    where.maybe("d.height >= {}", r.height_min)
    if r.has:
        where.add("d.found @> {}::text[]", list(r.has))
    if r.filename is not None:
        where.add("d.filename_key LIKE '%' || dam_fold({}) || '%'", escape_like(r.filename))
    if r.sha256 is not None:
        where.add(
            "d.asset_id IN (SELECT a.id FROM assets a WHERE a.workspace_id = {} AND a.sha256 = {})",
            ws,
            r.sha256,
        )
    for meta in r.meta:
        _meta(plan, meta.key, meta.equals, meta.min, meta.max, where)


def _membership(plan: Plan, where: Where) -> None:
    """Tags (all of, none of) and collections, as the plan looked them up."""
    if plan.impossible:
        where.add("FALSE")
    _tagged(plan, where)
    if plan.collections:
        where.add(
            "d.asset_id IN (SELECT ca.asset_id FROM collection_assets ca"
            " WHERE ca.collection_id = ANY({}::uuid[]))",
            list(plan.collections),
        )


def _tagged(plan: Plan, where: Where) -> None:
    """The tag filters, of people's tags, the models' or either (``source``)."""
    source = plan.request.source
    unwanted = list(dict.fromkeys(key_of(t) for t in plan.request.exclude_tags))
    if source == "people" and plan.tags:
        where.add("d.tags @> {}::text[]", list(plan.tags))
    if source == "model" and plan.named:
        where.add("d.model_tags @> {}::text[]", [key for key, _ in plan.named])
    if source == "any":
        for key, name in plan.named:  # each tag a person's or a model's
            where.add("(d.model_tags @> ARRAY[{}]::text[] OR d.tags @> ARRAY[{}]::text[])", key, name)
    if source != "people" and unwanted:
        where.add("NOT (d.model_tags && {}::text[])", unwanted)
    if source != "model" and plan.excluded:
        where.add("NOT (d.tags && {}::text[])", list(plan.excluded))


def _meta(plan: Plan, key: str, equals: str | None, low: str | None, high: str | None, where: Where) -> None:
    field = plan.fields.get(key)
    if equals is not None:
        where.add(
            "(" + " OR ".join(f"d.metadata @> {where.arg(c)}" for c in _candidates(key, equals, field)) + ")"
        )
    if field is None or (low is None and high is None):
        return
    if field.type == "number":
        held = f"d.metadata -> {where.arg(key)}"
        value = f"(CASE WHEN jsonb_typeof({held}) = 'number' THEN ({held})::numeric END)"
        where.maybe(f"{value} >= {{}}::numeric", low)
        where.maybe(f"{value} <= {{}}::numeric", high)
    else:  # a date: ISO 8601 text compares in time order; a bare date bound covers its whole day
        value = f"(d.metadata ->> {where.arg(key)})"
        where.maybe(f"{value} >= {{}}", low)
        if high is not None:
            where.add(f"left({value}, {{}}) <= {{}}", len(high), high)


def _candidates(key: str, value: str, field: SchemaField | None) -> list[dict[str, Any]]:
    """The JSON values ``meta.<key>=<value>`` matches: the text, and the number or truth it spells
    where the schema types it so (or does not type it); a list holding it (multi_enum)."""
    kind = field.type if field is not None else None
    found: list[Any] = []
    if kind in (None, "number"):
        found.extend(_number(value))
    if kind in (None, "bool") and value in ("true", "false"):
        found.append(value == "true")
    if kind not in ("number", "bool"):
        found.append(value)
    if kind in (None, "multi_enum"):
        found.append([value])
    return [{key: v} for v in found] or [{key: value}]


def _number(text: str) -> list[int | float]:
    """The number ``text`` spells (as JSON would hold it), if any."""
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return [value] if value == value and value not in (float("inf"), float("-inf")) else []
    return []


class Paged(msgspec.Struct, frozen=True, kw_only=True):
    """A page of results and, for relevance, how many matches its window held (the count)."""

    rows: list[Found]
    matches: int | None = None


async def page(
    pool: Pool, plan: Plan, *, after: Sequence[object] | None, limit: int, rank_cap: int, count_cap: int
) -> Paged:
    """One page of results (``limit`` rows; ask for one more to know there is a next page)."""
    where = Where()
    filters(plan, where)
    query = tsquery(plan.request.terms, where) if plan.request.terms is not None else None
    if query is not None:
        where.add(f"d.doc @@ {query}")
    matched = _matched(plan, query, where)
    if plan.request.order == "relevance":
        assert query is not None
        window = max(rank_cap, count_cap) + 1
        return await _ranked(
            pool, where, query, matched, after=after, limit=limit, rank_cap=rank_cap, window=window
        )
    sort = SORTS[plan.request.order]
    where.after(sort, after)
    records = await pool.fetch_planned(
        f"""SELECT {_ASSET_COLUMNS}, NULL::float8 AS score, {matched} AS matched,
                   p.created_at AS key_created, p.taken_sort, p.name_key
            FROM (SELECT d.asset_id, d.created_at, d.taken_sort, d.name_key FROM search_documents d
                  WHERE {where.sql} ORDER BY {sort.order_by} LIMIT {where.arg(limit)}) AS p
            JOIN assets a ON a.id = p.asset_id
            ORDER BY {sort.order_by.replace("d.", "p.")}""",
        *where.args,
    )
    return Paged(rows=[_found(r) for r in records])


async def _ranked(
    pool: Pool,
    where: Where,
    query: str,
    matched: str,
    *,
    after: Sequence[object] | None,
    limit: int,
    rank_cap: int,
    window: int,
) -> Paged:
    """The newest ``rank_cap`` matches (at or below the cursor's ceiling), ranked, and the number
    of matches up to ``window`` (the count, read by the same scan)."""
    extra = Where(len(where.args))
    ceiling, cursor = "TRUE", "TRUE"
    if after is not None:
        score, created_at, asset_id, ceiling_at, ceiling_id = after
        ceiling = f"(d.created_at, d.asset_id) <= ({extra.arg(ceiling_at)}, {extra.arg(ceiling_id)})"
        cursor = (
            f"(r.score, r.created_at, r.asset_id)"
            f" < ({extra.arg(score)}::float8, {extra.arg(created_at)}, {extra.arg(asset_id)})"
        )
    records = await pool.fetch_planned(
        f"""WITH w AS MATERIALIZED (
                SELECT d.asset_id, d.created_at, d.taken_sort, d.name_key, d.doc,
                       row_number() OVER (ORDER BY d.created_at DESC, d.asset_id DESC) AS n
                FROM (SELECT d.* FROM search_documents d WHERE {where.sql} AND {ceiling}
                      ORDER BY d.created_at DESC, d.asset_id DESC LIMIT {window}) AS d
            ), counted AS (
                SELECT count(*) AS matches FROM w
            ), ceiling AS (
                SELECT w.created_at, w.asset_id FROM w WHERE w.n = 1
            ), r AS (
                SELECT w.asset_id, w.created_at, w.taken_sort, w.name_key,
                       ts_rank(w.doc, {query})::float8 AS score
                FROM w WHERE w.n <= {rank_cap}
            ), p AS (
                SELECT r.* FROM r WHERE {cursor}
                ORDER BY r.score DESC, r.created_at DESC, r.asset_id DESC LIMIT {limit}
            )
            SELECT counted.matches, x.* FROM counted LEFT JOIN (
                SELECT {_ASSET_COLUMNS}, p.score, {matched} AS matched, p.created_at AS key_created,
                       p.taken_sort, p.name_key, ceiling.created_at AS ceiling_at,
                       ceiling.asset_id AS ceiling_id
                FROM p JOIN assets a ON a.id = p.asset_id CROSS JOIN ceiling
            ) AS x ON TRUE
            ORDER BY x.score DESC, x.key_created DESC, x.id DESC""",
        *where.args, *extra.args,
    )  # fmt: skip
    matches = records[0]["matches"] if records else 0
    return Paged(rows=[_found(r) for r in records if r["id"] is not None], matches=matches)


async def contains(pool: Pool, plan: Plan, asset_id: uuid.UUID) -> bool:
    """Whether the search finds this asset (its filters and words; no cap applies to one asset)."""
    where = Where()
    filters(plan, where)
    if plan.request.terms is not None:
        where.add(f"d.doc @@ {tsquery(plan.request.terms, where)}")
    where.add("d.asset_id = {}", asset_id)
    return bool(
        await pool.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM search_documents d WHERE {where.sql})", *where.args
        )
    )


def _matched(plan: Plan, query: str | None, where: Where) -> str:
    """An SQL array of the parts of each listed asset (``a``) that hold a word of the query (and
    ``filename`` when the filename filter matched it)."""
    parts: list[str] = []
    if query is not None and plan.request.terms is not None:
        any_word = tsquery(plan.request.terms, where, positive_only=True)
        checks = {
            "title": "a.title",
            "filename": _SPLIT_NAME,
            "tags": "array_to_string(a.tags, ' ')",
            "description": "a.description",
            # Custom metadata, and what the file says of itself: audio tags, IPTC caption and creator.
            "metadata": """concat_ws(' ', (SELECT string_agg(v #>> '{}', ' ')
                           FROM jsonb_path_query(a.metadata,
                           'strict $.** ? (@.type() == "string" || @.type() == "number")') AS v),
                           (SELECT string_agg(t.value, ' ') FROM jsonb_each_text(
                               CASE WHEN jsonb_typeof(a.media->'tags') = 'object' THEN a.media->'tags'
                                    ELSE '{}'::jsonb END) AS t),
                           a.media->'description'->>'caption', a.media->'description'->>'creator')""",
            "camera": "concat_ws(' ', a.media->'camera'->>'make', a.media->'camera'->>'model',"
            " a.media->'camera'->>'lens')",
            # What enrichment found in the media: words read in the pictures, or heard.
            "text": "(SELECT string_agg(e.text, ' ') FROM enrichments e WHERE e.asset_id = a.id)",
        }
        parts = [f"CASE WHEN {_words(sql)} @@ {any_word} THEN '{name}' END" for name, sql in checks.items()]
    if plan.request.filename is not None:
        parts.append("'filename'")
    if not parts:
        return "'{}'::text[]"
    return f"ARRAY(SELECT DISTINCT m FROM unnest(ARRAY[{', '.join(parts)}]::text[]) AS m WHERE m IS NOT NULL)"


def _words(sql: str) -> str:
    """The words of a text as a document holds them (as written and as English stems, folded),
    inline: a function of SQL would cost ~25 us a call on a page's rows."""
    folded = f"lower(public.unaccent('public.unaccent'::regdictionary, coalesce({sql}, '')))"
    return f"(to_tsvector('simple', {folded}) || to_tsvector('english', {folded}))"


_ASSET_COLUMNS = ", ".join(f"a.{c.strip()}" for c in ASSET_COLUMNS.split(","))  # of the row ``a``


def _found(record: asyncpg.Record) -> Found:
    values = dict(record.items())
    asset = asset_of(record)
    assert asset is not None
    return Found(
        asset=asset, score=values["score"], matched=sorted(values["matched"], key=MATCHED.index),
        created_at=values["key_created"], taken_sort=values["taken_sort"], name_key=values["name_key"],
        ceiling_at=values.get("ceiling_at"), ceiling_id=values.get("ceiling_id"),
    )  # fmt: skip


class Counted(msgspec.Struct, frozen=True, kw_only=True):
    """How many matches (up to the caps) and the facets of the newest ``facet_cap``."""

    matches: int  # at most max(count_cap, facet_cap) + 1
    facets: dict[str, list[Facet]]


async def count(pool: Pool, plan: Plan, *, count_cap: int, facet_cap: int) -> Counted:
    """Count the matches (up to a cap) and, when the search asks for facets, the values of each
    among the newest ``facet_cap`` matches."""
    where = Where()
    filters(plan, where)
    if plan.request.terms is not None:
        where.add(f"d.doc @@ {tsquery(plan.request.terms, where)}")
    facets = plan.request.facets
    if not facets:
        found = await pool.fetch_planned(
            f"""SELECT count(*) AS n
                FROM (SELECT 1 FROM search_documents d WHERE {where.sql} LIMIT {count_cap + 1}) AS m""",
            *where.args,
        )
        return Counted(matches=found[0]["n"], facets={})
    branches = ["SELECT 'total' AS facet, NULL::jsonb AS value, NULL::text AS label, count(*) AS n FROM m"]
    for name in facets:
        branches.append(f"({_facet(plan, name, where)} ORDER BY n DESC, value LIMIT {FACET_VALUES})")
    records = await pool.fetch_planned(
        f"""WITH m AS MATERIALIZED (
                SELECT d.asset_id, d.kind, d.content_type, d.tags, d.model_tags, d.camera_make,
                       d.camera_model, d.taken_sort, d.metadata
                FROM search_documents d WHERE {where.sql}
                ORDER BY d.created_at DESC, d.asset_id DESC LIMIT {max(count_cap, facet_cap) + 1}
            ), kept AS MATERIALIZED (SELECT * FROM m LIMIT {facet_cap})
            {" UNION ALL ".join(branches)}""",
        *where.args,
    )
    matches = 0
    counted: dict[str, list[Facet]] = {name: [] for name in facets}
    for record in records:
        if record["facet"] == "total":
            matches = record["n"]
        else:
            counted[record["facet"]].append(
                Facet(value=record["value"], count=record["n"], label=record["label"])
            )
    return Counted(matches=matches, facets=counted)


def _facet(plan: Plan, name: str, where: Where) -> str:
    """One facet's branch: (facet, value as JSON, label, count) of the kept matches."""
    facet = where.arg(name)
    simple = {
        "type": "kind",
        "content_type": "content_type",
        "camera_make": "camera_make",
        "camera_model": "camera_model",
        "year": "extract(year FROM taken_sort AT TIME ZONE 'UTC')::int",
    }
    if name in simple:
        column = simple[name]
        return (
            f"SELECT {facet}::text AS facet, to_jsonb({column}) AS value, NULL::text AS label, count(*) AS n"
            f" FROM kept WHERE {column} IS NOT NULL GROUP BY {column}"
        )
    if name == "tag":
        words = {
            "people": "kept.tags",
            "model": "kept.model_tags",
            "any": "ARRAY(SELECT DISTINCT w FROM unnest(kept.model_tags || ARRAY(SELECT lower(x)"
            " FROM unnest(kept.tags) AS x)) AS w)",
        }[plan.request.source]
        return (
            f"SELECT {facet}::text AS facet, to_jsonb(t.name) AS value, NULL::text AS label, count(*) AS n"
            f" FROM kept, unnest({words}) AS t(name) GROUP BY t.name"
        )
    if name == "collection":
        return (
            f"SELECT {facet}::text AS facet, to_jsonb(c.id::text) AS value, min(c.name) AS label,"
            " count(*) AS n FROM kept JOIN collection_assets ca ON ca.asset_id = kept.asset_id"
            " JOIN collections c ON c.id = ca.collection_id"
            f" AND c.workspace_id = {where.arg(plan.workspace_id)}"
            " GROUP BY c.id"
        )
    key = where.arg(name[5:])  # meta.<key>: the service checked it is a facet of the schema
    if plan.fields[name[5:]].type == "multi_enum":
        return (
            f"SELECT {facet}::text AS facet, v AS value, NULL::text AS label, count(*) AS n FROM kept,"
            f" jsonb_array_elements(CASE WHEN jsonb_typeof(kept.metadata -> {key}) = 'array'"
            f" THEN kept.metadata -> {key} ELSE '[]'::jsonb END) AS v GROUP BY v"
        )
    return (
        f"SELECT {facet}::text AS facet, kept.metadata -> {key} AS value, NULL::text AS label, count(*) AS n"
        " FROM kept"
        f" WHERE jsonb_typeof(kept.metadata -> {key}) IN ('string', 'number', 'boolean') GROUP BY 2"
    )


async def suggest(pool: Pool, workspace_id: uuid.UUID, prefix: str) -> Suggestions:
    """What starts with ``prefix`` (case- and accent-insensitively), up to ``SUGGESTIONS`` of each
    kind, in one round trip. Distinct titles, filenames and models are found by skipping through
    their index (a recursive query), never by reading every asset that has them."""
    n = SUGGESTIONS
    skip = """
        WITH RECURSIVE s(k) AS (
            (SELECT d.{col} FROM search_documents d
             WHERE d.workspace_id = $1 AND d.{col} LIKE dam_fold($2) AND d.status NOT IN ({gone})
             ORDER BY d.{col} LIMIT 1)
            UNION ALL
            SELECT (SELECT d.{col} FROM search_documents d
                    WHERE d.workspace_id = $1 AND d.{col} LIKE dam_fold($2) AND d.{col} > s.k
                      AND d.status NOT IN ({gone})
                    ORDER BY d.{col} LIMIT 1)
            FROM s WHERE s.k IS NOT NULL
        )
        SELECT k FROM s WHERE k IS NOT NULL LIMIT {n}"""
    gone = ", ".join(f"'{s.value}'" for s in sorted(HIDDEN))  # trashed and deleted assets suggest nothing
    titles, files, models = (
        skip.format(col=c, n=n, gone=gone) for c in ("title_key", "filename_key", "model_key")
    )
    records = await pool.fetch_planned(
        f"""SELECT
            ARRAY(SELECT t.name FROM tags t
                  WHERE t.workspace_id = $1 AND dam_fold(t.name) COLLATE "C" LIKE dam_fold($2)
                  ORDER BY t.asset_count DESC, t.key LIMIT {n}) AS tags,
            ARRAY(SELECT (SELECT a.title FROM search_documents d JOIN assets a ON a.id = d.asset_id
                          WHERE d.workspace_id = $1 AND d.title_key = x.k AND d.status NOT IN ({gone})
                          LIMIT 1)
                  FROM ({titles}) AS x) AS titles,
            ARRAY(SELECT (SELECT a.filename FROM search_documents d JOIN assets a ON a.id = d.asset_id
                          WHERE d.workspace_id = $1 AND d.filename_key = x.k AND d.status NOT IN ({gone})
                          LIMIT 1)
                  FROM ({files}) AS x) AS filenames,
            ARRAY(SELECT (SELECT d.camera_model FROM search_documents d
                          WHERE d.workspace_id = $1 AND d.model_key = x.k AND d.status NOT IN ({gone})
                          LIMIT 1)
                  FROM ({models}) AS x) AS camera_models,
            ARRAY(SELECT jsonb_build_object('id', c.id::text, 'name', c.name) FROM collections c
                  WHERE c.workspace_id = $1 AND dam_fold(c.name) COLLATE "C" LIKE dam_fold($2)
                  ORDER BY dam_fold(c.name) COLLATE "C", c.id LIMIT {n}) AS collections""",
        workspace_id, _prefix_pattern(prefix),
    )  # fmt: skip
    row = records[0]
    return Suggestions(
        tags=list(row["tags"]), titles=[t for t in row["titles"] if t],
        filenames=[f for f in row["filenames"] if f], camera_models=[m for m in row["camera_models"] if m],
        collections=list(row["collections"]),
    )  # fmt: skip


def _prefix_pattern(prefix: str) -> str:
    """A LIKE pattern for values starting with ``prefix`` (the statement folds it as it folds the
    values: escapes and ``%`` come through ``dam_fold`` unchanged)."""
    return escape_like(prefix) + "%"
