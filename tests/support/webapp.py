"""What the web app's browser tests share: signing in through the app's form, watching a page for
errors, processed pictures to look at, and a video whose stream is ready."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import msgspec
from playwright.async_api import ConsoleMessage, Page

from tests.support import media
from tests.support.accounts import bearer
from tests.support.flows import ingest, wait_for_status

# True once every named tile's thumbnail has loaded (its alt text is the asset's title).
THUMBNAILS_LOADED = """(alts) => alts.every((alt) => [...document.querySelectorAll('.tile img')]
  .some((img) => img.alt === alt && img.complete && img.naturalWidth > 0))"""


async def sign_in(page: Page, origin: str, email: str, password: str, path: str = "/app/") -> None:
    """Open ``path`` and sign in through the app's form, as a person would; returns once the
    library's search box is there."""
    await page.goto(f"{origin}{path}")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("combobox", name="Search").wait_for(timeout=30_000)


def watch(page: Page, problems: list[str], expected: frozenset[tuple[int, str]] = frozenset()) -> None:
    """Script errors, console errors and failed requests, but the ``expected`` (status, path ending)
    answers a test provokes (the app asks ``/auth/session`` whether anyone is signed in: a 200
    either way, so a signed-out page logs none)."""

    def allowed(status: int, url: str) -> bool:
        return any(status == s and url.split("?")[0].endswith(p) for s, p in expected)

    def console(message: ConsoleMessage) -> None:
        provoked = any(f"status of {s}" in message.text for s, _ in expected)
        if message.type == "error" and not provoked:
            problems.append(f"console: {message.text}")

    page.on("pageerror", lambda exc: problems.append(f"error: {exc}"))
    page.on("console", console)
    # A search the app aborts because a newer query replaced it (or the page reloaded) is no failure.
    page.on(
        "requestfailed",
        lambda r: (
            problems.append(f"failed: {r.url} {r.failure}") if r.failure != "net::ERR_ABORTED" else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status}: {r.url}")
            if r.status >= 400 and not allowed(r.status, r.url)
            else None
        ),
    )


async def pictures(origin: str, key: str, edits: list[dict[str, object]]) -> list[str]:
    """One processed picture per edit (title, tags, metadata), oldest first; their ids."""
    ids = []
    async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=30) as api:
        for i, edit in enumerate(edits):
            asset_id = await ingest(api, api, media.jpeg_with_exif(), f"lib-{i}.jpg", "image/jpeg")  # type: ignore[arg-type]
            await wait_for_status(api, asset_id, "ready", within=120)  # type: ignore[arg-type]
            done = await api.patch(
                f"/assets/{asset_id}", content=msgspec.json.encode(edit),
                headers={"Content-Type": "application/merge-patch+json"},
            )  # fmt: skip
            assert done.status_code == 200, done.text
            ids.append(asset_id)
    return ids


async def stream_ready(origin: str, key: str, asset_id: str, within: float = 180) -> dict[str, Any]:
    """The asset once its stream (and storyboard) is ready; the asset itself is ready before."""
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
