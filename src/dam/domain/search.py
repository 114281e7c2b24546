"""Search as the service understands it: the words of a query, the filters, sorts and facets of
``GET /search`` (pure rules; ``db/search.py`` turns them into SQL, ``services/search.py`` runs them).

The query language is what people type into search boxes (``websearch_to_tsquery``'s): words are
all required; ``"a phrase"`` matches the words in that order; ``-word`` (or ``-"a phrase"``)
excludes; ``OR`` between two words or phrases accepts either. The last plain word also matches as
a prefix, so results follow a person's typing. Everything is matched case- and accent-insensitively,
and words by their English stems as well as as written (``cars`` finds ``car``).
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl

import msgspec

from dam.domain.errors import DamError
from dam.domain.status import AssetStatus
from dam.domain.tags import TagSource

SortName = Literal["relevance", "newest", "oldest", "taken", "name"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest", "taken", "name")
FACETS: tuple[str, ...] = ("type", "content_type", "tag", "camera_make", "camera_model", "year", "collection")
TYPES: tuple[str, ...] = ("image", "video", "audio", "other")
MATCHED: tuple[str, ...] = ("title", "filename", "tags", "description", "metadata", "camera", "text")
META_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_QUERY = 500  # characters of ``q``
MAX_WORDS = 32  # words and phrases of ``q``
MAX_META = 16  # ``meta.*`` parameters
MAX_TAGS = 32  # ``tag`` and ``exclude_tag`` values, each
MAX_LIMIT = 200
ANY_STATUS = "any"
# An asset is searchable once its bytes have arrived: every status but pending_upload.
# A trashed one is found by no search: GET /trash lists it.
SEARCHED: tuple[str, ...] = tuple(
    s.value for s in AssetStatus if s not in (AssetStatus.PENDING_UPLOAD, AssetStatus.TRASHED)
)
# Parameters GET /search takes besides ``meta.<key>`` (and ``.min`` / ``.max``); only the
# repeatable ones may be given more than once.
REPEATABLE = frozenset({"type", "tag", "exclude_tag", "has"})
# What ``has=`` filters by: what enrichment found in the media (``search_documents.found``).
HAS: tuple[str, ...] = ("text", "credentials", "ai_generated")
HasName = Literal["text", "credentials", "ai_generated"]


class InvalidSearch(DamError):
    """A search the API cannot run as asked (400 ``invalid_request``): an unknown parameter, a
    facet or a ``meta.`` key it does not know, a cursor of another query."""

    code = "invalid_request"


class Word(msgspec.Struct, frozen=True):
    """One word or phrase of a query: excluded or not; ``prefix``: the last word as typed."""

    text: str
    phrase: bool = False
    excluded: bool = False
    prefix: bool = False


class Terms(msgspec.Struct, frozen=True):
    """A query's words: every group is required, and a group matches when any of its words does."""

    groups: tuple[tuple[Word, ...], ...]

    @property
    def words(self) -> list[Word]:
        """Every word, in order."""
        return [w for g in self.groups for w in g]


_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_LETTERS = re.compile(r"[^\W_]", re.UNICODE)


def parse_terms(q: str) -> Terms | None:
    """The words of ``q`` as the query language reads them; None when it holds nothing to look for
    (only punctuation, or only exclusions)."""
    if len(q) > MAX_QUERY:
        raise InvalidSearch(f"q is longer than {MAX_QUERY} characters")
    groups: list[list[Word]] = []
    join = False
    for match in _TOKEN.finditer(q):
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare == "OR":
            join = bool(groups)
            continue
        if quoted is not None:
            word = Word(" ".join(quoted.split()), phrase=True, excluded=bool(negated))
        else:
            excluded = bare.startswith("-") and len(bare) > 1
            word = Word(bare[1:] if excluded else bare, excluded=excluded)
        if not _LETTERS.search(word.text):
            join = False
            continue
        if join and groups:
            groups[-1].append(word)
        else:
            groups.append([word])
        join = False
    if not any(not w.excluded for g in groups for w in g):
        return None
    words = sum(len(g) for g in groups)
    if words > MAX_WORDS:
        raise InvalidSearch(f"q has {words} words and phrases; at most {MAX_WORDS}")
    last = groups[-1][-1]
    if not last.phrase and not last.excluded and not q.rstrip("\"'").endswith((" ", "\t")):
        groups[-1][-1] = Word(last.text, prefix=True)
    return Terms(tuple(tuple(g) for g in groups))


class MetaFilter(msgspec.Struct, frozen=True):
    """``meta.<key>=<value>`` (equality), or a range of it (``.min`` / ``.max``)."""

    key: str
    equals: str | None = None
    min: str | None = None
    max: str | None = None


class SearchRequest(msgspec.Struct, frozen=True, kw_only=True, dict=True):
    """What ``GET /search`` was asked, checked for shape (``services/search.py`` checks the rest
    against the workspace: its schema, its collections)."""

    q: str | None = None
    types: tuple[str, ...] = ()
    content_type: str | None = None
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    source: TagSource = "people"  # whose tags ``tags``, ``exclude_tags`` and the tag facet mean
    has: tuple[HasName, ...] = ()
    collection: uuid.UUID | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    taken_after: datetime | None = None
    taken_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    width_min: int | None = None
    height_min: int | None = None
    meta: tuple[MetaFilter, ...] = ()
    filename: str | None = None
    sha256: str | None = None
    status: str = AssetStatus.READY.value
    sort: SortName | None = None
    facets: tuple[str, ...] = ()
    limit: int = 50
    cursor: str | None = None

    @functools.cached_property
    def terms(self) -> Terms | None:
        """The words of ``q`` (None: no words, a browse), parsed once."""
        return None if self.q is None else parse_terms(self.q)

    @property
    def order(self) -> SortName:
        """The order of the answer: relevance when there are words, else newest, unless asked."""
        if self.sort is not None:
            return self.sort
        return "relevance" if self.terms is not None else "newest"

    def scope(self) -> list[object]:
        """What a cursor of this search is bound to: everything but the cursor, the page size and the
        facets (which count the matches and change neither them nor their order: a client asks for
        them with the first page only)."""
        fields = msgspec.structs.asdict(self)
        fields.pop("cursor")
        fields.pop("limit")
        fields.pop("facets")
        fields["order"] = self.order
        return [fields[k] for k in sorted(fields)]


def meta_filters(params: Mapping[str, str]) -> tuple[MetaFilter, ...]:
    """The ``meta.<key>``, ``meta.<key>.min`` and ``meta.<key>.max`` parameters among ``params``
    (name -> value), each key's three gathered; a key outside ``^[A-Za-z0-9_.-]{1,64}$`` is 400."""
    found: dict[str, dict[str, str]] = {}
    for name, value in params.items():
        if not name.startswith("meta."):
            continue
        rest = name[5:]
        part = "equals"
        for bound in ("min", "max"):
            if rest.endswith("." + bound):
                rest, part = rest[: -len(bound) - 1], bound
        if not META_KEY.fullmatch(rest):
            raise InvalidSearch(
                f"query parameter {name[:80]!r}: a metadata key is 1 to 64 letters, digits, '_', '.' or '-'"
            )
        found.setdefault(rest, {})[part] = value
    if len(found) > MAX_META:
        raise InvalidSearch(f"at most {MAX_META} meta. parameters")
    return tuple(MetaFilter(key, **parts) for key, parts in sorted(found.items()))


_NOT_SEARCHED = {
    AssetStatus.PENDING_UPLOAD.value: (
        "pending uploads are not searched (their bytes have not arrived): list them with"
        " GET /assets?status=pending_upload"
    ),
    AssetStatus.TRASHED.value: "trashed assets are not searched: GET /trash lists them",
}


def check(request: SearchRequest) -> SearchRequest:
    """Refuse what no workspace could answer: an unknown sort or facet, relevance without words,
    a bad status or type, too many tags."""
    if request.status in _NOT_SEARCHED:
        raise InvalidSearch(_NOT_SEARCHED[request.status])
    if request.status != ANY_STATUS and request.status not in SEARCHED:
        raise InvalidSearch(
            f"status {request.status[:40]!r} is not one of {', '.join([*SEARCHED, ANY_STATUS])}"
        )
    if request.sort is not None and request.sort not in SORTS:
        raise InvalidSearch(f"sort {str(request.sort)[:40]!r} is not one of {', '.join(SORTS)}")
    for kind in request.types:
        if kind not in TYPES:
            raise InvalidSearch(f"type {kind[:40]!r} is not one of {', '.join(TYPES)}")
    for facet in request.facets:
        if facet not in FACETS and not (facet.startswith("meta.") and META_KEY.fullmatch(facet[5:])):
            raise InvalidSearch(f"facet {facet[:40]!r} is not one of {', '.join(FACETS)} or meta.<key>")
    if request.sort == "relevance" and request.terms is None:
        raise InvalidSearch("sort=relevance needs q with words to rank by")
    if len(request.tags) > MAX_TAGS or len(request.exclude_tags) > MAX_TAGS:
        raise InvalidSearch(f"at most {MAX_TAGS} tag and {MAX_TAGS} exclude_tag values")
    return request


def facet_list(value: str | None) -> tuple[str, ...]:
    """``facets=type,tag``: the names, in order, each once."""
    if not value:
        return ()
    return tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))


class Facet(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One value of a facet and how many matches have it; ``label``: a collection's name."""

    value: str | int | float | bool
    count: int
    label: str | None = None


class Total(msgspec.Struct, frozen=True):
    """How many matches: exactly (``eq``) or at least (``gte``, beyond the count cap)."""

    value: int
    relation: Literal["eq", "gte"]


class Suggestions(msgspec.Struct, frozen=True, kw_only=True):
    """What the search box offers for a prefix."""

    tags: list[str]
    titles: list[str]
    filenames: list[str]
    camera_models: list[str]
    collections: list[dict[str, str]]


def escape_like(text: str) -> str:
    """``text`` as a literal part of a LIKE pattern (``\\`` escapes)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def words_of(values: Sequence[str]) -> list[str]:
    """Values without blanks and repeats, in order."""
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


class Parameters(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The parameters of ``GET /search`` by their names (``meta.<key>`` aside), typed as the route
    types them: what the route was given, or what a stored query string holds."""

    q: str | None = None
    type: list[str] = msgspec.field(default_factory=list)
    content_type: str | None = None
    tag: list[str] = msgspec.field(default_factory=list)
    exclude_tag: list[str] = msgspec.field(default_factory=list)
    source: TagSource = "people"
    has: list[HasName] = msgspec.field(default_factory=list)
    collection: uuid.UUID | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    taken_after: datetime | None = None
    taken_before: datetime | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    width_min: int | None = None
    height_min: int | None = None
    filename: str | None = None
    sha256: str | None = None
    status: str = AssetStatus.READY.value
    sort: str | None = None
    facets: str | None = None
    limit: int = 50
    cursor: str | None = None


def request_from(given: Parameters, meta: Mapping[str, str]) -> SearchRequest:
    """The search ``GET /search``'s parameters ask for (``meta``: its ``meta.*`` ones, by name; a
    bad ``meta.`` key is ``InvalidSearch``); ``check`` it before running it."""
    return SearchRequest(
            q=given.q, types=tuple(words_of(given.type)), content_type=given.content_type,
            tags=tuple(words_of(given.tag)), exclude_tags=tuple(words_of(given.exclude_tag)),
            source=given.source, has=tuple(dict.fromkeys(given.has)),
            collection=given.collection, camera_make=given.camera_make, camera_model=given.camera_model,
            taken_after=given.taken_after, taken_before=given.taken_before,
            created_after=given.created_after, created_before=given.created_before,
            duration_min=given.duration_min, duration_max=given.duration_max, width_min=given.width_min,
            height_min=given.height_min, meta=meta_filters(meta), filename=given.filename,
            sha256=given.sha256, status=given.status, sort=given.sort,  # type: ignore[arg-type]
            facets=facet_list(given.facets), limit=given.limit, cursor=given.cursor,
    )  # fmt: skip


_PAGED = frozenset({"facets", "limit", "cursor"})  # what a stored query leaves to its listing


def request_of(query_string: str) -> SearchRequest:
    """The search a query string of ``GET /search`` asks for (a smart collection's stored query),
    held to the same rules: known parameters (and ``meta.<key>``), only the repeatable ones
    repeated; no facets, limit or cursor (the listing pages it). ``InvalidSearch`` otherwise."""
    try:
        pairs = parse_qsl(query_string.removeprefix("?"), keep_blank_values=True, strict_parsing=False)
    except ValueError as exc:
        raise InvalidSearch(f"the query does not parse: {exc}") from None
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    singles: dict[str, Any] = {}
    for name, given in values.items():
        if len(given) > 1 and name not in REPEATABLE:
            raise InvalidSearch(f"query parameter {name[:64]!r} is given {len(given)} times; give it once")
        if name in _PAGED:
            raise InvalidSearch(f"a stored query has no {name}: the listing pages it")
        if not name.startswith("meta."):
            singles[name] = given if name in REPEATABLE else given[0]
    try:
        stored = msgspec.convert(singles, Parameters, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidSearch(f"the query does not hold: {exc}") from None
    return check(request_from(stored, {n: v[0] for n, v in values.items() if n.startswith("meta.")}))
