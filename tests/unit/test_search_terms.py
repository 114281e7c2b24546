"""The search query language and the parameters of GET /search, as pure rules."""

from __future__ import annotations

import pytest

from dam.domain.search import (
    InvalidSearch,
    MetaFilter,
    SearchRequest,
    Word,
    check,
    facet_list,
    meta_filters,
    parse_terms,
    request_of,
)

pytestmark = pytest.mark.unit


def groups(q: str) -> list[list[Word]] | None:
    terms = parse_terms(q)
    return None if terms is None else [list(g) for g in terms.groups]


def test_words_phrases_exclusions_and_or() -> None:
    assert groups("tram lisbon") == [[Word("tram")], [Word("lisbon", prefix=True)]]
    assert groups('"old  town" -bus') == [[Word("old town", phrase=True)], [Word("bus", excluded=True)]]
    assert groups("lisbon OR porto tram") == [[Word("lisbon"), Word("porto")], [Word("tram", prefix=True)]]
    assert groups('-"night bus" day') == [
        [Word("night bus", phrase=True, excluded=True)],
        [Word("day", prefix=True)],
    ]
    assert groups("or OR") == [[Word("or", prefix=True)]]  # a lower-case or is a word; a dangling OR is not
    assert groups("OR lisbon") == [[Word("lisbon", prefix=True)]]


def test_the_last_plain_word_is_a_prefix_until_a_space_ends_it() -> None:
    assert groups("lisb") == [[Word("lisb", prefix=True)]]
    assert groups("lisb ") == [[Word("lisb")]]
    assert groups('"lisb"') == [[Word("lisb", phrase=True)]]
    assert groups("-lisb") is None


def test_nothing_to_look_for() -> None:
    for q in ("", "   ", "!!!", "-", '""', "-tram -bus", "OR"):
        assert parse_terms(q) is None, q


def test_limits() -> None:
    with pytest.raises(InvalidSearch):
        parse_terms("x" * 501)
    with pytest.raises(InvalidSearch):
        parse_terms(" ".join(["w"] * 33))


def test_meta_parameters() -> None:
    assert meta_filters(
        {"meta.rating.min": "3", "meta.rating.max": "5", "meta.client": "acme", "q": "x"}
    ) == (
        MetaFilter("client", equals="acme"),
        MetaFilter("rating", min="3", max="5"),
    )
    assert meta_filters({"meta.a.b": "1"}) == (MetaFilter("a.b", equals="1"),)
    for bad in ("meta.", "meta.bad key", "meta." + "k" * 65, "meta.ü"):
        with pytest.raises(InvalidSearch):
            meta_filters({bad: "1"})


def test_checks() -> None:
    assert check(SearchRequest(q="tram")).order == "relevance"
    assert check(SearchRequest()).order == "newest"
    assert check(SearchRequest(q="!!!")).order == "newest"
    for bad in (
        SearchRequest(sort="relevance"),
        SearchRequest(status="lost"),
        SearchRequest(types=("document",)),
        SearchRequest(facets=("colour",)),
        SearchRequest(tags=tuple(str(n) for n in range(33))),
    ):
        with pytest.raises(InvalidSearch):
            check(bad)
    assert facet_list(" tag, type ,tag,,") == ("tag", "type")


def test_a_cursor_scope_ignores_the_page_but_not_the_query() -> None:
    base = SearchRequest(q="tram", limit=10, cursor="a")
    assert base.scope() == SearchRequest(q="tram", limit=50).scope()
    assert base.scope() != SearchRequest(q="trams").scope()
    assert base.scope() != SearchRequest(q="tram", sort="newest").scope()


def test_stored_queries() -> None:
    got = request_of(
        "?q=lisbon&type=image&type=video&tag=a&meta.client=acme&taken_after=2024-01-01T00:00:00Z"
    )
    assert (got.q, got.types, got.tags, got.meta) == (
        "lisbon",
        ("image", "video"),
        ("a",),
        (MetaFilter("client", "acme"),),
    )
    assert got.taken_after is not None
    assert got.taken_after.year == 2024
    for bad in (
        "colour=red",
        "q=a&q=b",
        "facets=tag",
        "limit=5",
        "cursor=x",
        "width_min=wide",
        "sort=size",
        "meta.a b=1",
    ):
        with pytest.raises(InvalidSearch):
            request_of(bad)
