"""A shared collection's page in Chromium (#31; the web app's since #32): the collection's name and
description, a grid of thumbnails that opens each asset in the viewer as an asset's link shows it
(and back, with its Close button or the browser's), "Load more", the link's rules (no download, no
facts), its password, a phone's width."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Page, Route, ViewportSize

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.flows import ingest, json_of, wait_for_status
from tests.support.stack import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]

THUMBNAILS_LOADED = """(count) => {
  const images = [...document.querySelectorAll('.tile img')];
  return images.length === count && images.every((img) => img.complete && img.naturalWidth > 0);
}"""
PREVIEW_LOADED = "() => document.querySelector('.viewer .stage img')?.naturalWidth > 0"
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """API and worker as real processes (the worker makes the thumbnails and previews)."""
    async with running(settings, process_logs) as origin:
        yield origin


def picture(color: tuple[int, int, int], fmt: str) -> bytes:
    """A 480x320 picture with a diagonal band, so its renditions are real downscales."""
    image = Image.new("RGB", (480, 320), color)
    ImageDraw.Draw(image).polygon([(0, 320), (160, 0), (320, 0), (160, 320)], fill=(250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


async def shared_collection(stack: str, key: str, tag: str, **options: Any) -> tuple[list[str], str]:
    """Three processed images in a new collection, and the URL of a link to it made with ``options``."""
    files = [
        (f"{tag}-harbour.jpg", media.jpeg_with_exif(), "image/jpeg"),  # camera fields: TestCam
        # A long name, which must neither widen a phone's screen in the grid nor in the asset's view.
        (
            f"{tag}-tram-28-from-martim-moniz-up-to-graca-and-down-through-alfama.png",
            picture((200, 120, 20), "PNG"),
            "image/png",
        ),
        (f"{tag}-tiles.jpg", picture((20, 140, 90), "JPEG"), "image/jpeg"),
    ]
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        ids = [await ingest(api, api, data, name, kind) for name, data, kind in files]  # type: ignore[arg-type]
        for asset_id in ids:
            await wait_for_status(api, asset_id, "ready", within=120)  # type: ignore[arg-type]
        about = {"name": f"Lisbon {tag}", "description": "The trip"}
        box = json_of(await api.post("/collections", json=about))
        added = await api.post(f"/collections/{box['id']}/assets", json={"asset_ids": ids})
        assert added.status_code == 200, added.text
        made = await api.post(f"/collections/{box['id']}/shares", json={"expires_in": 3600, **options})
        assert made.status_code == 201, made.text
    return [name for name, _, _ in files], str(made.json()["url"])


def watch(page: Page, errors: list[str]) -> None:
    """Collect the page's script errors and Content-Security-Policy refusals."""
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)


async def two_per_page(route: Route) -> None:
    """The page's first read of the link, two assets a page (so "Load more" has a page to load)."""
    await route.continue_(url=route.request.url + "?limit=2")


async def test_a_shared_collection_opens_each_asset_from_its_grid(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = await identities.key(workspace, "editor")
    names, url = await shared_collection(stack, key, tag, download=False, show_metadata=False)
    errors: list[str] = []
    watch(page, errors)
    await page.route(re.compile(r"/shares/dam_sh_[^/?]+$"), two_per_page)
    await page.goto(url)
    await page.get_by_role("heading", name=f"Lisbon {tag}").wait_for(timeout=30_000)
    assert await page.locator(".share .description").inner_text() == "The trip"
    await page.wait_for_function(THUMBNAILS_LOADED, arg=2, timeout=30_000)
    await page.get_by_role("button", name="Load more").click()
    await page.wait_for_function(THUMBNAILS_LOADED, arg=3, timeout=30_000)
    alts = await page.locator(".tile img").evaluate_all("imgs => imgs.map((i) => i.alt)")
    assert alts == names  # the collection's order
    assert await page.get_by_role("button", name="Load more").count() == 0
    await page.screenshot(path=str(artifacts_dir / "collection-share-grid.png"), full_page=True)

    await page.get_by_role("link", name=names[0]).click()  # opens like an asset's link
    dialog = page.get_by_role("dialog", name=names[0])
    await dialog.wait_for(timeout=30_000)
    await page.wait_for_function(PREVIEW_LOADED, timeout=30_000)
    assert "view=" in page.url
    assert await page.get_by_role("link", name="Download the original").count() == 0  # no download
    assert await page.locator("a[download]").count() == 0
    assert "TestCam" not in await page.content()  # nor facts
    await page.screenshot(path=str(artifacts_dir / "collection-share-asset.png"), full_page=True)
    await dialog.get_by_role("button", name="Close").click()
    await dialog.wait_for(state="detached", timeout=30_000)
    assert "view=" not in page.url
    focused = await page.evaluate("document.activeElement.querySelector('img')?.alt")
    assert focused == names[0]  # keyboard focus returns to the asset it left

    await page.get_by_role("link", name=names[2]).click()
    await page.get_by_role("dialog", name=names[2]).wait_for(timeout=30_000)
    await page.wait_for_function(PREVIEW_LOADED, timeout=30_000)
    await page.go_back()  # the browser's back button returns to the grid
    await page.get_by_role("dialog").wait_for(state="detached", timeout=30_000)
    await page.go_forward()
    await page.get_by_role("dialog", name=names[2]).wait_for(timeout=30_000)
    await page.reload()  # the address names the asset: a reload (or a shared address) opens it again
    await page.get_by_role("dialog", name=names[2]).wait_for(timeout=30_000)
    await page.wait_for_function(PREVIEW_LOADED, timeout=30_000)
    await page.get_by_role("button", name="Close").click()
    await page.get_by_role("dialog").wait_for(state="detached", timeout=30_000)
    assert errors == []


async def test_a_password_protected_collection_opens_on_a_phone(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    key = await identities.key(workspace, "editor")
    names, url = await shared_collection(stack, key, tag, download=True, password="tram 28 to graca")
    browser = page.context.browser
    assert browser is not None
    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    errors: list[str] = []
    try:
        shared = await phone.new_page()
        watch(shared, errors)
        await shared.goto(url)
        await shared.get_by_role("heading", name="This link asks for a password").wait_for(timeout=30_000)
        assert await shared.locator(".tile").count() == 0
        await shared.get_by_label("Password").fill("not the password")
        await shared.get_by_role("button", name="Open").click()
        await shared.get_by_role("alert").filter(has_text=re.compile(".+")).wait_for(timeout=30_000)
        await shared.get_by_label("Password").fill("tram 28 to graca")
        await shared.get_by_role("button", name="Open").click()
        await shared.wait_for_function(THUMBNAILS_LOADED, arg=3, timeout=30_000)
        assert await shared.get_by_label("Password").count() == 0
        assert await shared.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await shared.screenshot(path=str(artifacts_dir / "collection-share-phone.png"), full_page=True)
        await shared.get_by_role("link", name=names[1]).click()
        dialog = shared.get_by_role("dialog", name=names[1])
        await dialog.wait_for(timeout=30_000)
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        assert await dialog.get_by_role("link", name="Download the original").is_visible()  # allowed
        assert "Dimensions" in await dialog.inner_text()  # and shows facts
        assert await shared.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await shared.screenshot(path=str(artifacts_dir / "collection-share-phone-asset.png"), full_page=True)
        await shared.go_back()
        await shared.get_by_role("dialog").wait_for(state="detached", timeout=30_000)
    finally:
        await phone.close()
    assert errors == []
