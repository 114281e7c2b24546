"""Webhooks end to end: endpoints made through the API, events written with the changes they report,
delivered by the delivery loop to a receiver on loopback, signed as the Standard Webhooks library
(``standardwebhooks``, a receiver's own verifier) expects, in order, retried, never lost; and the
addresses no endpoint may reach."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient
from standardwebhooks import Webhook

from dam.jobs.webhooks import deliver_webhooks
from dam.resources import Resources, open_resources
from dam.services.unit import unit
from dam.services.webhooks import emit
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, client_of
from tests.support.flows import ingest, json_of
from tests.support.receiver import Receiver, receiving

pytestmark = pytest.mark.integration
DEADLINE = 60.0
ASSET_EVENTS = [
    "asset.created",
    "asset.uploaded",
    "asset.ready",
    "asset.updated",
    "asset.trashed",
    "asset.restored",
]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Loopback receivers over plain http, retries within a second."""
    return make_settings(
        DAM_WEBHOOK_ALLOW_HTTP="true", DAM_WEBHOOK_ALLOW_PRIVATE="true", DAM_WEBHOOK_RETRY_SCHEDULE="0.3"
    )


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    async with open_resources(settings) as opened:
        yield opened


@pytest.fixture
async def sending(resources: Resources) -> AsyncIterator[None]:
    """The delivery loop a media worker runs, in this test's process."""
    task = asyncio.create_task(deliver_webhooks(resources))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(what: str, check: Callable[[], bool], within: float = DEADLINE) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within:g} s: {what}")
        await asyncio.sleep(0.05)


def verified(secret: str, receiver: Receiver) -> list[dict[str, Any]]:
    """Every request the receiver got, each verified by the Standard Webhooks library."""
    verifier = Webhook(secret)
    with receiver.lock:
        got = list(receiver.got)
    return [verifier.verify(r.body, r.headers) for r in got]


async def test_every_asset_event_arrives_once_signed_in_order_without_urls(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, sending: None, workspace: Any
) -> None:
    with receiving() as receiver:
        made = await api.post(
            "/webhooks", json={"url": receiver.url, "events": ASSET_EVENTS, "description": "CMS"}
        )
        assert made.status_code == 201, made.text
        hook = json_of(made)
        assert hook["secret"].startswith("whsec_")
        assert "secret" not in json_of(await api.get(f"/webhooks/{hook['id']}"))
        asset_id = await ingest(api, http, media.png_with_alpha(), "hook.png", "image/png")
        await run_jobs()
        assert (await api.patch(f"/assets/{asset_id}", json={"title": "Hooked"})).status_code == 200
        assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
        assert (await api.post(f"/assets/{asset_id}/restore")).status_code == 200
        await until("six events", lambda: len(receiver.got) >= 6)
        events = verified(hook["secret"], receiver)
        assert [e["type"] for e in events] == ASSET_EVENTS
        assert all(e["data"]["asset"]["id"] == asset_id for e in events)
        assert all(e["workspace"] == str(workspace.id) for e in events)
        assert events[3]["data"]["asset"]["title"] == "Hooked"
        assert [e["data"]["asset"]["status"] for e in events][2:] == ["ready", "ready", "trashed", "ready"]
        # Never a presigned URL, nor where the bytes are.
        raw = b"".join(receiver.bodies())
        for never in (b"X-Amz-", b"storage", b"http"):
            assert never not in raw, never
        ids = [r.headers["webhook-id"] for r in receiver.got]
        assert len(set(ids)) == 6
        # The deliveries as the admin sees them.
        page = json_of(await api.get(f"/webhooks/{hook['id']}/deliveries"))
        assert [d["type"] for d in page["items"]] == ASSET_EVENTS[::-1]
        assert {d["state"] for d in page["items"]} == {"delivered"}
        assert all(len(d["attempts"]) == 1 and d["attempts"][0]["status"] == 204 for d in page["items"])


async def test_a_receiver_that_fails_three_times_gets_the_event_on_the_fourth_attempt(
    api: AsyncTestClient[Any], sending: None
) -> None:
    with receiving() as receiver:
        receiver.answers = [500, 503, 429]
        hook = json_of(await api.post("/webhooks", json={"url": receiver.url, "events": ["asset.created"]}))
        created = json_of(await api.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"}))
        await until("four attempts", lambda: len(receiver.got) >= 4)
        ids = {r.headers["webhook-id"] for r in receiver.got}
        assert len(ids) == 1  # a retry keeps its webhook-id
        (event,) = {json.dumps(e, sort_keys=True) for e in verified(hook["secret"], receiver)}
        assert json.loads(event)["data"]["asset"]["id"] == created["id"]
        page = json_of(await api.get(f"/webhooks/{hook['id']}/deliveries"))
        (delivery,) = page["items"]
        assert [a["status"] for a in delivery["attempts"]] == [500, 503, 429, 204]
        assert delivery["state"] == "delivered"
        # A 4xx other than 429 is not retried.
        receiver.answers = [410]
        await api.post("/assets", json={"filename": "b.jpg", "content_type": "image/jpeg"})
        await until("the 410", lambda: len(receiver.got) >= 5)
        await asyncio.sleep(1.0)  # room for a retry that must not come (the schedule is 0.3 s)
        assert len(receiver.got) == 5
        newest = json_of(await api.get(f"/webhooks/{hook['id']}/deliveries"))["items"][0]
        assert newest["state"] == "failed"
        assert newest["attempts"][0]["status"] == 410


async def test_events_committed_while_the_receiver_is_down_all_arrive_when_it_returns(
    api: AsyncTestClient[Any], sending: None
) -> None:
    with receiving() as receiver:
        hook = json_of(await api.post("/webhooks", json={"url": receiver.url, "events": ["asset.created"]}))
        receiver.down()
        made = [
            json_of(await api.post("/assets", json={"filename": f"{n}.jpg", "content_type": "image/jpeg"}))[
                "id"
            ]
            for n in range(5)
        ]
        # Attempts fail meanwhile (connection refused) and are retried on the schedule.
        await asyncio.sleep(1.0)
        receiver.up()
        await until("all five", lambda: len({r.headers["webhook-id"] for r in receiver.got}) >= 5)
        events = verified(hook["secret"], receiver)
        assert [e["data"]["asset"]["id"] for e in events][-5:] == made


async def test_a_change_that_rolls_back_sends_nothing(
    api: AsyncTestClient[Any], resources: Resources, workspace: Any, sending: None
) -> None:
    with receiving() as receiver:
        hook = json_of(await api.post("/webhooks", json={"url": receiver.url, "events": ["asset.updated"]}))

        async def failing_change() -> None:
            async with unit(resources.pool) as work:
                assert await emit(work.conn, workspace.id, "asset.updated", {"asset": {"id": "x"}}) == 1
                raise RuntimeError("the change fails after its event was written")

        with pytest.raises(RuntimeError):
            await failing_change()
        async with unit(resources.pool) as work:
            assert await emit(work.conn, workspace.id, "asset.updated", {"asset": {"id": "kept"}}) == 1
        await until("the committed one", lambda: len(receiver.got) >= 1)
        await asyncio.sleep(0.5)
        assert [e["data"]["asset"]["id"] for e in verified(hook["secret"], receiver)] == ["kept"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook", "https://10.1.2.3/hook", "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook", "https://192.168.0.10/hook", "https://[::ffff:127.0.0.1]/hook",
    ],
)  # fmt: skip
async def test_endpoints_on_addresses_webhooks_may_not_reach_are_refused(
    make_settings: Callable[..., Settings], identities: Identities, url: str
) -> None:
    settings = make_settings(DAM_WEBHOOK_ALLOW_HTTP="true")
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as api:
        refused = await api.post("/webhooks", json={"url": url, "events": ["asset.ready"]})
        assert refused.status_code == 422, refused.text
        assert "may not reach" in json_of(refused)["detail"]


async def test_a_name_that_resolves_to_loopback_is_refused_at_delivery_and_http_needs_the_setting(
    make_settings: Callable[..., Settings], identities: Identities
) -> None:
    settings = make_settings(DAM_WEBHOOK_ALLOW_HTTP="true")
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as api:
        with receiving() as receiver:
            url = f"http://localhost:{receiver.port}/hooks"
            hook = json_of(await api.post("/webhooks", json={"url": url, "events": ["asset.created"]}))
            async with open_resources(settings) as resources:
                task = asyncio.create_task(deliver_webhooks(resources))
                try:
                    await api.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"})

                    async def attempted() -> list[dict[str, Any]]:
                        items = json_of(await api.get(f"/webhooks/{hook['id']}/deliveries"))["items"]
                        return items[0]["attempts"] if items else []

                    deadline = time.monotonic() + DEADLINE
                    while not (tries := await attempted()):
                        assert time.monotonic() < deadline
                        await asyncio.sleep(0.1)
                finally:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            assert receiver.got == []
            assert tries[0]["status"] is None
            assert "loopback" in tries[0]["error"], tries
    plain = make_settings()
    async with client_of(plain, await identities.key(await identities.workspace(), "admin")) as api:
        refused = await api.post(
            "/webhooks", json={"url": "http://example.org/hook", "events": ["asset.ready"]}
        )
        assert refused.status_code == 422
        assert "https" in json_of(refused)["detail"]
        unknown = await api.post(
            "/webhooks", json={"url": "https://example.org/h", "events": ["asset.eaten"]}
        )
        assert unknown.status_code == 422


async def test_endpoints_are_the_admins_and_the_workspaces_own(
    api: AsyncTestClient[Any], settings: Settings, identities: Identities, workspace: Any
) -> None:
    hook = json_of(
        await api.post("/webhooks", json={"url": "https://example.org/h", "events": ["asset.ready"]})
    )
    async with client_of(settings, await identities.key(workspace, "editor")) as editor:
        assert (await editor.get("/webhooks")).status_code == 403
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as other:
        theirs = await other.get(f"/webhooks/{hook['id']}")
        unknown = await other.get(f"/webhooks/{uuid.uuid4()}")
        assert theirs.status_code == unknown.status_code == 404
        assert json_of(await other.get("/webhooks"))["items"] == []
    changed = await api.patch(f"/webhooks/{hook['id']}", json={"enabled": False, "events": ["asset.failed"]})
    assert json_of(changed)["enabled"] is False
    assert json_of(changed)["events"] == ["asset.failed"]
    rotated = json_of(await api.post(f"/webhooks/{hook['id']}/rotate-secret"))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != hook["secret"]
    assert (await api.delete(f"/webhooks/{hook['id']}")).status_code == 204
    assert (await api.get(f"/webhooks/{hook['id']}")).status_code == 404


async def test_share_links_and_collections_send_their_events_without_secrets(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, sending: None
) -> None:
    events = ["share.created", "share.revoked", "collection.changed"]
    with receiving() as receiver:
        hook = json_of(await api.post("/webhooks", json={"url": receiver.url, "events": events}))
        asset_id = await ingest(api, http, media.png_with_alpha(), "shared.png", "image/png")
        box = json_of(await api.post("/collections", json={"name": "Press"}))["id"]
        assert (
            await api.post(f"/collections/{box}/assets", json={"asset_ids": [asset_id]})
        ).status_code == 200
        made = json_of(
            await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 600, "download": True})
        )
        link = made["url"].rsplit("/", 1)[1]
        assert (await api.delete(f"/shares/{made['id']}")).status_code == 204
        await until("four events", lambda: len(receiver.got) >= 4)
        got = verified(hook["secret"], receiver)
        assert [(e["type"], e["data"].get("collection", {}).get("change")) for e in got] == [
            ("collection.changed", "create"), ("collection.changed", "assets.add"),
            ("share.created", None), ("share.revoked", None),
        ]  # fmt: skip
        assert got[1]["data"]["collection"]["assets"] == [asset_id]
        assert got[2]["data"]["share"]["id"] == made["id"]
        assert got[3]["data"]["share"]["revoked_at"] is not None
        assert all(link.encode() not in body for body in receiver.bodies())


async def test_disabled_endpoints_with_waiting_deliveries_never_hold_up_an_enabled_one(
    api: AsyncTestClient[Any], resources: Resources
) -> None:
    from dam.services.webhooks import Deliverer

    with receiving() as receiver:
        made = [
            json_of(
                await api.post("/webhooks", json={"url": f"{receiver.url}/{n}", "events": ["asset.created"]})
            )
            for n in range(41)
        ]
        await api.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"})
        for hook in made[1:]:  # waiting deliveries left behind by 40 endpoints turned off
            assert (await api.patch(f"/webhooks/{hook['id']}", json={"enabled": False})).status_code == 200
        deliverer = Deliverer(resources)
        try:
            assert await deliverer.once() == 1
        finally:
            await deliverer.close()
        assert [r.path for r in receiver.got] == ["/hooks/0"]
