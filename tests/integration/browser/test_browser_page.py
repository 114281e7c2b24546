"""The upload page in a real browser (Debian's Chromium driven by Playwright) against the real stack."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.browser import sign_in
from tests.support.flows import first_part_stored, ingest, wait_for_status
from tests.support.net import slow_proxy
from tests.support.stack import running

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PREVIEW_LOADED = "() => document.querySelector('.stage img')?.naturalWidth > 0"

# This test's ready cards (their names carry its tag: the session's database, and so the grid, holds
# every earlier test's assets too).
GRID_SETTLED = """(tag) => {
  const cards = [...document.querySelectorAll('#grid li[data-status="ready"]')]
    .filter((li) => li.textContent.includes(tag));
  return cards.length >= 3 && cards.every((li) => li.querySelector("img.thumb")?.complete ?? true);
}"""


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """The stack the page talks to, served from the API's own origin."""
    async with running(settings, process_logs) as origin:
        yield origin


async def test_upload_page_end_to_end(
    stack: str, page: Page, tmp_path: Path, artifacts_dir: Path, identities: Identities, workspace: Workspace
) -> None:
    tag = uuid.uuid4().hex[:8]
    files = {
        f"{tag}-photo.jpg": media.jpeg_with_exif(),
        f"{tag}-clip.mp4": media.mp4(seconds=1.0),
        f"{tag}-large.mp4": media.noisy_mp4(frames=40),  # above the multipart threshold: 2 parts in flight
        f"{tag}-notes.txt": b"not a picture",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    email, password = await identities.user(workspace, "contributor")
    await page.goto(stack)
    await page.locator("#signin").wait_for(state="visible", timeout=30_000)  # signed out: the form
    assert await page.locator("#app").is_hidden()
    assert await page.locator("#logout").is_hidden()  # nobody to sign out
    await sign_in(page, stack, email, password)
    assert email in await page.locator("#who").inner_text()
    assert await page.locator("#logout").is_visible()
    await page.set_input_files("#files", [str(tmp_path / name) for name in files])

    rejected = page.locator("#uploads li", has_text=f"{tag}-notes.txt").locator(".state")
    await rejected.filter(has_text="not accepted").wait_for(timeout=20_000)
    for name in ("photo.jpg", "clip.mp4", "large.mp4"):
        row = page.locator("#uploads li", has_text=f"{tag}-{name}").locator(".state")
        await row.filter(has_text="uploaded").wait_for(timeout=60_000)

    ready = page.locator('#grid li[data-status="ready"]', has_text=tag)
    # The grid re-renders every 2 s while something is pending, and thumbnails load after their cards:
    # wait until three ready cards show with no thumbnail still loading (a broken one counts as loaded).
    await page.wait_for_function(GRID_SETTLED, arg=tag, timeout=90_000)
    assert await ready.count() == 3
    widths: list[Any] = await ready.locator("img.thumb").evaluate_all(
        "imgs => imgs.map(i => i.complete && i.naturalWidth)"
    )
    assert len(widths) == 3
    assert all(w and w > 0 for w in widths), widths
    assert await page.locator("#overall-text").inner_text() != ""
    await page.screenshot(path=str(artifacts_dir / "upload-page.png"), full_page=True)

    await page.locator("#grid li", has_text=f"{tag}-clip.mp4").locator("button").click()
    video = page.locator("#detail video")
    await video.wait_for(timeout=30_000)
    assert "X-Amz-Signature" in (await video.get_attribute("src") or "")
    # The facts people look for are labelled fields; the whole JSON waits behind its toggle.
    facts = await page.locator("#detail-facts").inner_text()
    assert all(label in facts for label in ("Format", "Dimensions", "Duration", "Video")), facts
    assert await page.locator("#detail-json").is_hidden()
    await page.locator("#detail-all summary").click()
    assert '"streams"' in await page.locator("#detail-json").inner_text()
    await page.screenshot(path=str(artifacts_dir / "asset-page.png"))
    await page.keyboard.press("Escape")  # the asset dialog closes
    await page.locator("#logout").click()
    await page.locator("#signin").wait_for(state="visible", timeout=30_000)
    assert await page.locator("#logout").is_hidden()
    assert errors == []


async def test_interrupted_multipart_upload_resumes_after_a_reload(
    settings: Settings,
    page: Page,
    tmp_path: Path,
    process_logs: Path,
    identities: Identities,
    workspace: Workspace,
    api_key: str,
) -> None:
    data = media.noisy_mp4(frames=40)
    path = tmp_path / "reload-resume.mp4"
    path.write_bytes(data)
    s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
    async with (
        slow_proxy(s3_port, delay=0, upload_delay=0.004) as proxy,
        running(settings, process_logs, DAM_S3_PUBLIC_URL=f"http://127.0.0.1:{proxy}") as origin,
    ):
        await sign_in(page, origin, *await identities.user(workspace, "contributor"))
        await page.set_input_files("#files", str(path))
        asset_id = await first_part_stored(origin, "reload-resume.mp4", api_key)
        async with httpx.AsyncClient(headers=bearer(api_key)) as client:
            await page.reload()  # the page dies mid-upload
            await page.locator("#resume", has_text="reload-resume.mp4").wait_for(timeout=30_000)
            await page.set_input_files("#files", str(path))
            state = page.locator("#uploads li", has_text="reload-resume.mp4").locator(".state")
            await state.filter(has_text="uploaded").wait_for(timeout=60_000)
            asset = (await client.get(f"{origin}/assets/{asset_id}")).json()
            async with httpx.AsyncClient(timeout=60) as storage:  # presigned: no key to the store
                stored = (await storage.get(asset["download_url"])).content
            digest = hashlib.sha256(data).hexdigest()
            same = (await client.get(f"{origin}/assets?content_type=video/mp4&limit=200")).json()
    assert asset["status"] in {"uploaded", "processing", "ready"}
    assert hashlib.sha256(stored).hexdigest() == digest
    assert [a["id"] for a in same["items"] if a["filename"] == "reload-resume.mp4"] == [asset_id]
    assert await page.locator("#resume").inner_text() == ""


async def test_the_job_dashboard_signs_in_and_reruns_in_a_browser(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    # A browser with no session is sent to sign in; a contributor is told the dashboard is not theirs.
    await page.goto(f"{stack}/jobs")
    await page.locator("#notice", has_text="sign in at /").wait_for(timeout=30_000)
    await sign_in(page, stack, *await identities.user(workspace, "contributor"))
    await page.goto(f"{stack}/jobs")
    await page.locator("#notice", has_text="workspace admins").wait_for(timeout=30_000)
    # A workspace admin sees the workspace's failed asset and re-runs it: a cookie write with CSRF.
    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        bad = await ingest(api, api, b"not an image", "bad.png", "image/png")  # type: ignore[arg-type]
        await wait_for_status(api, bad, "failed", within=60)  # type: ignore[arg-type]
    browser = page.context.browser
    assert browser is not None
    admin_page = await browser.new_page()  # a context of its own: the contributor's cookie stays there
    try:
        await sign_in(admin_page, stack, *await identities.user(workspace, "admin"))
        await admin_page.goto(f"{stack}/jobs")
        row = admin_page.locator("#failed tr", has_text=bad)
        await row.wait_for(timeout=30_000)
        assert await admin_page.locator("#notice").is_hidden()
        async with admin_page.expect_response(lambda r: r.url.endswith(f"/assets/{bad}/reprocess")) as rerun:
            await row.locator("button").click()
        assert (await rerun.value).status == 202
        await admin_page.screenshot(path=str(artifacts_dir / "jobs-page.png"), full_page=True)
    finally:
        await admin_page.close()


async def test_a_link_made_in_the_page_opens_anonymously_until_it_expires(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    key = await identities.key(workspace, "admin")
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        photo = await ingest(api, api, media.jpeg_with_exif(), f"{tag}-shared.jpg", "image/jpeg")  # type: ignore[arg-type]
        await wait_for_status(api, photo, "ready", within=90)  # type: ignore[arg-type]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await sign_in(page, stack, *await identities.user(workspace, "editor"))
    await page.locator("#grid li", has_text=f"{tag}-shared.jpg").locator("button").click()
    await page.locator("#share-box summary").click()
    await page.select_option("#share-expires", "3600")
    await page.uncheck("#share-metadata")
    await page.fill("#share-password", "blue heron at dawn")
    await page.locator("#share-form button").click()
    await page.locator("#share-made").wait_for(state="visible", timeout=30_000)
    url = await page.locator("#share-url").input_value()
    assert url.startswith(f"{stack}/s/dam_sh_")
    browser = page.context.browser
    assert browser is not None
    visitor = await browser.new_context()  # a fresh browser: no session, no cookie
    try:
        shared = await visitor.new_page()
        shared.on("pageerror", lambda exc: errors.append(str(exc)))
        await shared.goto(url)  # the web app's share page (tests/integration/browser/test_web_app_share.py)
        await shared.get_by_label("Password").fill("wrong password")
        await shared.get_by_role("button", name="Open").click()
        await shared.get_by_role("alert").filter(has_text="Wrong password").wait_for(timeout=30_000)
        await shared.get_by_label("Password").fill("blue heron at dawn")
        await shared.get_by_role("button", name="Open").click()
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
        assert await shared.locator(".viewer-title").inner_text() == f"{tag}-shared.jpg"
        assert await shared.get_by_role("link", name="Download the original").is_visible()
        assert "TestCam" not in await shared.content()  # metadata hidden
        await shared.screenshot(path=str(artifacts_dir / "share-page.png"), full_page=True)
        await shared.reload()  # the password is asked once per visitor
        await shared.wait_for_function(PREVIEW_LOADED, timeout=30_000)
    finally:
        await visitor.close()
    # A 1 s link made the same way answers the "gone" page once it has expired.
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        short = (await api.post(f"/assets/{photo}/shares", json={"expires_in": 1, "download": False})).json()
    late = await browser.new_context()
    try:
        gone = await late.new_page()
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            answer = await gone.goto(short["url"])
            assert answer is not None
            if answer.status == 404:
                break
            assert asyncio.get_running_loop().time() < deadline, "a 1 s link still opened 30 s later"
            await asyncio.sleep(0.2)
        assert "This link has expired or was revoked" in await gone.content()
    finally:
        await late.close()
    assert errors == []
