"""The web app's share page (#32) in Chromium against the real stack, for visitors with no account:
``/s/{token}`` opens ``/app/s/{token}``; a video plays adaptively (Shaka, the link's stream URLs)
with its facts and download; an image asks for its password first; a collection opens in a fresh
browser with arrows between its assets; an expired or revoked link says so."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.flows import ingest, json_of, wait_for_status
from tests.support.stack import running
from tests.support.webapp import watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PREVIEW_LOADED = "() => document.querySelector('.stage img')?.naturalWidth > 0"
GRID_LOADED = """(count) => { const images = [...document.querySelectorAll('.tile img')];
  return images.length === count && images.every((img) => img.complete && img.naturalWidth > 0); }"""


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """API, worker and transcode worker (the video's ladder) as real processes."""
    async with running(settings, process_logs, transcode=True, DAM_LADDER_CHUNK_SECONDS="4") as origin:
        yield origin


async def processed(origin: str, key: str, files: list[tuple[bytes, str, str]]) -> list[str]:
    """Each file uploaded and ready; their ids."""
    async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=30) as api:
        ids = [await ingest(api, api, data, name, kind) for data, name, kind in files]  # type: ignore[arg-type]
        for asset_id in ids:
            await wait_for_status(api, asset_id, "ready", within=120)  # type: ignore[arg-type]
    return ids


async def share(origin: str, key: str, path: str, **options: Any) -> str:
    """A new link (of ``path``: an asset's or a collection's) made with ``options``; its URL."""
    async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=30) as api:
        made = await api.post(f"{path}/shares", json={"expires_in": 3600, **options})
        assert made.status_code == 201, made.text
        return str(made.json()["url"])


async def visitor(page: Page) -> Page:
    """A page of a fresh browser context: no session, no cookie."""
    browser: Browser | None = page.context.browser
    assert browser is not None
    return await (await browser.new_context()).new_page()


async def test_a_shared_video_plays_adaptively_with_its_facts_and_download(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = await identities.key(workspace, "editor")
    clip = media.mp4(seconds=7.0, width=1280, height=720, fps=25)
    [asset_id] = await processed(stack, key, [(clip, f"{tag}-clip.mp4", "video/mp4")])
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        deadline = time.monotonic() + 180
        while (stream := json_of(await api.get(f"/assets/{asset_id}"))["stream"])["status"] != "ready":
            assert stream["status"] != "failed", stream
            assert time.monotonic() < deadline, stream
            await asyncio.sleep(0.25)
    url = await share(stack, key, f"/assets/{asset_id}", download=True)
    shared = await visitor(page)
    problems: list[str] = []
    watch(shared, problems)
    manifests: list[str] = []
    shared.on("request", lambda r: manifests.append(r.url) if r.url.endswith(".m3u8") else None)
    try:
        await shared.goto(url)
        await shared.wait_for_url(f"{stack}/app/s/**", timeout=30_000)
        assert await shared.get_by_role("button", name="Sign in").count() == 0  # no session asked for
        video = shared.locator(".stage video")
        await video.wait_for(timeout=30_000)
        assert await shared.locator(".viewer-title").inner_text() == f"{tag}-clip.mp4"
        await shared.wait_for_function(
            "() => document.querySelector('.stage video').readyState >= 2", timeout=60_000
        )
        await video.evaluate("(v) => { v.muted = true; return v.play(); }")
        await shared.wait_for_function(
            "() => document.querySelector('.stage video').currentTime > 1", timeout=60_000
        )
        # Shaka plays it through Media Source Extensions from the link's own stream token.
        assert (await video.evaluate("(v) => v.currentSrc")).startswith("blob:")
        assert any("/stream/" in m for m in manifests), manifests
        info = shared.get_by_role("complementary", name="About this file")
        assert "Dimensions" in await info.inner_text()  # the link shows metadata
        assert "1280" in await info.inner_text()
        download = shared.get_by_role("link", name="Download the original")
        assert await download.get_attribute("href")
        await shared.screenshot(path=str(artifacts_dir / "web-app-share-video.png"))
    finally:
        await shared.context.close()
    assert problems == [], "\n".join(problems)


async def test_an_image_link_asks_for_its_password_once(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = await identities.key(workspace, "editor")
    [asset_id] = await processed(stack, key, [(media.jpeg_with_exif(), f"{tag}-heron.jpg", "image/jpeg")])
    url = await share(
        stack, key, f"/assets/{asset_id}", download=False, show_metadata=False, password="blue heron at dawn"
    )
    shared = await visitor(page)
    problems: list[str] = []
    watch(shared, problems)
    try:
        await shared.goto(url)
        await shared.get_by_role("heading", name="This link asks for a password").wait_for(timeout=30_000)
        await shared.get_by_label("Password").fill("not the password")
        await shared.get_by_role("button", name="Open").click()
        await shared.get_by_role("alert").filter(has_text="Wrong password.").wait_for(timeout=30_000)
        await shared.get_by_label("Password").fill("blue heron at dawn")
        await shared.get_by_role("button", name="Open").click()
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        # The same viewer: click zooms in (the preview: this link hides the original's metadata).
        zoom = shared.get_by_role("button", name="Zoom in")
        await zoom.click()
        await shared.get_by_role("button", name="Zoom out").wait_for()
        await shared.keyboard.press("Escape")
        await shared.get_by_role("button", name="Zoom in").wait_for()
        assert await shared.get_by_role("link", name="Download the original").count() == 0
        assert "TestCam" not in await shared.content()  # no facts
        await shared.screenshot(path=str(artifacts_dir / "web-app-share-image.png"))
        await shared.reload()  # the password is asked once per visitor
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        assert await shared.get_by_label("Password").count() == 0
    finally:
        await shared.context.close()
    # The wrong password's 401 (and its console line) is the one expected failure.
    assert [p for p in problems if "401" not in p] == [], "\n".join(problems)
    assert len([p for p in problems if "/unlock" in p]) == 1, problems


async def test_a_shared_collection_opens_in_a_fresh_browser_with_arrows_between_its_assets(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = await identities.key(workspace, "editor")
    names = [f"{tag}-{n}.jpg" for n in ("harbour", "tram", "tiles")]
    ids = await processed(stack, key, [(media.jpeg_with_exif(), name, "image/jpeg") for name in names])
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        box = json_of(
            await api.post("/collections", json={"name": f"Lisbon {tag}", "description": "The trip"})
        )
        added = await api.post(f"/collections/{box['id']}/assets", json={"asset_ids": ids})
        assert added.status_code == 200, added.text
    url = await share(stack, key, f"/collections/{box['id']}", download=True)
    shared = await visitor(page)
    problems: list[str] = []
    watch(shared, problems)
    try:
        await shared.goto(url)
        await shared.get_by_role("heading", name=f"Lisbon {tag}").wait_for(timeout=30_000)
        await shared.get_by_text("The trip").wait_for()
        await shared.wait_for_function(GRID_LOADED, arg=3, timeout=30_000)
        alts = await shared.locator(".tile img").evaluate_all("imgs => imgs.map((i) => i.alt)")
        assert alts == names  # the collection's order
        await shared.screenshot(path=str(artifacts_dir / "web-app-share-collection.png"), full_page=True)

        await shared.get_by_role("link", name=names[0]).click()
        dialog = shared.get_by_role("dialog", name=names[0])
        await dialog.wait_for(timeout=30_000)
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        assert f"view={ids[0]}" in shared.url
        assert "1 of 3" in await dialog.inner_text()
        await shared.keyboard.press("ArrowRight")
        await shared.get_by_role("dialog", name=names[1]).wait_for(timeout=30_000)
        await shared.keyboard.press("ArrowRight")
        dialog = shared.get_by_role("dialog", name=names[2])
        await dialog.wait_for(timeout=30_000)
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        assert "Dimensions" in await dialog.inner_text()  # this link shows facts
        await shared.keyboard.press("ArrowLeft")
        await shared.get_by_role("dialog", name=names[1]).wait_for(timeout=30_000)
        await shared.screenshot(path=str(artifacts_dir / "web-app-share-collection-viewer.png"))
        await shared.reload()  # the address names the asset: a reload opens it again
        await shared.get_by_role("dialog", name=names[1]).wait_for(timeout=30_000)
        await shared.keyboard.press("Escape")
        await shared.get_by_role("dialog").wait_for(state="detached", timeout=30_000)
        assert "view=" not in shared.url
        assert await shared.evaluate("document.activeElement.querySelector('img')?.alt") == names[1]
    finally:
        await shared.context.close()
    assert problems == [], "\n".join(problems)


async def test_an_expired_or_revoked_link_says_so(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    key = await identities.key(workspace, "editor")
    [asset_id] = await processed(stack, key, [(media.jpeg_with_exif(), "gone.jpg", "image/jpeg")])
    url = await share(stack, key, f"/assets/{asset_id}", download=True)
    token = url.rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        [listed] = json_of(await api.get(f"/assets/{asset_id}/shares"))
        assert (await api.delete(f"/shares/{listed['id']}")).status_code == 204
    shared = await visitor(page)
    try:
        answer = await shared.goto(url)  # the link's own address: the 404 page
        assert answer is not None
        assert answer.status == 404
        await shared.get_by_role("heading", name="This link has expired or was revoked").wait_for()
        # The app's page of it (a bookmark of /app/s/..., or a link revoked while open) says the same.
        await shared.goto(f"{stack}/app/s/{token}")
        await shared.get_by_role("heading", name="This link has expired or was revoked").wait_for(
            timeout=30_000
        )
        assert await shared.get_by_role("button", name="Sign in").count() == 0
        await shared.screenshot(path=str(artifacts_dir / "web-app-share-gone.png"))
    finally:
        await shared.context.close()
