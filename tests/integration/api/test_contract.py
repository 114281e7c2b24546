"""HTTP semantics the contract promises: HEAD wherever GET is, a true Allow, idempotent complete."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.settings import MiB
from dam_dev.devs3 import free_ports
from tests.support.accounts import bearer, client_of
from tests.support.flows import create, json_of, put_parts
from tests.support.processes import dam, env_of

# GETs that create an asset (Uppy's form signing): no HEAD there.
UNSAFE_GETS = {"/s3/params", "/uploads/{token:str}/s3/params"}


def _http_routes(api: AsyncTestClient[Any]) -> list[HTTPRoute]:
    app = api.app
    assert isinstance(app, Litestar)
    return [route for route in app.routes if isinstance(route, HTTPRoute)]


def _concrete(
    path: str,
    asset_id: str,
    token: str = "dam_up_" + "x" * 43,
    share: str = "dam_sh_x",
    invite: str = "x",
    collection: str | None = None,
    webhook: str | None = None,
) -> str:
    """A real URL for a route's path template."""
    return (
        path.replace("{asset_id:str}", asset_id)
        .replace("{webhook_id:str}", webhook or asset_id)
        .replace("{collection_id:str}", collection or asset_id)
        .replace("{share:str}", share)
        .replace("/s/{token:str}", f"/s/{share}")
        .replace("/invite/{token:str}", f"/invite/{invite}")
        .replace("{token:str}", token)
        .replace("{user_id:str}", asset_id)
        .replace("{key_id:str}", asset_id)
        .replace("{file_path:path}", "pages.css")
        .replace("{path:path}", "h264-0123456789/master.m3u8")
        .replace("/docs/assets/{name:str}", "/docs/assets/init.js")
        .replace("/docs/{path:str}", "/docs/openapi.json")
    )


async def test_head_answers_wherever_get_does(api: AsyncTestClient[Any]) -> None:
    asset = (await create(api))["id"]
    token = json_of(await api.post("/upload-tokens", json={"expires_in": 60}))["token"]
    made = await api.post(f"/assets/{asset}/shares", json={"expires_in": 60, "download": False})
    share = json_of(made)["url"].rsplit("/", 1)[1]
    invited = await api.post("/invitations", json={"email": "head@example.test", "role": "viewer"})
    invite = json_of(invited)["link"].rsplit("/", 1)[1]
    collection = json_of(await api.post("/collections", json={"name": "HEAD"}))["id"]
    hook = {"url": "https://example.org/hooks", "events": ["asset.ready"]}
    webhook = json_of(await api.post("/webhooks", json=hook))["id"]
    gets = [
        route.path for route in _http_routes(api) if "GET" in route.methods and route.path not in UNSAFE_GETS
    ]
    assert "/assets/{asset_id:str}" in gets
    for path in gets:
        url = _concrete(path, asset, token, share, invite, collection, webhook)
        got, head = await api.get(url), await api.head(url)
        # An upload's key; single sign-on is off here; a stream needs a token of a finished stream; a
        # new asset has no transcript yet (404, HEAD alike).
        untold = path.startswith("/stream/") or path.endswith("/transcript.vtt")
        if "/s3/" not in path and "/oidc/" not in path and not untold:
            assert got.status_code == 200, (url, got.text)
        assert head.status_code == got.status_code, (url, head.text)
        assert head.content == b"", url
        assert head.headers["content-type"] == got.headers["content-type"], url
    # HEAD must be safe: where GET creates something (Companion's form signing), it is not served.
    before = len(json_of(await api.get("/assets?limit=200"))["items"])
    refused = await api.head("/s3/params?filename=a.jpg&type=image/jpeg")
    assert refused.status_code == 405
    assert "HEAD" not in refused.headers["allow"]
    assert len(json_of(await api.get("/assets?limit=200"))["items"]) == before
    tokened = await api.head(f"/uploads/{token}/s3/params?filename=a.jpg&type=image/jpeg")
    assert tokened.status_code == 405
    assert len(json_of(await api.get("/assets?limit=200"))["items"]) == before
    missing = await api.head("/assets/5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e")
    assert missing.status_code == 404
    assert missing.content == b""


async def test_options_and_405_list_every_method_of_the_path(api: AsyncTestClient[Any]) -> None:
    asset = (await create(api))["id"]
    for route in _http_routes(api):
        head = "GET" in route.methods and route.path not in UNSAFE_GETS
        expected = set(route.methods) | {"OPTIONS"} | ({"HEAD"} if head else set())
        answer = await api.options(_concrete(route.path, asset))
        assert answer.status_code == 204, route.path
        assert set(answer.headers["allow"].split(", ")) == expected, route.path
    one = await api.options(f"/assets/{asset}")
    assert set(one.headers["allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS", "PATCH"}
    refused = await api.put("/assets", json={})
    assert refused.status_code == 405
    assert json_of(refused)["error"] == "method_not_allowed"
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}


async def test_parallel_completes_of_a_multipart_upload_all_succeed_and_queue_one_job(
    api_key: str, make_settings: Any, http: httpx.AsyncClient, redis: Redis, run_jobs: Any, process_logs: Path
) -> None:
    """The documented idempotence under real concurrency (a served API, not the in-process client):
    five callers complete one upload at once, every one gets 202, one job is queued."""
    (port,) = free_ports(1)
    settings = make_settings(DAM_PORT=port)
    base = f"http://127.0.0.1:{port}"
    data = os.urandom(5 * MiB + 1000)
    async with (
        dam("api", env=env_of(settings), log_dir=process_logs) as served,
        httpx.AsyncClient(base_url=base, timeout=60, headers=bearer(api_key)) as client,
    ):
        await served.healthy(f"{base}/ready")
        assets = []
        for n in range(6):
            body = {
                "filename": f"clip{n}.mp4",
                "content_type": "video/mp4",
                "size": len(data),
                "multipart": True,
            }
            created = (await client.post("/assets", json=body)).json()
            await put_parts(http, created["upload"], data)
            assets.append(created["id"])
        for asset in assets:
            answers = await asyncio.gather(*(client.post(f"/assets/{asset}/complete") for _ in range(5)))
            assert [a.status_code for a in answers] == [202] * 5, [a.text for a in answers]
            assert {a.json()["id"] for a in answers} == {asset}
    assert await redis.zcard(settings.redis.queue_name) == len(assets)
    await run_jobs(settings)
    async with client_of(settings, api_key) as api:
        for asset in assets:
            done = json_of(await api.get(f"/assets/{asset}"))
            assert done["stored_size"] == len(data)
            assert done["status"] in {"ready", "failed"}  # random bytes are no video; what counts is once
            assert done["steps"][0]["attempts"] == 1, done["steps"]


@pytest.mark.parametrize("body", [None, b""], ids=["no-body", "empty-body"])
async def test_complete_needs_no_body_or_content_type(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, body: bytes | None
) -> None:
    data = b"\xff\xd8" + os.urandom(2000)
    created = await create(api, size=len(data))
    stored = await http.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"])
    assert stored.status_code == 200
    null = await api.post(
        f"/assets/{created['id']}/complete", content=b"null", headers={"Content-Type": "application/json"}
    )
    assert null.status_code == 400, null.text  # the body is the documented object, or none at all
    answer = await api.post(f"/assets/{created['id']}/complete", content=body)
    assert answer.status_code == 202, answer.text


async def test_the_job_dashboard_answers_503_while_redis_is_down(api_key: str, make_settings: Any) -> None:
    (dead,) = free_ports(1)
    settings = make_settings(DAM_REDIS_URL=f"redis://127.0.0.1:{dead}/0")
    async with client_of(settings, api_key) as api:
        answer = await api.get("/api/jobs")
    assert answer.status_code == 503, answer.text
    assert json_of(answer)["error"] == "queue_unavailable"
    assert answer.headers["retry-after"]
