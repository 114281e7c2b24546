"""The stream in a real browser: a video uploaded through the page plays in the asset dialog with
Shaka Player (HLS, then DASH) and with hls.js, through the delivery path's 302s into storage, to the
end and after a seek, with a quality menu and storyboard thumbnails, and no console errors."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import ConsoleMessage, Page, Route

from dam.domain.accounts import Workspace
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.browser import sign_in
from tests.support.flows import wait_for_status
from tests.support.processes import dam, env_of
from tests.support.store import allow_origin

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PLAYING = "() => { const p = window.damPlayer; return !!p && p.video.readyState >= 2; }"
ENDED = "() => window.damPlayer && window.damPlayer.video.ended"


@contextlib.asynccontextmanager
async def running(settings: Settings, log_dir: Path) -> AsyncIterator[str]:
    """API, media worker and transcode worker as real processes."""
    (port,) = free_ports(1)
    origin = f"http://127.0.0.1:{port}"
    env = env_of(settings, DAM_PORT=str(port), DAM_CORS_ORIGINS=origin, DAM_LADDER_CHUNK_SECONDS="4")
    allow_origin(settings, origin)
    async with (
        dam("api", env=env, log_dir=log_dir) as api,
        dam("worker", env=env, log_dir=log_dir),
        dam("worker", "--queue", "transcode", env=env, log_dir=log_dir, name="transcode"),
    ):
        await api.healthy(origin + "/health")
        yield origin


async def _stream_ready(origin: str, key: str, asset_id: str, within: float = 180) -> dict[str, Any]:
    """The asset once its stream is ready (the asset itself is ready before)."""
    async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=30) as client:
        await wait_for_status(client, asset_id, "ready", within=within)  # type: ignore[arg-type]
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            asset: dict[str, Any] = (await client.get(f"/assets/{asset_id}")).json()
            stream = asset["stream"]
            if stream and (
                stream["status"] == "failed" or (stream["status"] == "ready" and stream["storyboard_url"])
            ):
                break
            await asyncio.sleep(0.25)
        assert asset["stream"]["status"] == "ready", asset["steps"]
        return asset


async def _plays_to_the_end(page: Page) -> None:
    await page.wait_for_function(PLAYING, timeout=60_000)
    await page.evaluate("() => { const v = window.damPlayer.video; v.muted = true; return v.play(); }")
    await page.wait_for_function("() => window.damPlayer.video.currentTime > 1", timeout=60_000)
    # A seek into the second segment, then on to the end.
    await page.evaluate(
        """() => new Promise((resolve) => { const v = window.damPlayer.video;
             v.addEventListener('seeked', resolve, {once: true}); v.currentTime = 5.0; })"""
    )
    await page.wait_for_function(ENDED, timeout=60_000)
    errors = await page.evaluate("() => window.damPlayer.errors")
    assert errors == []


async def test_uploaded_video_plays_adaptively_in_the_page(
    settings: Settings, process_logs: Path, page: Page, tmp_path: Path, artifacts_dir: Path,
    identities: Identities, workspace: Workspace,
) -> None:  # fmt: skip
    tag = uuid.uuid4().hex[:8]
    clip = tmp_path / f"{tag}-stream.mp4"
    clip.write_bytes(media.mp4(seconds=7.0, width=1280, height=720, fps=25))  # two rungs: 720p and 360p
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    email, password = await identities.user(workspace, "contributor")
    key = await identities.key(workspace, "viewer")
    off_machine: list[str] = []

    async def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            await route.continue_()
        else:  # nothing the page loads may come from off this machine (no CDN fonts or scripts)
            off_machine.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", loopback_only)
    async with running(settings, process_logs) as origin:
        await sign_in(page, origin, email, password)
        problems.clear()  # the signed-out page's own 401 from /auth/me
        await page.set_input_files("#files", [str(clip)])
        card = page.locator("#grid li", has_text=clip.name)
        await card.wait_for(timeout=60_000)
        asset_id = await card.get_attribute("data-id")
        assert asset_id
        asset = await _stream_ready(origin, key, asset_id)
        assert [(v["width"], v["height"]) for v in asset["stream"]["variants"]] == [(1280, 720), (640, 360)]

        await card.locator("button").click()
        await page.locator("#detail-stream").wait_for(state="visible", timeout=30_000)
        assert await page.locator("#stream-engine").input_value() == "shaka-hls"
        await _plays_to_the_end(page)
        # Shaka's quality menu lists both rungs; the storyboard gives a thumbnail for a seek position.
        await page.locator("#detail .shaka-overflow-menu-button").click()
        await page.locator("#detail .shaka-resolution-button").click()
        qualities = await page.locator("#detail .shaka-resolutions button").all_inner_texts()
        assert any("720" in q for q in qualities), qualities
        assert any("360" in q for q in qualities), qualities
        thumbnail = await page.evaluate(
            """async () => { const p = window.damPlayer.player; const [track] = p.getImageTracks();
                 const t = await p.getThumbnails(track.id, 3); return t && t.uris[0]; }"""
        )
        assert thumbnail, "no storyboard thumbnail"
        assert "storyboard/sprite_001.jpg" in thumbnail, thumbnail
        await page.screenshot(path=str(artifacts_dir / "stream-player.png"))

        for engine in ("shaka-dash", "hls.js"):
            await page.select_option("#stream-engine", engine)
            await page.wait_for_function(
                f"() => window.damPlayer && window.damPlayer.engine === '{engine}'", timeout=30_000
            )
            await _plays_to_the_end(page)
    assert problems == [], problems
    assert off_machine == []
