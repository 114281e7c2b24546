"""The trash: a deleted asset leaves every listing, search, collection, share link and stream, keeps
its bytes, comes back as it was, and is purged for good (a tombstone kept) after DAM_TRASH_DAYS."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from dam.jobs.reconcile import reconcile
from dam.resources import open_resources
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, client_of
from tests.support.flows import ingest, json_of

pytestmark = pytest.mark.integration
Client = AsyncTestClient[Any]


async def _seen(api: Client, asset_id: str, tag: str, collection: str) -> dict[str, bool]:
    """Where the asset shows."""
    listed = json_of(await api.get("/assets"))["items"]
    found = json_of(await api.get("/search", params={"q": tag}))["items"]
    anything = json_of(await api.get("/search", params={"status": "any"}))["items"]
    members = json_of(await api.get(f"/collections/{collection}/assets"))["items"]
    tags = {t["name"]: t["count"] for t in json_of(await api.get("/tags"))["items"]}
    counted = json_of(await api.get(f"/collections/{collection}"))["asset_count"]
    return {
        "listed": asset_id in {a["id"] for a in listed},
        "found": asset_id in {a["id"] for a in found},
        "found by any status": asset_id in {a["id"] for a in anything},
        "in the collection": asset_id in {m["id"] for m in members},
        "counted in the collection": counted == 1,
        "its tag counted": tags.get(tag, 0) == 1,
    }


async def test_the_trash_hides_an_asset_everywhere_and_restore_brings_it_all_back(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, identities: Identities, settings: Settings
) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(), "harbour.png", "image/png")
    await run_jobs()
    assert (
        await api.patch(f"/assets/{asset_id}", json={"tags": ["Harbour"], "title": "The harbour"})
    ).status_code == 200
    collection = json_of(await api.post("/collections", json={"name": "Coast"}))["id"]
    assert (
        await api.post(f"/collections/{collection}/assets", json={"asset_ids": [asset_id]})
    ).status_code == 200
    link = json_of(await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 3600, "download": True}))
    token = link["url"].rsplit("/", 1)[1]
    before = json_of(await api.get(f"/assets/{asset_id}"))
    assert all((await _seen(api, asset_id, "Harbour", collection)).values())
    assert (await api.get(f"/shares/{token}")).status_code == 200

    started = time.time()
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    trashed = json_of(await api.get(f"/assets/{asset_id}"))
    assert trashed["status"] == "trashed"
    at, purge = datetime.fromisoformat(trashed["trashed_at"]), datetime.fromisoformat(trashed["purge_at"])
    assert abs(at.timestamp() - started) < 60
    assert abs((purge - at).total_seconds() - 30 * 86400) < 5  # DAM_TRASH_DAYS' default
    assert trashed["stream"] is None
    assert not any((await _seen(api, asset_id, "Harbour", collection)).values())
    # Its share link answers as an unknown one does; its bytes stay in the store.
    assert (await api.get(f"/shares/{token}")).status_code == 404
    assert (await http.get(before["download_url"])).status_code == 200
    # The trash lists it (as does GET /assets?status=trashed); search refuses to look there.
    listed = json_of(await api.get("/trash"))
    assert [a["id"] for a in listed["items"]] == [asset_id]
    assert listed["items"][0]["purge_at"] == trashed["purge_at"]
    assert [a["id"] for a in json_of(await api.get("/assets", params={"status": "trashed"}))["items"]] == [
        asset_id
    ]
    refused = await api.get("/search", params={"status": "trashed"})
    assert refused.status_code == 400
    assert "GET /trash" in json_of(refused)["detail"]
    # It cannot be edited while there; deleting it again changes nothing.
    assert (await api.patch(f"/assets/{asset_id}", json={"title": "x"})).status_code == 409
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    assert json_of(await api.get(f"/assets/{asset_id}"))["trashed_at"] == trashed["trashed_at"]
    # Another workspace sees none of it, and restores nothing.
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as other:
        assert json_of(await other.get("/trash"))["items"] == []
        theirs = await other.post(f"/assets/{asset_id}/restore")
        unknown = await other.post("/assets/00000000-0000-4000-8000-000000000000/restore")
        assert theirs.status_code == unknown.status_code == 404
        assert json_of(theirs)["error"] == json_of(unknown)["error"]

    restored = await api.post(f"/assets/{asset_id}/restore")
    assert restored.status_code == 200, restored.text
    body = json_of(restored)
    assert body["status"] == "ready"
    assert (body["trashed_at"], body["purge_at"]) == (None, None)
    assert (body["title"], body["tags"], body["revision"]) == ("The harbour", ["Harbour"], before["revision"])
    assert all((await _seen(api, asset_id, "Harbour", collection)).values())
    assert (await api.get(f"/shares/{token}")).status_code == 200
    assert json_of(await api.get("/trash"))["items"] == []
    again = await api.post(f"/assets/{asset_id}/restore")
    assert again.status_code == 409
    assert json_of(again)["error"] == "conflict"
    actions = [e["action"] for e in json_of(await api.get("/audit", params={"asset": asset_id}))["items"]]
    assert {"asset.trash", "asset.restore"} <= set(actions), actions


async def test_the_purge_after_dam_trash_days_deletes_the_bytes_and_keeps_a_tombstone(
    make_settings: Callable[..., Settings], identities: Identities, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    settings = make_settings(DAM_TRASH_DAYS="0.00002")  # about 1.7 s
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as api:
        asset_id = await ingest(api, http, media.png_with_alpha(), "old.png", "image/png")
        kept = await ingest(api, http, media.png_with_alpha(), "kept.png", "image/png")
        await run_jobs(settings=settings)
        detail = json_of(await api.get(f"/assets/{asset_id}"))
        original, renditions = detail["download_url"], [r["url"] for r in detail["renditions"]]
        assert renditions
        assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
        purge_at = datetime.fromisoformat(json_of(await api.get(f"/assets/{asset_id}"))["purge_at"])
        async with open_resources(settings) as resources:
            ctx = {"resources": resources, "redis": resources.queue}
            deadline = time.monotonic() + 60
            while (purged := (await reconcile(ctx))["purged"]) == 0:
                assert time.monotonic() < deadline, "never purged"
                await asyncio.sleep(0.2)
        assert purged == 1
        assert datetime.now(purge_at.tzinfo) >= purge_at
        tombstone = json_of(await api.get(f"/assets/{asset_id}"))
        assert tombstone["status"] == "deleted"
        assert tombstone["download_url"] is None
        assert tombstone["renditions"] == []
        assert (await http.get(original)).status_code == 404
        assert [(await http.get(url)).status_code for url in renditions] == [404] * len(renditions)
        assert [
            a["id"] for a in json_of(await api.get("/assets", params={"status": "deleted"}))["items"]
        ] == [asset_id]
        assert json_of(await api.get("/trash"))["items"] == []
        assert (await api.post(f"/assets/{asset_id}/restore")).status_code == 409
        assert json_of(await api.get(f"/assets/{kept}"))["status"] == "ready"


async def test_permanent_deletes_and_emptying_the_trash_are_for_admins(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, identities: Identities, workspace: Workspace,
    settings: Settings,
) -> None:  # fmt: skip
    ids = [await ingest(api, http, media.png_with_alpha(), f"{n}.png", "image/png") for n in range(3)]
    await run_jobs()
    async with client_of(settings, await identities.key(workspace, "editor")) as editor:
        refused = await editor.delete(f"/assets/{ids[0]}", params={"permanent": "true"})
        assert refused.status_code == 403, refused.text
        assert json_of(await editor.get(f"/assets/{ids[0]}"))["status"] == "ready"
        assert (await editor.delete(f"/assets/{ids[1]}")).status_code == 204
        assert (await editor.delete("/trash")).status_code == 403
    # An admin deletes for good at once.
    original = json_of(await api.get(f"/assets/{ids[0]}"))["download_url"]
    assert (await api.delete(f"/assets/{ids[0]}", params={"permanent": "true"})).status_code == 204
    assert json_of(await api.get(f"/assets/{ids[0]}"))["status"] == "deleted"
    assert (await http.get(original)).status_code == 404
    # Bulk delete goes to the trash too; emptying it purges everything in it.
    bulk = await api.post("/assets/bulk", json={"ids": [ids[2]], "delete": True})
    assert bulk.status_code == 200, bulk.text
    assert json_of(await api.get(f"/assets/{ids[2]}"))["status"] == "trashed"
    assert {a["id"] for a in json_of(await api.get("/trash"))["items"]} == {ids[1], ids[2]}
    emptied = await api.delete("/trash")
    assert emptied.status_code == 200, emptied.text
    assert json_of(emptied) == {"purged": 2}
    assert {json_of(await api.get(f"/assets/{i}"))["status"] for i in ids[1:]} == {"deleted"}
    assert json_of(await api.get("/trash"))["items"] == []


async def test_with_no_trash_days_a_delete_is_for_good_at_once(
    make_settings: Callable[..., Settings], identities: Identities, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    settings = make_settings(DAM_TRASH_DAYS="0")
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as api:
        asset_id = await ingest(api, http, media.png_with_alpha(), "gone.png", "image/png")
        await run_jobs(settings=settings)
        assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
        assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "deleted"


async def test_an_asset_deleted_before_it_was_processed_is_processed_once_restored(
    api: Client, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(), "early.png", "image/png")
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "uploaded"
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    await run_jobs()  # its job finds it in the trash and does nothing
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "trashed"
    restored = json_of(await api.post(f"/assets/{asset_id}/restore"))
    assert restored["status"] == "uploaded"
    await run_jobs()
    ready = json_of(await api.get(f"/assets/{asset_id}"))
    assert ready["status"] == "ready"
    assert {r["kind"] for r in ready["renditions"]} >= {"thumbnail", "preview"}


async def test_a_purge_that_races_a_restore_leaves_the_restored_asset_whole(
    api: Client, http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    from dam.services.assets import Assets

    asset_id = await ingest(api, http, media.png_with_alpha(), "saved.png", "image/png")
    await run_jobs()
    assert (await api.patch(f"/assets/{asset_id}", json={"tags": ["Keep"]})).status_code == 200
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    async with open_resources(settings) as resources:
        service = Assets(resources)
        (stale,) = await service_due(resources, asset_id)  # the purge read it while it was trashed
        assert (await api.post(f"/assets/{asset_id}/restore")).status_code == 200
        await service.purge(None, stale, from_trash=True)  # ...and comes to it after the restore
    detail = json_of(await api.get(f"/assets/{asset_id}"))
    assert detail["status"] == "ready"
    assert (await http.get(detail["download_url"])).status_code == 200
    assert {t["name"]: t["count"] for t in json_of(await api.get("/tags"))["items"]} == {"Keep": 1}


async def service_due(resources: Any, asset_id: str) -> list[Any]:
    from dam.db import assets as asset_rows

    rows = await asset_rows.list_trash(resources.pool, (await resources.pool.fetchval(
        "SELECT workspace_id FROM assets WHERE id = $1", uuid.UUID(asset_id))), 10, None)  # fmt: skip
    return [r for r in rows if str(r.id) == asset_id]
