"""Collections: a nested tree without cycles, ordered members (add at the end, remove, move before
one), paging stable while members are added, an asset in several collections, roles, another
workspace's ids answered as unknown ones, and every change in the audit log."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.flows import create, ingest, json_of

Client = AsyncTestClient[Any]
UNKNOWN = "5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e"


async def collection(api: Client, name: str = "Trips", **body: Any) -> dict[str, Any]:
    answer = await api.post("/collections", json={"name": name, **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def assets(api: Client, count: int) -> list[str]:
    return [str((await create(api, filename=f"photo{n}.jpg"))["id"]) for n in range(count)]


async def order(api: Client, collection_id: str, limit: int = 200) -> list[str]:
    page = json_of(await api.get(f"/collections/{collection_id}/assets", params={"limit": str(limit)}))
    return [item["id"] for item in page["items"]]


async def add(api: Client, collection_id: str, ids: list[str]) -> httpx.Response:
    return await api.post(f"/collections/{collection_id}/assets", json={"asset_ids": ids})


async def move(api: Client, collection_id: str, ids: list[str], before: str | None) -> httpx.Response:
    return await api.post(
        f"/collections/{collection_id}/assets/move", json={"asset_ids": ids, "before": before}
    )


async def test_a_nested_tree_lists_flat_and_refuses_cycles(api: Client) -> None:
    top = await collection(api, "Trips", description="Every trip")
    assert top["parent_id"] is None
    assert top["asset_count"] == 0
    assert top["query"] is None
    assert top["description"] == "Every trip"
    child = await collection(api, "Lisbon", parent_id=top["id"])
    grandchild = await collection(api, "Day 1", parent_id=child["id"])
    tree = json_of(await api.get("/collections"))["items"]
    assert [(c["name"], c["parent_id"]) for c in tree] == [
        ("Trips", None),
        ("Lisbon", top["id"]),
        ("Day 1", child["id"]),
    ]
    assert all(c["cover"] is None and c["asset_count"] == 0 for c in tree)
    for parent in (grandchild["id"], top["id"]):  # below its own grandchild; below itself
        cycle = await api.patch(f"/collections/{top['id']}", json={"parent_id": parent})
        assert cycle.status_code == 422, cycle.text
        assert "cycle" in cycle.json()["detail"]
    moved = json_of(
        await api.patch(f"/collections/{grandchild['id']}", json={"parent_id": None, "name": "D1"})
    )
    assert moved["parent_id"] is None
    assert moved["name"] == "D1"
    assert moved["description"] == ""
    again = json_of(await api.patch(f"/collections/{grandchild['id']}", json={"parent_id": top["id"]}))
    assert (again["parent_id"], again["name"]) == (top["id"], "D1")
    unknown_parent = await api.post("/collections", json={"name": "x", "parent_id": UNKNOWN})
    assert unknown_parent.status_code == 404
    for bad in (
        {"name": ""},
        {"name": "x" * 201},
        {"name": "a", "colour": "red"},
        {"name": "a", "query": "q" * 2001},
    ):
        assert (await api.post("/collections", json=bad)).status_code == 400, bad
    assert (await api.post("/collections", json={"name": "   "})).status_code == 422
    assert (await api.get("/collections/not-a-uuid")).status_code == 422


async def test_deleting_a_parent_needs_recursive_and_keeps_the_assets(api: Client) -> None:
    top = await collection(api, "Trips")
    child = await collection(api, "Lisbon", parent_id=top["id"])
    ids = await assets(api, 2)
    assert (await add(api, child["id"], ids)).status_code == 200
    refused = await api.delete(f"/collections/{top['id']}")
    assert refused.status_code == 409
    assert "recursive=true" in refused.json()["detail"]
    assert (await api.delete(f"/collections/{top['id']}", params={"recursive": "true"})).status_code == 204
    for gone in (top["id"], child["id"]):
        assert (await api.get(f"/collections/{gone}")).status_code == 404
    assert json_of(await api.get("/collections"))["items"] == []
    for asset_id in ids:
        assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "pending_upload"
    leaf = await collection(api, "Leaf")
    assert (await api.delete(f"/collections/{leaf['id']}")).status_code == 204
    assert (await api.delete(f"/collections/{leaf['id']}")).status_code == 404


async def test_members_are_added_at_the_end_removed_and_moved(api: Client) -> None:
    box = await collection(api)
    a, b, c, d, e = await assets(api, 5)
    added = json_of(await add(api, box["id"], [a, b, c]))
    assert added == {"changed": [a, b, c], "asset_count": 3}
    again = json_of(await add(api, box["id"], [b, d, d]))  # b already in: no change; d once
    assert again == {"changed": [d], "asset_count": 4}
    assert await order(api, box["id"]) == [a, b, c, d]
    assert json_of(await move(api, box["id"], [d], a))["changed"] == [d]
    assert await order(api, box["id"]) == [d, a, b, c]
    assert (await move(api, box["id"], [d, a], None)).status_code == 200
    assert await order(api, box["id"]) == [b, c, d, a]
    assert (await move(api, box["id"], [a, c], b)).status_code == 200
    assert await order(api, box["id"]) == [a, c, b, d]
    # The same spot again and again: past the room between two positions, a renumbering.
    await add(api, box["id"], [e])
    for _ in range(20):
        assert (await move(api, box["id"], [e], c)).status_code == 200
        assert (await move(api, box["id"], [c], e)).status_code == 200
    assert await order(api, box["id"]) == [a, c, e, b, d]
    assert (await move(api, box["id"], [a], a)).status_code == 422
    assert (await move(api, box["id"], [a], UNKNOWN)).status_code == 404
    outside = (await assets(api, 1))[0]
    assert (await move(api, box["id"], [outside], None)).status_code == 404
    removed = await api.request(
        "DELETE", f"/collections/{box['id']}/assets", json={"asset_ids": [b, outside, UNKNOWN]}
    )
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"changed": [b], "asset_count": 4}
    assert await order(api, box["id"]) == [a, c, e, d]
    assert json_of(await api.get(f"/collections/{box['id']}"))["asset_count"] == 4
    # A deleted asset leaves the listing and the count (and cannot be added).
    assert (await api.delete(f"/assets/{d}")).status_code == 204
    assert await order(api, box["id"]) == [a, c, e]
    assert json_of(await api.get(f"/collections/{box['id']}"))["asset_count"] == 3
    assert (await add(api, box["id"], [d])).status_code == 404
    # Limits: at least one id, at most 1000.
    assert (await add(api, box["id"], [])).status_code == 422
    many = await add(api, box["id"], [str(uuid.uuid4()) for _ in range(1001)])
    assert many.status_code == 422
    assert "1000" in many.json()["detail"]
    assert (await add(api, box["id"], ["not-a-uuid"])).status_code == 400


async def test_paging_is_stable_while_members_are_added(api: Client) -> None:
    box = await collection(api)
    first = await assets(api, 5)
    await add(api, box["id"], first)
    page = json_of(await api.get(f"/collections/{box['id']}/assets", params={"limit": "2"}))
    seen = [item["id"] for item in page["items"]]
    assert page["items"][0]["filename"] == "photo0.jpg"
    assert set(page["items"][0]) == {
        "id",
        "status",
        "filename",
        "content_type",
        "size",
        "kind",
        "thumbnail_url",
        "thumbhash",
        "created_at",
        "width",
        "height",
    }
    later = await assets(api, 3)
    await add(api, box["id"], later)
    while page["next_cursor"]:
        page = json_of(
            await api.get(
                f"/collections/{box['id']}/assets", params={"limit": "2", "cursor": page["next_cursor"]}
            )
        )
        seen += [item["id"] for item in page["items"]]
    assert seen == first + later
    other = await collection(api, "Other")
    cursor = json_of(await api.get(f"/collections/{box['id']}/assets", params={"limit": "1"}))["next_cursor"]
    foreign = await api.get(f"/collections/{other['id']}/assets", params={"cursor": cursor})
    assert foreign.status_code == 422  # a cursor is bound to its collection
    assert (await api.get(f"/collections/{box['id']}/assets", params={"cursor": "junk"})).status_code == 422


async def test_an_asset_may_be_in_several_collections(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    photo = await ingest(api, http, media.jpeg_with_exif(), "cover.jpg", "image/jpeg")
    await run_jobs()
    one, two = await collection(api, "One"), await collection(api, "Two")
    (plain,) = await assets(api, 1)
    for box in (one, two):
        assert (await add(api, box["id"], [photo, plain])).status_code == 200
    await api.request("DELETE", f"/collections/{one['id']}/assets", json={"asset_ids": [plain]})
    assert await order(api, one["id"]) == [photo]
    assert await order(api, two["id"]) == [photo, plain]
    tree = {c["name"]: c for c in json_of(await api.get("/collections"))["items"]}
    assert tree["One"]["asset_count"] == 1
    assert tree["Two"]["asset_count"] == 2
    cover = await http.get(tree["One"]["cover"])
    assert cover.status_code == 200
    assert cover.headers["content-type"] == "image/webp"
    items = json_of(await api.get(f"/collections/{one['id']}/assets"))["items"]
    assert items[0]["thumbnail_url"]
    assert items[0]["kind"] == "image"


async def test_a_smart_collection_stores_its_query_and_has_no_members_of_its_own(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    photo = await ingest(api, http, media.jpeg_with_exif(), "smart.jpg", "image/jpeg")
    await run_jobs()
    (pending,) = await assets(api, 1)
    smart = await collection(api, "Recent", query="type=image&q=smart")
    assert smart["query"] == "type=image&q=smart"
    assert smart["asset_count"] is None
    assert json_of(await api.get(f"/collections/{smart['id']}"))["query"] == "type=image&q=smart"
    refused = await add(api, smart["id"], [photo])
    assert refused.status_code == 409
    assert (await move(api, smart["id"], [photo], None)).status_code == 409
    # What its query finds (a ready image whose name holds "smart"; the pending asset is no match).
    assert await order(api, smart["id"]) == [photo]
    assert pending not in await order(api, smart["id"])


async def test_roles(api: Client, identities: Identities, workspace: Workspace) -> None:
    viewer = bearer(await identities.key(workspace, "viewer"))
    contributor = bearer(await identities.key(workspace, "contributor"))
    other_contributor = bearer(await identities.key(workspace, "contributor"))
    editor = bearer(await identities.key(workspace, "editor"))
    ids = await assets(api, 2)
    mine = json_of(await api.post("/collections", json={"name": "Mine"}, headers=contributor))
    theirs = await collection(api, "Admin's")
    assert (await api.post("/collections", json={"name": "v"}, headers=viewer)).status_code == 403
    assert (await api.get("/collections", headers=viewer)).status_code == 200
    assert (await api.get(f"/collections/{mine['id']}/assets", headers=viewer)).status_code == 200
    assert (
        await api.post(f"/collections/{mine['id']}/assets", json={"asset_ids": ids}, headers=viewer)
    ).status_code == 403
    # Contributors arrange the members of any collection...
    for box in (mine, theirs):
        answer = await api.post(
            f"/collections/{box['id']}/assets", json={"asset_ids": ids}, headers=contributor
        )
        assert answer.status_code == 200, answer.text
        moved = await api.post(
            f"/collections/{box['id']}/assets/move",
            json={"asset_ids": [ids[1]], "before": ids[0]},
            headers=contributor,
        )
        assert moved.status_code == 200
    # ...but rename, move and delete only their own; editors anyone's.
    assert (
        await api.patch(f"/collections/{theirs['id']}", json={"name": "x"}, headers=contributor)
    ).status_code == 403
    assert (await api.delete(f"/collections/{theirs['id']}", headers=contributor)).status_code == 403
    assert (await api.delete(f"/collections/{mine['id']}", headers=other_contributor)).status_code == 403
    assert (
        await api.patch(f"/collections/{mine['id']}", json={"name": "Ours"}, headers=contributor)
    ).status_code == 200
    # A contributor's recursive delete reaches only below what they made themselves.
    below = await collection(api, "Admin's, below", parent_id=mine["id"])
    deep = await api.delete(f"/collections/{mine['id']}", params={"recursive": "true"}, headers=contributor)
    assert deep.status_code == 403
    assert (await api.get(f"/collections/{below['id']}")).status_code == 200
    assert (await api.delete(f"/collections/{mine['id']}?recursive=true", headers=editor)).status_code == 204
    assert (await api.delete(f"/collections/{theirs['id']}", headers=editor)).status_code == 204


async def test_another_workspaces_ids_answer_as_unknown_ones(api: Client, identities: Identities) -> None:
    elsewhere = bearer(await identities.key(await identities.workspace(), "admin"))
    theirs = json_of(await api.post("/collections", json={"name": "Theirs"}, headers=elsewhere))
    made = await api.post(
        "/assets", json={"filename": "t.jpg", "content_type": "image/jpeg"}, headers=elsewhere
    )
    their_asset = str(json_of(made)["id"])
    mine = await collection(api, "Mine")
    own = await assets(api, 1)
    calls = [
        ("GET", f"/collections/{theirs['id']}", None),
        ("PATCH", f"/collections/{theirs['id']}", {"name": "x"}),
        ("DELETE", f"/collections/{theirs['id']}", None),
        ("GET", f"/collections/{theirs['id']}/assets", None),
        ("POST", f"/collections/{theirs['id']}/assets", {"asset_ids": own}),
        ("DELETE", f"/collections/{theirs['id']}/assets", {"asset_ids": own}),
        ("POST", f"/collections/{theirs['id']}/assets/move", {"asset_ids": own, "before": None}),
        ("POST", f"/collections/{theirs['id']}/shares", {"expires_in": 60, "download": True}),
    ]
    for method, path, body in calls:
        foreign = await api.request(method, path, json=body)
        unknown = await api.request(method, path.replace(theirs["id"], UNKNOWN), json=body)
        assert foreign.status_code == unknown.status_code == 404, (method, path, foreign.text)
        assert foreign.json()["detail"].replace(theirs["id"], UNKNOWN) == unknown.json()["detail"]
    # Their asset in a body: as unknown as an id that exists nowhere, and nothing changes.
    foreign = await add(api, mine["id"], [*own, their_asset])
    unknown = await add(api, mine["id"], [*own, UNKNOWN])
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["detail"].replace(their_asset, UNKNOWN) == unknown.json()["detail"]
    assert await order(api, mine["id"]) == []
    parent = await api.post("/collections", json={"name": "x", "parent_id": theirs["id"]})
    assert parent.status_code == 404
    moved = await api.patch(f"/collections/{mine['id']}", json={"parent_id": theirs["id"]})
    assert moved.status_code == 404
    assert [c["id"] for c in json_of(await api.get("/collections"))["items"]] == [mine["id"]]


async def test_changes_are_audited(api: Client) -> None:
    box = await collection(api, "Audited")
    ids = await assets(api, 2)
    await add(api, box["id"], ids)
    await move(api, box["id"], [ids[1]], ids[0])
    await api.request("DELETE", f"/collections/{box['id']}/assets", json={"asset_ids": [ids[0]]})
    await api.patch(f"/collections/{box['id']}", json={"name": "Renamed"})
    await api.delete(f"/collections/{box['id']}")
    rows = json_of(await api.get("/audit", params={"limit": "100"}))["items"]
    ours = [r for r in rows if r["target_id"] == box["id"]]
    assert [r["action"] for r in reversed(ours)] == [
        "collection.create",
        "collection.assets.add",
        "collection.assets.move",
        "collection.assets.remove",
        "collection.update",
        "collection.delete",
    ]
    by_action = {r["action"]: r for r in ours}
    assert by_action["collection.assets.add"]["detail"] == {"assets": ids, "count": 2}
    assert by_action["collection.update"]["detail"] == {"changed": ["name"]}
    assert by_action["collection.delete"]["detail"]["name"] == "Renamed"
    assert all(r["actor"] == "key" for r in ours)
    # A refused change writes nothing.
    await api.post(f"/collections/{UNKNOWN}/assets", json={"asset_ids": ids})
    after = json_of(await api.get("/audit", params={"limit": "100"}))["items"]
    assert len(after) == len(rows)
