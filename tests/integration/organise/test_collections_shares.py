"""A collection's share link: the collection and its assets in order, each as an asset's link shows
it (download flag, facts hidden or not, URLs within the link's life), one of them alone, 404 for
any asset not in the collection, and the same 404 once it expires or is revoked."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from litestar.testing import AsyncTestClient

from tests.support import media
from tests.support.flows import create, ingest, json_of

Client = AsyncTestClient[Any]


async def ready_photo(api: Client, http: httpx.AsyncClient, name: str) -> str:
    return await ingest(api, http, media.jpeg_with_exif(), name, "image/jpeg")


async def shared_box(api: Client, ids: list[str], **options: Any) -> tuple[dict[str, Any], str]:
    box = json_of(await api.post("/collections", json={"name": "Lisbon", "description": "The trip"}))
    assert (await api.post(f"/collections/{box['id']}/assets", json={"asset_ids": ids})).status_code == 200
    made = await api.post(
        f"/collections/{box['id']}/shares", json={"expires_in": 600, "download": True, **options}
    )
    assert made.status_code == 201, made.text
    return box, str(made.json()["url"].rsplit("/", 1)[1])


async def test_a_collection_link_shows_its_assets_in_order(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    first, second = await ready_photo(api, http, "one.jpg"), await ready_photo(api, http, "two.jpg")
    await run_jobs()
    outside = await ready_photo(api, http, "outside.jpg")
    await run_jobs()
    box, token = await shared_box(api, [second, first])
    anonymous = api.headers.pop("Authorization")
    try:
        page = json_of(await api.get(f"/shares/{token}", params={"limit": "1"}))
        assert page["collection"] == {"name": "Lisbon", "description": "The trip"}
        assert [item["name"] for item in page["items"]] == ["two.jpg"]
        item = page["items"][0]
        assert item["id"] == second
        assert item["facts"]["camera"]["make"] == "TestCam"
        assert (await http.get(item["download_url"])).content == media.jpeg_with_exif()
        assert (await http.get(item["preview_url"])).status_code == 200
        rest = json_of(
            await api.get(f"/shares/{token}", params={"limit": "1", "cursor": page["next_cursor"]})
        )
        assert [item["id"] for item in rest["items"]] == [first]
        assert rest["next_cursor"] is None
        one = json_of(await api.get(f"/shares/{token}/assets/{first}"))
        assert one["name"] == "one.jpg"
        assert one["id"] == first
        for stranger in (outside, "5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e"):
            refused = await api.get(f"/shares/{token}/assets/{stranger}")
            assert refused.status_code == 404
            assert refused.json()["detail"] == f"asset {stranger} is not one this share link shows"
        # The link is no credential for the collection's own routes.
        assert (await api.get(f"/collections/{box['id']}/assets")).status_code == 401
    finally:
        api.headers["Authorization"] = anonymous
    # Members removed or deleted leave the link's view.
    await api.request("DELETE", f"/collections/{box['id']}/assets", json={"asset_ids": [second]})
    assert (await api.get(f"/shares/{token}/assets/{second}")).status_code == 404
    assert [i["id"] for i in json_of(await api.get(f"/shares/{token}"))["items"]] == [first]
    made = json_of(await api.get("/audit", params={"action": "share.create"}))["items"][0]
    assert made["detail"]["collection_id"] == box["id"]
    assert made["asset_id"] is None


async def test_flags_hold_for_every_item(api: Client, http: httpx.AsyncClient, run_jobs: Any) -> None:
    photo = await ready_photo(api, http, "hidden.jpg")
    await run_jobs()
    _, token = await shared_box(api, [photo], download=False, show_metadata=False)
    for shown in (
        json_of(await api.get(f"/shares/{token}"))["items"][0],
        json_of(await api.get(f"/shares/{token}/assets/{photo}")),
    ):
        assert shown["download_url"] is None
        assert shown["facts"] is None
        assert shown["download"] is False
        assert "TestCam" not in str(shown)


async def test_a_collection_link_expires_and_is_revoked(api: Client) -> None:
    (asset,) = [str((await create(api))["id"])]
    box = json_of(await api.post("/collections", json={"name": "Short"}))
    await api.post(f"/collections/{box['id']}/assets", json={"asset_ids": [asset]})
    short = json_of(
        await api.post(f"/collections/{box['id']}/shares", json={"expires_in": 1, "download": True})
    )
    token = short["url"].rsplit("/", 1)[1]
    assert (await api.get(f"/shares/{token}")).status_code in (200, 404)  # a second is short
    deadline = time.monotonic() + 30
    while (await api.get(f"/shares/{token}")).status_code != 404:
        assert time.monotonic() < deadline, "the link outlived its expiry"
        await asyncio.sleep(0.1)
    assert (await api.get(f"/shares/{token}/assets/{asset}")).status_code == 404
    assert (await api.get(f"/s/{token}")).status_code == 404
    kept = json_of(
        await api.post(f"/collections/{box['id']}/shares", json={"expires_in": 600, "download": True})
    )
    kept_token = kept["url"].rsplit("/", 1)[1]
    moved = await api.get(f"/s/{kept_token}", follow_redirects=False)
    assert moved.headers["location"] == f"/app/s/{kept_token}"
    assert (await api.delete(f"/shares/{kept['id']}")).status_code == 204
    assert (await api.get(f"/shares/{kept_token}")).status_code == 404
    # Deleting the collection ends its links too.
    again = json_of(
        await api.post(f"/collections/{box['id']}/shares", json={"expires_in": 600, "download": True})
    )
    assert (await api.delete(f"/collections/{box['id']}")).status_code == 204
    assert (await api.get(f"/shares/{again['url'].rsplit('/', 1)[1]}")).status_code == 404
    # An asset's link answers the per-asset route for its own asset alone.
    own = json_of(await api.post(f"/assets/{asset}/shares", json={"expires_in": 600, "download": True}))
    own_token = own["url"].rsplit("/", 1)[1]
    assert "collection" not in json_of(await api.get(f"/shares/{own_token}"))
    assert (await api.get(f"/shares/{own_token}/assets/{asset}")).status_code == 200


async def test_only_editors_share_a_collection(api: Client, identities: Any, workspace: Any) -> None:
    from tests.support.accounts import bearer

    box = json_of(await api.post("/collections", json={"name": "Roles"}))
    contributor = bearer(await identities.key(workspace, "contributor"))
    editor = bearer(await identities.key(workspace, "editor"))
    body = {"expires_in": 60, "download": True}
    assert (
        await api.post(f"/collections/{box['id']}/shares", json=body, headers=contributor)
    ).status_code == 403
    assert (await api.post(f"/collections/{box['id']}/shares", json=body, headers=editor)).status_code == 201
    assert (
        await api.post(f"/collections/{box['id']}/shares", json={"expires_in": 0, "download": True})
    ).status_code == 400
