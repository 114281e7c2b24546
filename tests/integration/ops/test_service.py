"""Health, readiness, interactive docs, start-up behaviour and browser CORS on the store."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.domain.accounts import Workspace
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import Identities, bearer, client_of
from tests.support.flows import create, ingest, json_of


async def test_health_touches_nothing(make_settings: Callable[..., Settings]) -> None:
    (closed,) = free_ports(1)
    settings = make_settings(DAM_REDIS_URL=f"redis://127.0.0.1:{closed}/0")
    async with AsyncTestClient(app=create_app(settings)) as api:
        response = await api.get("/health")
    assert response.status_code == 200
    assert json_of(response) == {"status": "ok"}


async def test_ready_when_everything_answers(api: AsyncTestClient[Any]) -> None:
    response = await api.get("/ready")
    assert response.status_code == 200, response.text
    body = json_of(response)
    assert body["status"] == "ok"
    assert body["checks"] == {"postgres": "ok", "redis": "ok", "s3": "ok"}


@pytest.mark.slow
async def test_ready_names_failing_dependencies(make_settings: Callable[..., Settings], api_key: str) -> None:
    redis_port, s3_port = free_ports(2)
    settings = make_settings(
        DAM_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{s3_port}"
    )
    async with client_of(settings, api_key) as api:
        response = await api.get("/ready")
        assert response.status_code == 503
        body = json_of(response)
        assert body["failing"] == ["redis", "s3"]
        assert body["checks"]["postgres"] == "ok"
        # The API stays up and answers clearly while storage is down.
        created = await api.post(
            "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg", "multipart": True}
        )
        assert created.status_code == 503
        assert json_of(created)["error"] == "storage_unavailable"


async def test_docs_and_openapi(api: AsyncTestClient[Any]) -> None:
    page = await api.get("/docs")
    assert page.status_code == 200
    assert "swagger" in page.text.lower()
    schema = json_of(await api.get("/docs/openapi.json"))
    paths = schema["paths"]
    for path in ("/assets", "/assets/{asset_id}", "/assets/{asset_id}/upload", "/assets/{asset_id}/complete"):
        assert path in paths, sorted(paths)
    assert "/health" in paths
    assert "/ready" in paths


async def test_store_cors_allows_configured_origin_only(
    api: AsyncTestClient[Any], http: httpx.AsyncClient
) -> None:
    created = await create(api)
    url = created["upload"]["url"]

    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        }

    allowed = await http.options(url, headers=preflight("http://app.example.test"))
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == "http://app.example.test"
    assert "PUT" in allowed.headers["access-control-allow-methods"]
    # Another origin may not PUT: the store answers 403, or at most the read-only rule that lets
    # players read stream segments (GET and HEAD from any origin), which a PUT preflight fails.
    refused = await http.options(url, headers=preflight("http://evil.example.test"))
    assert refused.status_code == 403 or "PUT" not in refused.headers.get("access-control-allow-methods", "")


async def test_store_cors_reads_from_any_origin_only_when_set(
    make_settings: Callable[..., Settings], api_key: str, http: httpx.AsyncClient
) -> None:
    """DAM_STREAM_STORE_ANY_ORIGIN (default on) lets any origin GET, as players after the stream's
    302 send `Origin: null`; off, only the configured origins may."""
    for setting, expected in (("true", {"*", "null"}), ("false", {None})):
        settings = make_settings(DAM_STREAM_STORE_ANY_ORIGIN=setting)
        async with client_of(settings, api_key) as api:
            asset_id = await ingest(api, http, b"\xff\xd8\xff" + b"x" * 100, "x.jpg", "image/jpeg")
            asset = json_of(await api.get(f"/assets/{asset_id}"))
        got = await http.get(asset["download_url"], headers={"Origin": "null"})
        assert got.status_code == 200
        assert got.headers.get("access-control-allow-origin") in expected, (setting, dict(got.headers))


async def test_job_dashboard(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    identities: Identities,
    workspace: Workspace,
) -> None:
    good = await ingest(api, http, media.png_with_alpha(), "fine.png", "image/png")
    bad = await ingest(api, http, b"not an image", "bad.png", "image/png")
    before = json_of(await api.get("/api/jobs"))
    assert before["queue"] == settings.redis.queue_name
    assert {j["args"][0] for j in before["queued"]} == {good, bad}
    assert {j["queue"] for j in before["queued"]} == {"media"}
    # Every work queue is shown, the enrich queue's among them, with its jobs waiting and running.
    assert set(before["queues"]) == {"media", "transcode", "enrich"}
    assert before["queues"]["media"] == {"queued": 2, "in_progress": 0}
    assert before["queues"]["enrich"] == {"queued": 0, "in_progress": 0}
    await run_jobs()
    data = json_of(await api.get("/api/jobs"))
    assert data["queued"] == []
    results = {j["args"][0]: j for j in data["recent"]}
    assert results[good]["success"] is True
    assert results[good]["result"].startswith("ready")
    assert results[bad]["result"].startswith("failed: not a readable PNG image")
    assert results[good]["seconds"] >= 0
    assert data["counts"]["process_asset"]["succeeded"] >= 2
    assert data["assets"]["ready"] >= 1
    assert bad in {a["id"] for a in data["failed_assets"]}
    # A workspace admin sees the workspace's jobs and assets; the event bridge is the operators'.
    assert data["bridge"] == {}
    others = await identities.workspace()
    other_admin = bearer(await identities.key(others, "admin"))
    theirs = json_of(await api.get("/api/jobs", headers=other_admin))
    assert {j["args"][0] for j in theirs["recent"]} & {good, bad} == set()
    assert theirs["queues"]["media"] == {"queued": 0, "in_progress": 0}
    assert bad not in {a["id"] for a in theirs["failed_assets"]}
    email, password = await identities.user(others, "viewer", operator=True)
    key_header = api.headers.pop("Authorization")  # a key would win over the session cookie
    try:
        signed = await api.post("/auth/login", json={"email": email, "password": password})
        assert signed.status_code == 200, signed.text
        everything = json_of(await api.get("/api/jobs"))
    finally:
        api.headers["Authorization"] = key_header
        api.cookies.clear()
    assert set(everything["bridge"]) == {"backlog", "unacknowledged", "dead_letters"}
    assert {good, bad} <= {j["args"][0] for j in everything["recent"]}
    # The old page's address leads to the web app's dashboard (test_web_app_admin.py drives it).
    page = await api.get("/jobs", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (302, "/app/admin/jobs")


async def test_aborting_an_upload_whose_bucket_is_gone_is_not_an_error(
    make_settings: Callable[..., Settings],
) -> None:
    """A development database can outlive its store (a fresh clone, `make run`): the reconciler's
    abort of such an asset's upload must not end its pass."""
    from dam.storage.s3 import open_storage

    settings = make_settings(store=False)  # its bucket is never created
    async with open_storage(settings.s3) as storage:
        await storage.abort_multipart("originals/5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e/x.mp4", "gone")


async def test_the_start_up_objects_are_frozen_once_per_process(settings: Settings) -> None:
    """The API's process starts its app once and keeps the start-up objects out of every GC pass; an
    app started again in the same process (the tests start hundreds) freezes nothing more, so what
    each one leaves behind is collected."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/health")).status_code == 200
    frozen = gc.get_freeze_count()
    assert frozen > 0
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/health")).status_code == 200
    assert gc.get_freeze_count() <= frozen  # (frozen objects still go when nothing refers to them)
