"""Uppy 6 (``@uppy/core`` + ``@uppy/dashboard`` + ``@uppy/aws-s3`` + ``@uppy/golden-retriever``, from
npm, locked, bundled offline by ``make uppy``) on a page of another origin, with nothing but
``companionEndpoint`` pointing at the API: no proxy, no glue. Driven in Chromium against a served API
and worker on the real services.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, Request, Route

from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import bearer
from tests.support.browser import static_site
from tests.support.config import ROOT
from tests.support.flows import wait_for_status
from tests.support.processes import dam, env_of
from tests.support.store import allow_origin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BUNDLE = ROOT / "tests" / "uppy" / "dist"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another site</title>
<link rel="stylesheet" href="uppy.css"></head>
<body><div id="uppy"></div><script src="uppy.js"></script><script src="embed.js"></script></body></html>
"""
# The embedding, all of it (docs/guides/uppy.md shows the same lines): the site's backend mints an upload
# token per page view and hands the page its Companion endpoint. The test lowers Uppy's own multipart
# threshold (100 MB) with its documented option, to keep the files small.
EMBED = """const { Uppy, Dashboard, AwsS3, GoldenRetriever } = window.UppyBundle;
fetch("/upload-token").then((r) => r.json()).then(({ companion_endpoint }) => {
  window.uppy = new Uppy()
    .use(Dashboard, { inline: true, target: "#uppy" })
    .use(AwsS3, {
      companionEndpoint: companion_endpoint,
      shouldUseMultipart: (file) => file.size > 5 * 1024 * 1024,
    })
    .use(GoldenRetriever);
});
"""
FINISHED = """() => { window.finished = new Promise((resolve) => window.uppy.once("complete", (r) => resolve({
  ok: r.successful.map((f) => f.name), failed: r.failed.map((f) => `${f.name}: ${f.error}`),
}))); }"""
READY = "() => typeof window.uppy.getFiles === 'function'"
UPLOAD = """() => window.uppy.upload().then((r) => ({
  ok: r.successful.map((f) => f.name), failed: r.failed.map((f) => `${f.name}: ${f.error}`),
}))"""


@contextlib.asynccontextmanager
async def embedded(
    settings: Settings, site_dir: Path, log_dir: Path, key: str
) -> AsyncIterator[tuple[str, str]]:
    """A page on one origin (with a backend that holds an API key and mints upload tokens), the API
    and a worker on another; yields (page URL, API base)."""
    (port,) = free_ports(1)
    api_base = f"http://127.0.0.1:{port}"
    _write_site(site_dir)

    def upload_token() -> bytes:
        # What the embedding site's server does per page view: its key never reaches the browser.
        answer = httpx.post(
            f"{api_base}/upload-tokens", json={"expires_in": 900, "content_types": ["image/*", "video/*"]},
            headers=bearer(key), timeout=30,
        )  # fmt: skip
        assert answer.status_code == 201, answer.text
        return answer.content

    with static_site(site_dir, {"/upload-token": upload_token}) as origin:
        env = env_of(settings, DAM_PORT=str(port), DAM_CORS_ORIGINS=origin)
        allow_origin(settings, origin)
        async with dam("api", env=env, log_dir=log_dir) as api, dam("worker", env=env, log_dir=log_dir):
            await api.healthy(f"{api_base}/ready")
            yield f"{origin}/index.html", api_base


def _write_site(site_dir: Path) -> None:
    if not (BUNDLE / "uppy.js").exists():
        pytest.fail(f"{BUNDLE}/uppy.js is missing: `make uppy` (a step of `make test`) builds it")
    site_dir.mkdir()
    for name in ("uppy.js", "uppy.css"):
        shutil.copy(BUNDLE / name, site_dir / name)
    (site_dir / "index.html").write_text(PAGE)
    (site_dir / "embed.js").write_text(EMBED)


def _unique(name: str) -> str:
    """A file name no other test uses (the session's database is shared by every test)."""
    return f"{uuid.uuid4().hex[:8]}-{name}"


async def _open(page: Page, url: str) -> None:
    await page.goto(url)
    # `window.uppy` is the <div id="uppy"> until the embedding has made its Uppy
    await page.wait_for_function(READY)


async def _ready_by_name(api: httpx.AsyncClient, name: str, within: float = 90) -> dict[str, Any]:
    """The one asset named ``name``, once ready."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        items = (await api.get("/assets", params={"limit": 50})).json()["items"]
        named = [a for a in items if a["filename"] == name]
        if named:
            assert len(named) == 1, [a["id"] for a in named]  # a resumed upload is the same asset
            return await wait_for_status(api, named[0]["id"], "ready", within=within)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)
    pytest.fail(f"no asset named {name} within {within}s")


async def _same_bytes(api: httpx.AsyncClient, asset: dict[str, Any], original: bytes) -> None:
    async with httpx.AsyncClient(timeout=30) as storage:  # presigned: no API key to the store
        stored = await storage.get(asset["download_url"])
    assert hashlib.sha256(stored.content).hexdigest() == hashlib.sha256(original).hexdigest()


class PartPuts:
    """Counts the part PUTs that reached storage, and can slow them down."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.finished = 0

    async def route(self, route: Route) -> None:
        if route.request.method == "PUT" and self.delay:
            await asyncio.sleep(self.delay)
        await route.continue_()

    def on_finished(self, request: Request) -> None:
        if request.method == "PUT" and "partNumber=" in request.url:
            self.finished += 1

    async def wait_for(self, count: int, within: float = 60) -> None:
        deadline = time.monotonic() + within
        while self.finished < count:
            if time.monotonic() > deadline:
                pytest.fail(f"{self.finished} part PUTs within {within}s, not {count}")
            await asyncio.sleep(0.05)


async def _start_slowly(page: Page, url: str, puts: PartPuts, path: Path) -> None:
    """Open the page with part PUTs slowed and counted, add ``path``, start, and wait for one part."""
    await page.route("**/*", puts.route)
    page.on("requestfinished", puts.on_finished)
    await _open(page, url)
    await page.locator(".uppy-Dashboard-input").first.set_input_files(path)
    await page.evaluate("() => { window.uploading = window.uppy.upload(); }")
    await puts.wait_for(1)


async def test_uppy_uploads_a_form_file_and_a_multipart_file(
    settings: Settings, page: Page, tmp_path: Path, process_logs: Path, artifacts_dir: Path, api_key: str
) -> None:
    photo, clip = media.jpeg_with_exif(), media.noisy_mp4(frames=40)
    assert len(clip) > 5 * 1024 * 1024  # two parts of Uppy's own size
    photo_name, clip_name = _unique("photo.jpg"), _unique("clip.mp4")
    (tmp_path / photo_name).write_bytes(photo)
    (tmp_path / clip_name).write_bytes(clip)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    async with embedded(settings, tmp_path / "site", process_logs, api_key) as (url, base):
        await _open(page, url)
        await page.locator(".uppy-Dashboard-input").first.set_input_files(
            [tmp_path / photo_name, tmp_path / clip_name]
        )
        result = await page.evaluate(UPLOAD)
        await page.screenshot(path=str(artifacts_dir / "uppy.png"), full_page=True)
        assert result["failed"] == [], result
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=bearer(api_key)) as api:
            await _same_bytes(api, await _ready_by_name(api, photo_name), photo)
            ready = await _ready_by_name(api, clip_name)
            await _same_bytes(api, ready, clip)
    assert errors == []


async def test_uppy_pauses_and_resumes_a_multipart_upload(
    settings: Settings, page: Page, tmp_path: Path, process_logs: Path, api_key: str
) -> None:
    clip, name = media.noisy_mp4(frames=40), _unique("paused.mp4")
    (tmp_path / name).write_bytes(clip)
    puts = PartPuts(delay=0.5)
    async with embedded(settings, tmp_path / "site", process_logs, api_key) as (url, base):
        await _start_slowly(page, url, puts, tmp_path / name)
        file_id = await page.evaluate("() => window.uppy.getFiles()[0].id")
        assert await page.evaluate("(id) => window.uppy.pauseResume(id)", file_id) is True  # paused
        assert await page.evaluate("(id) => window.uppy.getFile(id).isPaused", file_id) is True
        assert await page.evaluate("(id) => window.uppy.pauseResume(id)", file_id) is False  # resumed
        result = await page.evaluate(
            "() => window.uploading.then((r) => ({ok: r.successful.length, failed: r.failed.length}))"
        )
        assert result == {"ok": 1, "failed": 0}, result
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=bearer(api_key)) as api:
            await _same_bytes(api, await _ready_by_name(api, name), clip)


async def test_a_reload_mid_upload_resumes_with_golden_retriever(
    settings: Settings, page: Page, tmp_path: Path, process_logs: Path, api_key: str
) -> None:
    # Two parts, and small enough for Golden Retriever to keep the bytes in IndexedDB (10 MiB).
    clip, name = media.noisy_mp4(frames=18), _unique("reloaded.mp4")
    assert 5 * 1024 * 1024 < len(clip) < 10 * 1024 * 1024
    (tmp_path / name).write_bytes(clip)
    parts = -(-len(clip) // (5 * 1024 * 1024))
    puts = PartPuts(delay=1.0)
    async with embedded(settings, tmp_path / "site", process_logs, api_key) as (url, base):
        await _start_slowly(page, url, puts, tmp_path / name)
        before = puts.finished
        await page.reload()
        await page.wait_for_function(
            "() => typeof window.uppy.getFiles === 'function' && window.uppy.getFiles().length === 1",
            timeout=30_000,
        )
        restored = await page.evaluate("() => window.uppy.getFiles()[0]")
        assert restored["isRestored"] is True, restored
        assert restored["isGhost"] is False, restored  # the bytes came back from IndexedDB
        assert restored["s3Multipart"]["uploadId"], restored
        # As a user would: the Dashboard offers to resume; its upload button confirms the restore.
        await page.evaluate(FINISHED)
        await page.locator(".uppy-StatusBar-actionBtn--upload").click()
        result = await page.evaluate("() => window.finished")
        assert result["failed"] == [], result
        async with httpx.AsyncClient(base_url=base, timeout=30, headers=bearer(api_key)) as api:
            await _same_bytes(api, await _ready_by_name(api, name), clip)
    assert before >= 1
    assert puts.finished - before < parts, (
        before,
        puts.finished,
        parts,
    )  # the stored part was not sent again
