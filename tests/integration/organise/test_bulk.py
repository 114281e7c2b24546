"""``POST /assets/bulk``: each id's own status (200, 403, 404, 409, 412, 422) beside the others,
another workspace's ids answered as unknown ones, one transaction (a fault changes none), atomic
requests, tag counts, collection membership, deletion, the audit entries, and the requests refused
as a whole."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from types_aiobotocore_s3 import S3Client

from dam.db.pool import Connection
from dam.domain.accounts import Workspace
from dam.domain.errors import Conflict
from dam.services import unit as units
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.flows import ingest, jpeg_bytes, json_of

Client = AsyncTestClient[Any]
Headers = dict[str, str]
UNKNOWN = "5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e"


async def made(api: Client, headers: Headers | None = None, **body: Any) -> dict[str, Any]:
    """A new asset (pending upload), as ``headers`` (default: the workspace's admin) makes it."""
    body = {"filename": "photo.jpg", "content_type": "image/jpeg", **body}
    answer = await api.post("/assets", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def bulk(
    api: Client, body: dict[str, Any], headers: Headers | None = None, **params: str
) -> httpx.Response:
    return await api.post("/assets/bulk", json=body, headers=headers, params=params)


def statuses(answer: httpx.Response) -> dict[str, int]:
    """Each id's status, asserting the request itself was answered 200."""
    assert answer.status_code == 200, answer.text
    return {r["id"]: r["status"] for r in answer.json()["results"]}


async def read(api: Client, asset_id: str) -> dict[str, Any]:
    return dict(json_of(await api.get(f"/assets/{asset_id}")))


async def tag_counts(api: Client) -> dict[str, int]:
    return {t["name"]: t["count"] for t in json_of(await api.get("/tags?limit=1000"))["items"]}


async def audited(api: Client, action: str, asset_id: str | None = None) -> list[dict[str, Any]]:
    query = f"/audit?action={action}&limit=200" + (f"&asset={asset_id}" if asset_id else "")
    return list(json_of(await api.get(query))["items"])


async def test_each_id_answers_with_its_own_status(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    me = bearer(await identities.key(workspace, "contributor"))
    mine = await made(api, me, tags=["Sea"])
    theirs = await made(api)  # the admin's
    gone = await made(api, me)
    assert (await api.delete(f"/assets/{gone['id']}", headers=me)).status_code == 204
    stale = await made(api, me)
    full = await made(api, me, tags=[f"t{n}" for n in range(100)])
    big = await made(api, me, metadata={"blob": "x" * (60 * 1024)})
    other = await identities.workspace()
    foreign = await made(api, bearer(await identities.key(other, "admin")))
    ids = [mine, theirs, gone, stale, full, big, foreign]
    body = {
        "ids": [a["id"] for a in ids] + [UNKNOWN, mine["id"]],  # a repeat is answered once
        "add_tags": ["lisbon", "SEA"],
        "metadata": {"more": "y" * (5 * 1024)},
        "revisions": {stale["id"]: 7},
    }
    answer = await bulk(api, body, me)
    assert [r["id"] for r in answer.json()["results"]] == body["ids"][:-1]
    assert statuses(answer) == {
        mine["id"]: 200, theirs["id"]: 403, gone["id"]: 409, stale["id"]: 412, full["id"]: 422,
        big["id"]: 422, foreign["id"]: 404, UNKNOWN: 404,
    }  # fmt: skip
    errors = {r["id"]: r.get("error") for r in answer.json()["results"]}
    assert errors[mine["id"]] is None
    assert "contributor" in errors[theirs["id"]]
    assert "deleted" in errors[gone["id"]]
    assert "revision 1, not 7" in errors[stale["id"]]
    assert "at most 100 tags" in errors[full["id"]]
    assert "64 KiB" in errors[big["id"]]
    # Another workspace's id is answered exactly as an unknown one.
    assert errors[foreign["id"]] == errors[UNKNOWN].replace(UNKNOWN, foreign["id"])
    changed = await read(api, mine["id"])
    assert (changed["tags"], changed["metadata"], changed["revision"]) == (
        ["Sea", "lisbon"], {"more": "y" * (5 * 1024)}, 2,
    )  # fmt: skip
    for untouched in (theirs, stale, full, big):
        now = await read(api, untouched["id"])
        assert (now["tags"], now["metadata"], now["revision"]) == (
            untouched["tags"], untouched["metadata"], 1,
        )  # fmt: skip
    assert (await tag_counts(api))["lisbon"] == 1
    # The right revision, and it applies.
    again = await bulk(api, {"ids": [stale["id"]], "add_tags": ["x"], "revisions": {stale["id"]: 1}}, me)
    assert statuses(again) == {stale["id"]: 200}


async def test_a_tag_that_breaks_a_rule_is_each_ids_422(api: Client) -> None:
    a, b = await made(api), await made(api)
    answer = await bulk(api, {"ids": [a["id"], b["id"], UNKNOWN], "add_tags": ["x" * 101]})
    assert statuses(answer) == {a["id"]: 422, b["id"]: 422, UNKNOWN: 404}
    assert "longer than 100" in answer.json()["results"][0]["error"]


async def test_a_viewer_is_refused_per_id(api: Client, identities: Identities, workspace: Workspace) -> None:
    viewer = bearer(await identities.key(workspace, "viewer"))
    asset = await made(api, tags=["keep"])
    box = json_of(await api.post("/collections", json={"name": "Box"}))
    for body in ({"add_tags": ["x"]}, {"add_to": box["id"]}, {"delete": True}):
        answer = await bulk(api, {"ids": [asset["id"], UNKNOWN], **body}, viewer)
        assert statuses(answer) == {asset["id"]: 403, UNKNOWN: 404}, body
        assert "viewer" in answer.json()["results"][0]["error"]
    assert (await read(api, asset["id"]))["status"] == "pending_upload"
    # An upload token is no member: refused as a whole.
    token = json_of(await api.post("/upload-tokens", json={"expires_in": 60}))["token"]
    assert (await bulk(api, {"ids": [asset["id"]], "add_tags": ["x"]}, bearer(token))).status_code in {
        401,
        403,
    }


async def test_atomic_changes_nothing_when_one_id_would_fail(api: Client) -> None:
    a, b = await made(api, tags=["one"]), await made(api)
    gone = await made(api)
    assert (await api.delete(f"/assets/{gone['id']}")).status_code == 204
    body = {"ids": [a["id"], b["id"], gone["id"]], "add_tags": ["two"], "remove_tags": ["ONE"]}
    refused = await bulk(api, body, atomic="true")
    assert statuses(refused) == {a["id"]: 424, b["id"]: 424, gone["id"]: 409}
    assert "atomic" in refused.json()["results"][0]["error"]
    assert [(await read(api, x["id"]))["tags"] for x in (a, b)] == [["one"], []]
    assert await tag_counts(api) == {"one": 1}
    assert await audited(api, "asset.update") == []
    # Without the failing id, atomic or not, it applies.
    done = await bulk(api, {**body, "ids": [a["id"], b["id"]]}, atomic="true")
    assert statuses(done) == {a["id"]: 200, b["id"]: 200}
    assert [(await read(api, x["id"]))["tags"] for x in (a, b)] == [["two"], ["two"]]
    assert await tag_counts(api) == {"two": 2}


class Refresher:
    """A refresher of the unit of work (as the search document's is): notes the assets each unit
    touched; when they include one of ``refused``, it then refuses, and the unit must roll back."""

    def __init__(self) -> None:
        self.refused: set[uuid.UUID] = set()
        self.seen: list[frozenset[uuid.UUID]] = []

    async def __call__(self, conn: Connection, ids: frozenset[uuid.UUID]) -> None:
        self.seen.append(ids)
        if ids & self.refused:
            raise Conflict("the test's refresher refused")


@pytest.fixture
async def refresher() -> AsyncIterator[Refresher]:
    found = Refresher()
    units.register(found)
    try:
        yield found
    finally:
        units.unregister(found)


async def test_one_transaction_a_fault_changes_none(
    api: Client, http: httpx.AsyncClient, refresher: Refresher, s3: S3Client, settings: Settings
) -> None:
    a, b = await made(api, tags=["keep", "drop"], metadata={"k": 1}), await made(api)
    box = json_of(await api.post("/collections", json={"name": "Box"}))
    before = [await read(api, x["id"]) for x in (a, b)]
    counts = await tag_counts(api)
    refresher.refused = {uuid.UUID(b["id"])}
    body = {
        "ids": [a["id"], b["id"]], "add_tags": ["new"], "remove_tags": ["drop"], "metadata": {"k": 2},
        "add_to": box["id"],
    }  # fmt: skip
    faulted = await bulk(api, body)
    assert faulted.status_code == 409, faulted.text
    assert refresher.seen[-1] == {uuid.UUID(a["id"]), uuid.UUID(b["id"])}  # both touched, then refused
    assert [await read(api, x["id"]) for x in (a, b)] == before
    assert await tag_counts(api) == counts
    assert json_of(await api.get(f"/collections/{box['id']}"))["asset_count"] == 0
    assert await audited(api, "asset.update") == []
    assert await audited(api, "collection.assets.add") == []
    # A deletion that faults keeps the asset and its file.
    stored = await ingest(api, http, jpeg_bytes(), "kept.jpg", "image/jpeg")
    key = (await read(api, stored))["storage_path"]
    refresher.refused = {uuid.UUID(stored)}
    assert (await bulk(api, {"ids": [stored], "delete": True})).status_code == 409
    assert (await read(api, stored))["status"] == "uploaded"
    assert (await s3.head_object(Bucket=settings.s3.bucket, Key=key))["ContentLength"] > 0
    # Once the refresher lets it through, every change lands; only changed assets are touched.
    refresher.refused = set()
    c = await made(api, tags=["new"])
    body = {"ids": [a["id"], c["id"]], "add_tags": ["new"]}
    assert statuses(await bulk(api, body)) == {a["id"]: 200, c["id"]: 200}
    assert refresher.seen[-1] == {uuid.UUID(a["id"])}  # c carried it already: no change


async def test_tags_are_counted_and_named_as_the_workspace_writes_them(api: Client) -> None:
    a = await made(api, tags=["Lisbon", "sea"])
    b = await made(api, tags=["SEA"])
    c = await made(api)
    ids = [a["id"], b["id"], c["id"]]
    assert statuses(await bulk(api, {"ids": ids, "add_tags": ["LISBON"]})) == dict.fromkeys(ids, 200)
    assert [(await read(api, i))["revision"] for i in ids] == [1, 2, 2]  # a carried it already
    assert set(statuses(await bulk(api, {"ids": ids, "add_tags": ["Trams", "trams"]})).values()) == {200}
    assert [(await read(api, i))["tags"] for i in ids] == [
        ["Lisbon", "sea", "Trams"], ["sea", "Lisbon", "Trams"], ["Lisbon", "Trams"],
    ]  # fmt: skip
    assert await tag_counts(api) == {"Lisbon": 3, "Trams": 3, "sea": 2}
    assert statuses(await bulk(api, {"ids": ids, "remove_tags": ["Sea", "trams ", "nothing"]}))
    assert [(await read(api, i))["tags"] for i in ids] == [["Lisbon"], ["Lisbon"], ["Lisbon"]]
    assert await tag_counts(api) == {"Lisbon": 3}  # a tag no asset carries is gone
    # Removing and adding at once: the asset's order is kept, new ones after.
    answer = await bulk(api, {"ids": [a["id"]], "add_tags": ["b", "a"], "remove_tags": ["lisbon"]})
    assert statuses(answer) == {a["id"]: 200}
    assert (await read(api, a["id"]))["tags"] == ["b", "a"]
    assert await tag_counts(api) == {"Lisbon": 2, "a": 1, "b": 1}
    log = await audited(api, "asset.update", a["id"])
    assert [entry["detail"] for entry in log] == [{"changed": ["tags"]}] * 3


async def test_metadata_is_merged_into_each_asset_and_audited(api: Client) -> None:
    a = await made(api, metadata={"client": {"name": "Tram Co", "job": 1}, "draft": True})
    b = await made(api, metadata={"album": "x"})
    patch = {"client": {"job": 2}, "draft": None, "place": "Lisbon"}
    assert statuses(await bulk(api, {"ids": [a["id"], b["id"]], "metadata": patch})) == {
        a["id"]: 200,
        b["id"]: 200,
    }
    assert (await read(api, a["id"]))["metadata"] == {
        "client": {"name": "Tram Co", "job": 2},
        "place": "Lisbon",
    }
    assert (await read(api, b["id"]))["metadata"] == {"album": "x", "client": {"job": 2}, "place": "Lisbon"}
    log = {e["asset_id"]: e for e in await audited(api, "asset.update")}
    assert set(log) == {a["id"], b["id"]}
    assert log[a["id"]]["detail"] == {"changed": ["metadata"], "metadata_keys": ["client", "draft", "place"]}
    assert log[b["id"]]["detail"] == {"changed": ["metadata"], "metadata_keys": ["client", "place"]}
    assert log[a["id"]]["actor"] == "key"
    # null for the whole field removes all metadata, as in PATCH; a bad key is each asset's 422.
    assert statuses(await bulk(api, {"ids": [b["id"]], "metadata": None})) == {b["id"]: 200}
    assert (await read(api, b["id"]))["metadata"] == {}
    assert statuses(await bulk(api, {"ids": [a["id"]], "metadata": {"a b": 1}})) == {a["id"]: 422}


async def test_assets_join_and_leave_a_collection(
    api: Client, identities: Identities, workspace: Workspace
) -> None:
    contributor = bearer(await identities.key(workspace, "contributor"))
    a, b, c = await made(api), await made(api), await made(api)
    box = json_of(await api.post("/collections", json={"name": "Box"}))
    other = json_of(await api.post("/collections", json={"name": "Other"}))
    # Any member who may add does so for any asset (as POST /collections/{id}/assets), in order.
    added = await bulk(api, {"ids": [c["id"], a["id"], UNKNOWN], "add_to": box["id"]}, contributor)
    assert statuses(added) == {c["id"]: 200, a["id"]: 200, UNKNOWN: 404}
    members = json_of(await api.get(f"/collections/{box['id']}/assets"))["items"]
    assert [m["id"] for m in members] == [c["id"], a["id"]]
    # But tagging someone else's asset on the way is theirs or an editor's.
    tagged = await bulk(api, {"ids": [b["id"]], "add_to": box["id"], "add_tags": ["x"]}, contributor)
    assert statuses(tagged) == {b["id"]: 403}
    moved = await bulk(api, {"ids": [a["id"], b["id"]], "add_to": other["id"], "remove_from": box["id"]})
    assert statuses(moved) == {a["id"]: 200, b["id"]: 200}
    assert [m["id"] for m in json_of(await api.get(f"/collections/{box['id']}/assets"))["items"]] == [c["id"]]
    assert [m["id"] for m in json_of(await api.get(f"/collections/{other['id']}/assets"))["items"]] == [
        a["id"],
        b["id"],
    ]
    adds = await audited(api, "collection.assets.add")
    assert [(e["target_id"], e["detail"]["assets"]) for e in adds] == [
        (other["id"], [a["id"], b["id"]]),
        (box["id"], [c["id"], a["id"]]),
    ]
    removes = await audited(api, "collection.assets.remove")
    assert [(e["target_id"], e["detail"]) for e in removes] == [
        (box["id"], {"assets": [a["id"]], "count": 1})
    ]
    # Unknown, another workspace's or smart collections are refused as a whole.
    elsewhere = bearer(await identities.key(await identities.workspace(), "admin"))
    theirs = json_of(await api.post("/collections", json={"name": "Theirs"}, headers=elsewhere))
    for missing in (UNKNOWN, theirs["id"]):
        for field in ("add_to", "remove_from"):
            refused = await bulk(api, {"ids": [a["id"]], field: missing})
            assert refused.status_code == 404, refused.text
            assert refused.json() == {
                "status_code": 404, "detail": f"collection {missing} not found", "error": "not_found",
            }  # fmt: skip
    smart = json_of(await api.post("/collections", json={"name": "Smart", "query": "q=lisbon"}))
    refused = await bulk(api, {"ids": [a["id"]], "add_to": smart["id"]})
    assert refused.status_code == 422, refused.text
    assert "smart" in refused.json()["detail"]


async def test_delete_deletes_as_delete_does(
    api: Client,
    http: httpx.AsyncClient,
    identities: Identities,
    workspace: Workspace,
    s3: S3Client,
    settings: Settings,
) -> None:
    contributor = bearer(await identities.key(workspace, "contributor"))
    stored = await ingest(api, http, jpeg_bytes(), "a.jpg", "image/jpeg")
    await api.patch(f"/assets/{stored}", json={"tags": ["Lisbon", "sea"]})
    pending = await made(api, tags=["Lisbon"], multipart=True, size=12 * 1024 * 1024)
    mine = await made(api, contributor)
    theirs = await made(api)
    key = (await read(api, stored))["storage_path"]
    assert (await s3.head_object(Bucket=settings.s3.bucket, Key=key))["ContentLength"] > 0
    assert len((await s3.list_multipart_uploads(Bucket=settings.s3.bucket)).get("Uploads", [])) == 1
    ids = [stored, pending["id"], mine["id"], theirs["id"]]
    assert statuses(await bulk(api, {"ids": ids[2:], "delete": True}, contributor)) == {
        mine["id"]: 200,
        theirs["id"]: 403,
    }
    assert statuses(await bulk(api, {"ids": ids, "delete": True})) == dict.fromkeys(ids, 200)
    # The stored asset goes to the trash, its bytes kept; the uploads that never arrived go for good.
    assert (await read(api, stored))["status"] == "trashed"
    for asset_id in ids[1:]:
        assert (await read(api, asset_id))["status"] == "deleted"
    assert await tag_counts(api) == {}
    listed = await s3.list_objects_v2(Bucket=settings.s3.bucket)
    assert key in [o["Key"] for o in listed.get("Contents", [])]
    uploads = await s3.list_multipart_uploads(Bucket=settings.s3.bucket)
    assert uploads.get("Uploads", []) == []
    assert [e["asset_id"] for e in await audited(api, "asset.trash")] == [stored]
    assert sorted(e["asset_id"] for e in await audited(api, "asset.delete")) == sorted(ids[1:])
    # Again: nothing more happens (as DELETE /assets/{id} answers a trashed or deleted asset).
    assert statuses(await bulk(api, {"ids": ids, "delete": True})) == dict.fromkeys(ids, 200)
    assert len(await audited(api, "asset.trash")) == 1
    assert len(await audited(api, "asset.delete")) == len(ids) - 1
    # A trashed or deleted asset cannot be changed otherwise.
    assert statuses(await bulk(api, {"ids": [stored, ids[1]], "add_tags": ["x"]})) == {
        stored: 409,
        ids[1]: 409,
    }
    # Emptying the trash deletes its bytes as DELETE /assets/{id}?permanent=true does.
    assert json_of(await api.delete("/trash")) == {"purged": 1}
    listed = await s3.list_objects_v2(Bucket=settings.s3.bucket)
    assert [o["Key"] for o in listed.get("Contents", [])] == []
    assert await tag_counts(api) == {}


async def test_concurrent_writers_keep_the_counts_right(api: Client) -> None:
    ids = [(await made(api, tags=["base"]))["id"] for _ in range(12)]
    box = json_of(await api.post("/collections", json={"name": "Box"}))
    writes = [
        bulk(api, {"ids": ids, "add_tags": ["one", "two"], "add_to": box["id"]}),
        bulk(api, {"ids": ids[::-1], "add_tags": ["TWO", "three"], "remove_tags": ["base"]}),
        bulk(api, {"ids": ids[3:9], "remove_tags": ["one"], "metadata": {"k": 1}}),
        api.post(f"/collections/{box['id']}/assets", json={"asset_ids": ids[::-2]}),
        *(api.patch(f"/assets/{i}", json={"tags": ["solo", "Three"]}) for i in ids[::3]),
        api.patch("/tags/two", json={"name": "Deux"}),
    ]
    answers = await asyncio.gather(*writes)
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    carried: dict[str, int] = {}
    for asset_id in ids:
        for name in (await read(api, asset_id))["tags"]:
            carried[name] = carried.get(name, 0) + 1
    assert await tag_counts(api) == carried


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param({"ids": []}, "at least one", id="no-ids"),
        pytest.param({"ids": [str(uuid.uuid4()) for _ in range(1001)], "add_tags": ["x"]}, "1000", id="1001"),
        pytest.param({"ids": [UNKNOWN]}, "nothing to do", id="no-action"),
        pytest.param({"ids": [UNKNOWN], "delete": False}, "nothing to do", id="delete-false"),
        pytest.param({"ids": [UNKNOWN], "add_tags": []}, "add_tags is empty", id="empty-tags"),
        pytest.param({"ids": [UNKNOWN], "remove_tags": []}, "remove_tags is empty", id="empty-remove"),
        pytest.param({"ids": [UNKNOWN], "metadata": {}}, "metadata is empty", id="empty-metadata"),
        pytest.param({"ids": [UNKNOWN], "delete": True, "add_tags": ["x"]}, "combined", id="delete-and"),
        pytest.param({"ids": [UNKNOWN], "add_to": UNKNOWN, "remove_from": UNKNOWN}, "same", id="same-box"),
        pytest.param({"ids": [UNKNOWN], "add_tags": ["A"], "remove_tags": ["a"]}, "both", id="add-remove"),
        pytest.param(
            {"ids": [UNKNOWN], "add_tags": ["x"], "revisions": {str(uuid.uuid4()): 1}},
            "revisions",
            id="stray",
        ),
    ],
)
async def test_requests_unusable_as_a_whole_are_422(api: Client, body: dict[str, Any], says: str) -> None:
    answer = await bulk(api, body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_input"
    assert says in answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "params"),
    [
        pytest.param({"ids": ["not-a-uuid"], "add_tags": ["x"]}, {}, id="bad-id"),
        pytest.param({"ids": [UNKNOWN], "add_tags": ["x"], "colour": "red"}, {}, id="unknown-field"),
        pytest.param({"ids": [UNKNOWN], "add_tags": "x"}, {}, id="tags-not-a-list"),
        pytest.param({"ids": [UNKNOWN], "add_tags": ["x"], "revisions": {UNKNOWN: 0}}, {}, id="revision-0"),
        pytest.param({"ids": [UNKNOWN], "add_tags": ["x"]}, {"atomic": "maybe"}, id="atomic-maybe"),
        pytest.param({"ids": [UNKNOWN], "add_tags": ["x"]}, {"atomc": "true"}, id="unknown-parameter"),
    ],
)
async def test_malformed_requests_are_400(api: Client, body: dict[str, Any], params: dict[str, str]) -> None:
    answer = await bulk(api, body, **params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
