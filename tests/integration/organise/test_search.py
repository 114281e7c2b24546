"""Search: the query language (phrases, exclusion, OR, accents, stems, prefixes), every filter, the
facets (exact below the cap, partial above it), relevance, cursors (stable while assets arrive,
bound to their query), strict parameters, suggestions, and another workspace's assets, tags and
collections never showing.

The library is five assets written by hand, settled as processed (their facts set in the database,
as the media steps would record them), so every expected answer below is worked out by reading it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dam.db.pool import Pool
from dam.settings import Settings
from tests.support.accounts import Identities, client_of
from tests.support.flows import create, json_of

Client = AsyncTestClient[Any]
T0 = datetime(2026, 1, 1, tzinfo=UTC)

LIBRARY: dict[str, dict[str, Any]] = {
    "sunset": {
        "create": {"filename": "IMG_0001.jpg", "title": "Sunset over Lisbon", "tags": ["Beach", "Travel"]},
        "media": {"kind": "image", "width": 6000, "height": 4000, "captured_at": "2021-06-01T20:15:00",
                  "camera": {"make": "Canon", "model": "Canon EOS R5"}},
    },
    "cafes": {
        "create": {"filename": "porto-cafe_02.png", "content_type": "image/png", "title": "Cafés of Porto",
                   "description": "A morning walk through the old town's cafes", "tags": ["Food"]},
        "media": {"kind": "image", "width": 1200, "height": 800, "captured_at": "2019-03-10T09:00:00",
                  "camera": {"make": "NIKON CORPORATION", "model": "NIKON Z 6"}},
    },
    "interview": {
        "create": {"filename": "interview_take3.mp4", "content_type": "video/mp4",
                   "title": "Interview take 3", "description": "Sunset interview on the beach",
                   "tags": ["Interview"]},
        "media": {"kind": "video", "width": 1920, "height": 1080, "duration": 120.0},
    },
    "cars": {
        "create": {"filename": "DSC01234.ARW", "content_type": "image/x-sony-arw", "title": "Cars at night",
                   "tags": ["travel", "Night"], "metadata": {"project": "apollo", "rating": 4}},
        "media": {"kind": "image", "width": 6000, "height": 4000, "captured_at": "2023-11-05T22:00:00",
                  "camera": {"make": "SONY", "model": "ILCE-7M3"}},
    },
    "theme": {
        "create": {"filename": "theme.mp3", "content_type": "audio/mpeg"},
        "media": {"kind": "audio", "duration": 200.5, "tags": {"artist": "Ana Moura", "genre": "Fado"}},
    },
}  # fmt: skip


async def settle(pool: Pool, asset_id: str, media: dict[str, Any], created_at: datetime) -> None:
    """Mark an asset processed with these facts, as the steps would (its document follows: the
    triggers on ``assets`` rebuild it in the same statement)."""
    await pool.execute(
        """UPDATE assets SET status = 'ready', media = $2, created_at = $3 WHERE id = $1;""",
        uuid.UUID(asset_id), media, created_at,
    )  # fmt: skip


async def library(api: Client, pool: Pool) -> dict[str, str]:
    """The five assets, oldest first one minute apart: name -> id."""
    ids: dict[str, str] = {}
    for n, (name, spec) in enumerate(LIBRARY.items()):
        made = await create(api, **spec["create"])
        await settle(pool, made["id"], spec["media"], T0 + timedelta(minutes=n))
        ids[name] = made["id"]
    return ids


@pytest.fixture
async def lib(api: Client, accounts_pool: Pool) -> dict[str, str]:
    return await library(api, accounts_pool)


async def found(api: Client, **params: Any) -> list[str]:
    """The ids a search finds (one page of up to 200)."""
    answer = await api.get("/search", params={"limit": "200", **params})
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def names(lib: dict[str, str], ids: list[str]) -> list[str]:
    back = {v: k for k, v in lib.items()}
    return [back.get(i, i) for i in ids]


async def test_words_phrases_exclusion_or_accents_stems_and_prefixes(
    api: Client, lib: dict[str, str]
) -> None:
    async def q(text: str, **more: Any) -> list[str]:
        return names(lib, await found(api, q=text, **more))

    assert await q("sunset") == ["sunset", "interview"]  # title (A) ranks above description (C)
    assert await q('"old town"') == ["cafes"]
    assert await q('"town old"') == []
    assert await q("sunset -interview") == ["sunset"]
    assert await q("sunset -beach") == []  # a tag and a description word exclude alike
    assert sorted(await q("lisbon OR porto")) == ["cafes", "sunset"]
    assert await q("CAFÉ") == ["cafes"]  # accents and case: Cafés, cafes
    assert await q("cafe ") == ["cafes"]
    assert await q("car ") == ["cars"]  # English stems: cars
    assert await q("lisb") == ["sunset"]  # the last word, as typed, is a prefix
    assert await q("lisb ") == []  # ...until it is finished
    assert await q("img 0001") == ["sunset"]  # the filename split on _ . -
    assert await q("fado") == ["theme"]  # audio tags
    assert await q("canon") == ["sunset"]  # camera
    assert await q("apollo") == ["cars"]  # metadata values
    assert await q("-sunset") == names(lib, await found(api))  # only exclusions: a browse
    assert await q("!!!") == names(lib, await found(api))


async def test_scores_and_what_matched(api: Client, lib: dict[str, str]) -> None:
    page = json_of(await api.get("/search", params={"q": "sunset beach"}))
    items = {names(lib, [i["id"]])[0]: i for i in page["items"]}
    assert list(items) == ["sunset", "interview"]
    assert items["sunset"]["matched"] == ["title", "tags"]
    assert items["interview"]["matched"] == ["description"]
    assert items["sunset"]["score"] > items["interview"]["score"] > 0
    assert items["sunset"]["title"] == "Sunset over Lisbon"
    assert items["sunset"]["tags"] == ["Beach", "Travel"]
    assert items["sunset"]["kind"] == "image"
    assert page["total"] == {"value": 2, "relation": "eq"}
    browse = json_of(await api.get("/search", params={"filename": "take"}))
    assert [(i["score"], i["matched"]) for i in browse["items"]] == [(None, ["filename"])]


async def test_filters(api: Client, lib: dict[str, str], accounts_pool: Pool) -> None:
    async def f(**params: Any) -> list[str]:
        return sorted(names(lib, await found(api, **params)))

    assert await f(filename="0123") == ["cars"]
    assert await f(filename="_TAKE") == ["interview"]
    assert await f(filename="%") == []  # a literal, not a wildcard
    assert await f(tag="TRAVEL") == ["cars", "sunset"]
    assert await f(tag=["travel", "night"]) == ["cars"]
    assert await f(tag=["travel", "no such tag"]) == []
    assert await f(tag="travel", exclude_tag="night") == ["sunset"]
    assert await f(type="video") == ["interview"]
    assert await f(type=["audio", "video"]) == ["interview", "theme"]
    assert await f(content_type="image/*") == ["cafes", "cars", "sunset"]
    assert await f(content_type="image/png") == ["cafes"]
    assert await f(camera_make="canon") == ["sunset"]
    assert await f(camera_model="nikon z 6") == ["cafes"]
    assert await f(taken_after="2020-01-01T00:00:00Z") == ["cars", "sunset"]
    assert await f(taken_after="2020-01-01T00:00:00Z", taken_before="2022-01-01T00:00:00Z") == ["sunset"]
    assert await f(created_after=(T0 + timedelta(minutes=3)).isoformat()) == ["cars", "theme"]
    assert await f(created_before=(T0 + timedelta(minutes=1)).isoformat()) == ["sunset"]
    assert await f(duration_min="100", duration_max="150") == ["interview"]
    assert await f(width_min="1920") == ["cars", "interview", "sunset"]
    assert await f(height_min="1000", type="video") == ["interview"]
    assert await f(**{"meta.project": "apollo"}) == ["cars"]
    assert await f(**{"meta.rating": "4"}) == ["cars"]
    assert await f(**{"meta.rating": "5"}) == []
    sha = "ab" * 32
    await accounts_pool.execute("UPDATE assets SET sha256 = $2 WHERE id = $1", uuid.UUID(lib["theme"]), sha)
    assert await f(sha256=sha) == ["theme"]
    await accounts_pool.execute("UPDATE assets SET status = 'failed' WHERE id = $1", uuid.UUID(lib["theme"]))
    assert "theme" not in await f()
    assert await f(status="failed") == ["theme"]
    assert len(await f(status="any")) == 5


async def test_nested_collections(api: Client, lib: dict[str, str]) -> None:
    top = json_of(await api.post("/collections", json={"name": "Trips"}))
    below = json_of(await api.post("/collections", json={"name": "Nights", "parent_id": top["id"]}))
    await api.post(f"/collections/{top['id']}/assets", json={"asset_ids": [lib["sunset"]]})
    await api.post(f"/collections/{below['id']}/assets", json={"asset_ids": [lib["cars"]]})
    assert sorted(names(lib, await found(api, collection=top["id"]))) == ["cars", "sunset"]
    assert names(lib, await found(api, collection=below["id"])) == ["cars"]
    assert await found(api, collection=str(uuid.uuid4())) == []
    facets = json_of(await api.get("/search", params={"facets": "collection"}))["facets"]["collection"]
    assert sorted((f["label"], f["count"]) for f in facets) == [("Nights", 1), ("Trips", 1)]


async def test_sorts(api: Client, lib: dict[str, str]) -> None:
    assert names(lib, await found(api)) == ["theme", "cars", "interview", "cafes", "sunset"]
    assert names(lib, await found(api, sort="oldest")) == ["sunset", "cafes", "interview", "cars", "theme"]
    # Captured first; without a capture time, the creation time (2026) stands in.
    assert names(lib, await found(api, sort="taken")) == ["theme", "interview", "cars", "sunset", "cafes"]
    # By title, else the filename, case and accents aside.
    assert names(lib, await found(api, sort="name")) == ["cafes", "cars", "interview", "sunset", "theme"]
    for bad in ({"sort": "relevance"}, {"sort": "size"}):
        answer = await api.get("/search", params=bad)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_request"


async def test_facets_are_exact_below_the_cap(api: Client, lib: dict[str, str]) -> None:
    page = json_of(
        await api.get("/search", params={"facets": "type,content_type,tag,camera_make,camera_model,year"})
    )
    facets = {k: {f["value"]: f["count"] for f in v} for k, v in page["facets"].items()}
    assert facets["type"] == {"image": 3, "video": 1, "audio": 1}
    assert facets["content_type"]["image/jpeg"] == 1
    assert facets["tag"] == {"Travel": 2, "Beach": 1, "Food": 1, "Interview": 1, "Night": 1}
    assert facets["camera_make"] == {"Canon": 1, "NIKON CORPORATION": 1, "SONY": 1}
    assert facets["camera_model"] == {"Canon EOS R5": 1, "NIKON Z 6": 1, "ILCE-7M3": 1}
    assert facets["year"] == {2021: 1, 2019: 1, 2023: 1, 2026: 2}
    assert page["facets_partial"] is False
    assert page["total"] == {"value": 5, "relation": "eq"}
    narrowed = json_of(await api.get("/search", params={"facets": "tag", "q": "travel"}))
    assert {f["value"]: f["count"] for f in narrowed["facets"]["tag"]} == {
        "Travel": 2, "Beach": 1, "Night": 1,
    }  # fmt: skip
    for bad in ("colour", "meta.undeclared", "meta.bad key"):
        answer = await api.get("/search", params={"facets": bad})
        assert answer.status_code == 400, answer.text


async def test_above_the_caps_facets_are_partial_and_the_total_a_floor(
    make_settings: Any, identities: Identities, accounts_pool: Pool
) -> None:
    settings: Settings = make_settings(
        DAM_SEARCH_FACET_CAP="3", DAM_SEARCH_COUNT_CAP="4", DAM_SEARCH_RANK_CAP="2"
    )
    workspace = await identities.workspace()
    async with client_of(settings, await identities.key(workspace, "admin")) as api:
        lib = await library(api, accounts_pool)
        page = json_of(await api.get("/search", params={"facets": "type"}))
        assert page["facets_partial"] is True
        assert page["total"] == {"value": 4, "relation": "gte"}
        # The newest three: theme, cars, interview.
        assert {f["value"]: f["count"] for f in page["facets"]["type"]} == {
            "audio": 1,
            "image": 1,
            "video": 1,
        }
        small = json_of(await api.get("/search", params={"facets": "type", "type": "video"}))
        assert (small["facets_partial"], small["total"]) == (False, {"value": 1, "relation": "eq"})
        # Relevance ranks the newest two matches of "sunset OR cars OR porto": cars, then interview.
        ranked = names(lib, await found(api, q="sunset OR cars OR porto"))
        assert sorted(ranked) == ["cars", "interview"]


async def test_cursors_are_stable_while_assets_arrive_and_bound_to_their_query(
    api: Client, lib: dict[str, str], accounts_pool: Pool
) -> None:
    # Facets with the first page only (as the web app asks): the cursor serves the pages without them.
    first = json_of(await api.get("/search", params={"limit": "2", "facets": "type,tag"}))
    assert names(lib, [i["id"] for i in first["items"]]) == ["theme", "cars"]
    assert first["facets"]["type"]
    newer = await create(api, filename="late.jpg", title="Late sunset")
    await settle(accounts_pool, newer["id"], {"kind": "image"}, T0 + timedelta(hours=1))
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = json_of(await api.get("/search", params={"limit": "2", "cursor": cursor}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert names(lib, seen) == ["theme", "cars", "interview", "cafes", "sunset"]
    # Relevance: pages of the first page's window, in order, whatever arrives.
    ranked = json_of(await api.get("/search", params={"q": "sunset", "limit": "1"}))
    assert [i["id"] for i in ranked["items"]] == [newer["id"]]  # a title match, the newest
    another = await create(api, filename="later.jpg", title="Sunset again")
    await settle(accounts_pool, another["id"], {"kind": "image"}, T0 + timedelta(hours=2))
    rest, cursor = [], ranked["next_cursor"]
    while cursor:
        page = json_of(await api.get("/search", params={"q": "sunset", "limit": "1", "cursor": cursor}))
        rest += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert names(lib, rest) == ["sunset", "interview"]
    for other in ({"q": "sunsets", "limit": "1"}, {"q": "sunset", "type": "image"}, {"limit": "1"}):
        replay = await api.get("/search", params={**other, "cursor": ranked["next_cursor"]})
        assert replay.status_code == 400, replay.text
        assert "cursor" in replay.json()["detail"]


async def test_parameters_are_strict(api: Client) -> None:
    for params in (
        {"colour": "red"},
        {"meta.bad key": "x"},
        {"meta.": "x"},
        {"meta.rating.min": "3"},  # no schema declares rating a number
        {"type": "document"},
        {"status": "lost"},
        {"status": "pending_upload"},  # not searched: GET /assets lists them
        {"limit": "201"},
        {"limit": "1e2"},
        {"taken_after": "yesterday"},
        {"sha256": "xyz"},
        {"cursor": "not-a-cursor"},
    ):
        answer = await api.get("/search", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["error"] == "invalid_request", answer.text
    repeated = await api.get("/search?q=a&q=b")
    assert repeated.status_code == 400
    assert (
        await api.get("/search?tag=a&tag=b&type=image&type=video&exclude_tag=c&exclude_tag=d")
    ).status_code == 200


async def test_suggestions(api: Client, lib: dict[str, str]) -> None:
    await api.post("/collections", json={"name": "Sunsets we loved"})
    s = json_of(await api.get("/search/suggest", params={"q": "SUN"}))
    assert s["titles"] == ["Sunset over Lisbon"]
    assert s["collections"][0]["name"] == "Sunsets we loved"
    assert set(s) == {"tags", "titles", "filenames", "camera_models", "collections"}
    assert json_of(await api.get("/search/suggest", params={"q": "tra"}))["tags"] == ["Travel"]
    assert json_of(await api.get("/search/suggest", params={"q": "caf"}))["titles"] == ["Cafés of Porto"]
    assert json_of(await api.get("/search/suggest", params={"q": "CAFÉ"}))["titles"] == ["Cafés of Porto"]
    assert json_of(await api.get("/search/suggest", params={"q": "img_"}))["filenames"] == ["IMG_0001.jpg"]
    assert json_of(await api.get("/search/suggest", params={"q": "can"}))["camera_models"] == ["Canon EOS R5"]
    assert json_of(await api.get("/search/suggest", params={"q": "%"})) == {
        "tags": [], "titles": [], "filenames": [], "camera_models": [], "collections": [],
    }  # fmt: skip


async def test_another_workspace_is_never_seen(
    api: Client, lib: dict[str, str], identities: Identities, settings: Settings, accounts_pool: Pool
) -> None:
    other = await identities.workspace()
    async with client_of(settings, await identities.key(other, "viewer")) as theirs:
        assert await found(theirs) == []
        assert await found(theirs, q="sunset") == []
        page = json_of(await theirs.get("/search", params={"facets": "tag,type,collection"}))
        assert page["facets"] == {"tag": [], "type": [], "collection": []}
        assert page["total"] == {"value": 0, "relation": "eq"}
        mine = json_of(await api.post("/collections", json={"name": "Sunny"}))
        await api.post(f"/collections/{mine['id']}/assets", json={"asset_ids": [lib["sunset"]]})
        assert await found(theirs, collection=mine["id"]) == []
        empty = {"tags": [], "titles": [], "filenames": [], "camera_models": [], "collections": []}
        for prefix in ("sun", "tra", "can", "img"):
            assert json_of(await theirs.get("/search/suggest", params={"q": prefix})) == empty
    mine_only = await found(api)
    assert len(mine_only) == 5


async def test_documents_follow_edits_tag_renames_and_deletes(api: Client, lib: dict[str, str]) -> None:
    answer = await api.patch(f"/assets/{lib['theme']}", json={"title": "Fado night", "tags": ["Music"]})
    assert answer.status_code == 200, answer.text
    assert names(lib, await found(api, q="fado night")) == ["theme"]
    assert names(lib, await found(api, tag="music")) == ["theme"]
    renamed = await api.patch("/tags/Music", json={"name": "Songs"})
    assert renamed.status_code == 200, renamed.text
    assert names(lib, await found(api, tag="songs")) == ["theme"]
    assert names(lib, await found(api, q="songs")) == ["theme"]
    assert (await api.delete(f"/assets/{lib['theme']}")).status_code == 204  # to the trash
    assert await found(api, q="fado") == []
    assert await found(api, q="fado", status="any") == []
    permanent = await api.delete(f"/assets/{lib['theme']}", params={"permanent": "true"})
    assert permanent.status_code == 204
    assert await found(api, q="fado") == []
    assert names(lib, await found(api, q="fado", status="deleted")) == ["theme"]


async def test_smart_collections_follow_new_assets(
    api: Client, lib: dict[str, str], accounts_pool: Pool
) -> None:
    smart = json_of(
        await api.post("/collections", json={"name": "Travel", "query": "tag=travel&sort=oldest"})
    )

    async def members() -> list[str]:
        page = json_of(await api.get(f"/collections/{smart['id']}/assets"))
        return names(lib, [i["id"] for i in page["items"]])

    assert await members() == ["sunset", "cars"]
    newer = await create(api, filename="lisbon.jpg", tags=["Travel"])
    assert await members() == ["sunset", "cars"]  # not uploaded yet: no document
    assert (
        await accounts_pool.fetchval(
            "SELECT count(*) FROM search_documents WHERE asset_id = $1", uuid.UUID(newer["id"])
        )
        == 0
    )
    await settle(accounts_pool, newer["id"], {"kind": "image"}, T0 + timedelta(hours=1))
    assert await members() == ["sunset", "cars", newer["id"]]
    await api.patch(f"/assets/{lib['sunset']}", json={"tags": []})
    assert await members() == ["cars", newer["id"]]
    for bad in ("colour=red", "q=a&q=b", "taken_after=yesterday", "facets=type", "limit=5", "meta.bad key=1"):
        answer = await api.post("/collections", json={"name": "Bad", "query": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["detail"].startswith("query: "), answer.text


async def test_the_document_follows_every_writer_and_only_what_feeds_it(
    api: Client, lib: dict[str, str], accounts_pool: Pool
) -> None:
    theme = uuid.UUID(lib["theme"])
    doc = "SELECT doc::text FROM search_documents WHERE asset_id = $1"
    before = await accounts_pool.fetchval(doc, theme)
    # A bump of updated_at (a step's progress) leaves the document alone...
    await accounts_pool.execute("UPDATE assets SET updated_at = now() WHERE id = $1", theme)
    assert await accounts_pool.fetchval(doc, theme) == before
    # ...a change made by any writer, even outside the services, is searchable at once.
    await accounts_pool.execute("UPDATE assets SET description = 'Recorded in Alfama' WHERE id = $1", theme)
    assert names(lib, await found(api, q="alfama")) == ["theme"]
    await accounts_pool.execute("DELETE FROM assets WHERE id = $1", theme)
    assert (
        await accounts_pool.fetchval("SELECT count(*) FROM search_documents WHERE asset_id = $1", theme) == 0
    )
