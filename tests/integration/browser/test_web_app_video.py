"""A video in the web app (#32), in Chromium against the real stack with its transcode worker: the
tile plays the storyboard while hovered, the viewer plays the adaptive stream (HLS through Shaka,
loaded on demand) from start to a seek, and nothing loads from off the machine."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Page, Route

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.axe import screen
from tests.support.flows import ingest
from tests.support.stack import running
from tests.support.webapp import sign_in, stream_ready, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIDEO = "document.querySelector('.viewer video')"


async def test_a_video_previews_its_storyboard_and_plays_adaptively(
    settings: Settings, process_logs: Path, page: Page, identities: Identities, workspace: Workspace,
    artifacts_dir: Path,
) -> None:  # fmt: skip
    tag = uuid.uuid4().hex[:8]
    problems: list[str] = []
    watch(page, problems)
    off_machine: list[str] = []
    manifests: list[str] = []

    async def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname in {"127.0.0.1", "localhost"}:
            if route.request.url.split("?")[0].endswith((".m3u8", ".mpd")):
                manifests.append(route.request.url)
            await route.continue_()
        else:
            off_machine.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", loopback_only)
    key = await identities.key(workspace, "admin")
    async with running(settings, process_logs, transcode=True, DAM_LADDER_CHUNK_SECONDS="4") as origin:
        async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=60) as api:
            clip = media.mp4(seconds=7.0, width=1280, height=720, fps=25)
            asset_id = await ingest(api, api, clip, f"clip-{tag}.mp4", "video/mp4")  # type: ignore[arg-type]
        await stream_ready(origin, key, asset_id)
        email, password = await identities.user(workspace, "viewer")
        await sign_in(page, origin, email, password)
        tile = page.locator(f".tile[data-id='{asset_id}']")
        await tile.locator("img").wait_for(timeout=60_000)
        assert await tile.locator(".badge").inner_text() == "Video"

        # Resting the pointer on the tile plays its storyboard: frames of the sprite sheet in turn.
        await tile.hover()
        board = tile.locator(".storyboard")
        await board.wait_for(timeout=30_000)
        first = await board.evaluate("b => b.style.backgroundImage + b.style.backgroundPosition")
        assert "storyboard/sprite_001.jpg" in first
        await page.wait_for_function(
            "([id, first]) => { const b = document.querySelector(`.tile[data-id='${id}'] .storyboard`);"
            " return b && b.style.backgroundImage + b.style.backgroundPosition !== first; }",
            arg=[asset_id, first],
            timeout=30_000,
        )
        sprite_loaded = await page.evaluate(
            """(url) => new Promise((resolve) => { const i = new Image();
                 i.onload = () => resolve(i.naturalWidth); i.onerror = () => resolve(0); i.src = url; })""",
            first.split('"')[1],
        )
        assert sprite_loaded > 0
        await page.mouse.move(0, 0)
        await board.wait_for(state="detached")

        # The viewer plays the adaptive stream: Shaka loads the HLS playlist, plays, seeks.
        await tile.locator("a").click()
        dialog = page.get_by_role("dialog", name=f"clip-{tag}.mp4")
        await dialog.wait_for(timeout=30_000)
        await page.wait_for_function(f"() => {VIDEO} && {VIDEO}.readyState >= 2", timeout=60_000)
        assert any(m.split("?")[0].endswith("master.m3u8") for m in manifests), manifests
        await page.evaluate(f"() => {{ const v = {VIDEO}; v.muted = true; return v.play(); }}")
        await page.wait_for_function(f"() => {VIDEO}.currentTime > 1", timeout=60_000)
        await page.evaluate(
            f"""() => new Promise((resolve) => {{ const v = {VIDEO};
                 v.addEventListener('seeked', resolve, {{once: true}}); v.currentTime = 5.0; }})"""
        )
        await page.wait_for_function(f"() => {VIDEO}.currentTime >= 5", timeout=60_000)
        await screen(page, artifacts_dir, "web-app-video")
    assert off_machine == []
    assert problems == [], "\n".join(problems)
