"""Per-test API: its own bucket and job queue on the session's services."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aioboto3
import httpx
import pytest
from litestar.testing import AsyncTestClient
from playwright.async_api import Page, async_playwright
from redis.asyncio import Redis
from types_aiobotocore_s3 import S3Client

from dam import keys
from dam.api.app import create_app
from dam.db.pool import Pool, create_pool
from dam.domain.accounts import Workspace
from dam.settings import MiB, Settings, load_settings
from dam.storage.s3 import client_config
from dam_dev.devs3 import DevS3
from tests.support.accounts import Identities, bearer
from tests.support.browser import ARGS, CHROMIUM
from tests.support.config import ACCESS_KEY, REDIS_URL, SECRET_KEY
from tests.support.store import set_up_store


@pytest.fixture
def make_settings(s3_server: DevS3, database_url: str) -> Callable[..., Settings]:
    """Settings for one test: a fresh bucket (set up on the session's store, whatever endpoint the
    test names, as ``dam setup-store`` would; ``store=False``: never made) and queue; keyword
    overrides use DAM_* names."""

    def build(*, store: bool = True, **env: Any) -> Settings:
        base = {
            "DAM_DATABASE_URL": database_url,
            "DAM_REDIS_URL": REDIS_URL,
            "DAM_QUEUE_NAME": f"dam:test:{uuid.uuid4().hex}",
            "DAM_S3_ENDPOINT_URL": s3_server.endpoint_url,
            "DAM_S3_BUCKET": f"t-{uuid.uuid4().hex[:20]}",
            "DAM_S3_ACCESS_KEY": ACCESS_KEY,
            "DAM_S3_SECRET_KEY": SECRET_KEY,
            "DAM_MULTIPART_THRESHOLD": str(8 * MiB),
            "DAM_MULTIPART_PART_SIZE": str(5 * MiB),
            "DAM_MAX_UPLOAD_BYTES": str(64 * MiB),
            "DAM_CORS_ORIGINS": "http://app.example.test",
            # Worker processes stop well within the tests' stop deadline (test_shutdown sets its own).
            "DAM_WORKER_SHUTDOWN_GRACE": "5",
            # Models only in the tests of enrichment itself (tests/integration/enrichment/).
            "DAM_ENRICH": "none",
            "DAM_DEV": "true",  # the development defaults (a derived stream key, no DAM_PUBLIC_URL)
            # Litestar's test client addresses requests to testserver.local; processes to 127.0.0.1.
            "DAM_ALLOWED_HOSTS": "testserver.local,127.0.0.1,localhost,::1",
        }
        base.update({k: str(v) for k, v in env.items()})
        settings = load_settings(base)
        if store:
            set_up_store(settings, s3_server.endpoint_url)
        return settings

    return build


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """Default per-test settings."""
    return make_settings()


@pytest.fixture(scope="session")
async def accounts_pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on the session's database for making accounts."""
    pool = await create_pool(load_settings({"DAM_DATABASE_URL": database_url}).db)
    yield pool
    await pool.close()


@pytest.fixture
def identities(settings: Settings, accounts_pool: Pool) -> Identities:
    """Makes workspaces, keys and users for this test."""
    return Identities(settings, accounts_pool)


@pytest.fixture
async def workspace(identities: Identities) -> Workspace:
    """This test's own workspace."""
    return await identities.workspace()


@pytest.fixture
async def api_key(identities: Identities, workspace: Workspace) -> str:
    """An admin key of this test's workspace (what the ``api`` client sends)."""
    return await identities.key(workspace, "admin")


@pytest.fixture
async def api(settings: Settings, api_key: str) -> AsyncIterator[AsyncTestClient[Any]]:
    """The API in-process, with its lifespan (pool, S3 client, store check, queue) run for real; it
    sends an admin key of the test's workspace."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        client.headers.update(bearer(api_key))
        yield client


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client, as a browser or curl would talk to storage."""
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture
async def s3(settings: Settings) -> AsyncIterator[S3Client]:
    """A direct S3 client, to check what storage holds."""
    session = aioboto3.Session()
    async with session.client(
        "s3",
        endpoint_url=settings.s3.endpoint_url,
        region_name=settings.s3.region,
        aws_access_key_id=settings.s3.access_key,
        aws_secret_access_key=settings.s3.secret_key,
        config=client_config(),
    ) as client:
        yield client


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    """Redis, to look at the job queue; the test's queue is removed afterwards."""
    client = Redis.from_url(settings.redis.url)
    yield client
    # Only this test's queue and its jobs: other tests' and `make run`'s data stay untouched.
    job_ids = await client.zrange(settings.redis.queue_name, 0, -1)
    await client.delete(
        settings.redis.queue_name, keys.wake_key(settings.redis.queue_name),
        *(b"arq:job:" + job_id for job_id in job_ids),
    )  # fmt: skip
    await client.aclose()


@pytest.fixture
def run_jobs(settings: Settings) -> Callable[..., Any]:
    """Run every queued job to completion with a burst-mode arq worker (as arq's own tests do)."""
    from workers.main import build_worker

    async def run(settings: Settings = settings, **overrides: Any) -> Any:
        options: dict[str, Any] = {
            "burst": True, "poll_delay": 0, "cron_jobs": [], "handle_signals": False, **overrides,
        }  # fmt: skip
        worker = build_worker(settings, **options)
        try:
            await worker.main()
        finally:
            await worker.close()
        return worker

    return run


@pytest.fixture
def process_logs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this test's service processes write their logs (apart from tmp_path, which tests upload)."""
    return tmp_path_factory.mktemp("logs-" + re.sub(r"\W+", "-", request.node.name)[:40])


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium (Playwright's own browser download is not available here)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `make chromium` (a step of `make test`) installs it")
    return CHROMIUM


@pytest.fixture
async def page(chromium: str) -> AsyncIterator[Page]:
    """A fresh page in a fresh headless Chromium; the test fails if any page of its browser broke
    the Content-Security-Policy (Chromium reports each refused script, style or request)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        violations: list[str] = []

        def watch(page: Page) -> None:
            page.on(
                "console",
                lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
            )

        context = await browser.new_context(viewport={"width": 1200, "height": 1400})
        context.on("page", watch)
        yield await context.new_page()
        await browser.close()
        assert not violations, f"the Content-Security-Policy refused: {violations}"
