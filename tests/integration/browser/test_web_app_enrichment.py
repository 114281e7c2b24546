"""What the models found, in the web app (#33) in Chromium against the real stack with its enrich
worker: the text read in a picture with its boxes drawn over it, the models' tags accepted and
rejected, the near-duplicates listed in the viewer, and the review screen that keeps one of a group
and deletes the others."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.axe import screen
from tests.support.enrichment import magick, sample, sign
from tests.support.flows import ingest
from tests.support.stack import running
from tests.support.webapp import sign_in, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(DAM_ENRICH="ocr,objects,scenes,similar")


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    async with running(settings, process_logs, enrich=True) as origin:
        yield origin


async def enriched(origin: str, key: str, files: list[tuple[str, bytes]], within: float = 240) -> list[str]:
    """Upload each file, then wait until every one is ready and its enrichment has run."""
    async with httpx.AsyncClient(base_url=origin, headers=bearer(key), timeout=30) as api:
        ids = [await ingest(api, api, data, name, "image/jpeg") for name, data in files]  # type: ignore[arg-type]
        deadline = time.monotonic() + within
        for asset_id in ids:
            while True:
                asset: dict[str, Any] = (await api.get(f"/assets/{asset_id}")).json()
                found = asset["enrichment"] or {}
                if (
                    asset["status"] == "ready"
                    and found
                    and all(e["state"] in ("done", "failed") for e in found.values())
                ):
                    break
                assert time.monotonic() < deadline, f"{asset_id} not enriched: {asset['status']} {found}"
                await asyncio.sleep(0.25)
    return ids


async def test_the_viewer_shows_text_tags_and_near_duplicates_and_the_review_keeps_one(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path, tmp_path: Path
) -> None:
    key = await identities.key(workspace, "admin")
    resave = ["-gravity", "center", "-crop", "94%x94%+0+0", "+repage", "-resize", "70%", "-quality", "60"]
    street, cat, logo, copy = await enriched(
        stack, key,
        [("street.jpg", sign(["MAIN STREET", "Bakery open daily"])), ("cat.jpg", sample("chelsea.png")),
         ("logo.jpg", magick(tmp_path, "logo.jpg", "logo:", "-quality", "92")),
         ("logo-copy.jpg", magick(tmp_path, "copy.jpg", "logo:", *resave))],
    )  # fmt: skip
    email, password = await identities.user(workspace, "editor")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password, path=f"/app/?view={street}")

    # The text read in the sign, and its boxes over the picture on request.
    found = page.get_by_role("region", name="Found by the models")
    await expect(found.get_by_text("MAIN STREET")).to_be_visible()
    await expect(page.locator(".stage .boxes")).to_have_count(0)
    await found.get_by_label("Show where on the picture").check()
    await expect(page.locator(".stage .boxes polygon")).to_have_count(2)
    await screen(page, artifacts_dir, "enrichment-viewer")

    # A model's tags: one added as a tag of the asset, another rejected for good.
    await page.goto(f"{stack}/app/?view={cat}")
    await expect(found.get_by_text("Suggested tags")).to_be_visible()
    await found.get_by_role("button", name="Add the tag cat").click()
    await expect(found.get_by_text("Tagged cat.")).to_be_visible()
    await expect(page.get_by_role("textbox", name="Tags", exact=True)).to_have_value("cat")
    await found.get_by_role("button", name="Reject the tag animal").click()
    await expect(found.get_by_role("button", name="Reject the tag animal")).to_have_count(0)
    await expect(found.get_by_text("1 rejected suggestion hidden.")).to_be_visible()

    # The near-duplicate is listed in the viewer, and the review keeps one of the two.
    await page.goto(f"{stack}/app/?view={logo}")
    await expect(found.get_by_role("link", name="logo-copy.jpg")).to_be_visible()
    await page.goto(f"{stack}/app/duplicates")
    group = page.get_by_role("region", name="Group of 2")
    await expect(group).to_have_count(1)
    await screen(page, artifacts_dir, "duplicates")
    await group.get_by_role("radio").nth(1).check()
    await group.get_by_role("button", name="Keep this one, delete the others").click()
    await expect(group).to_have_count(0)
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        assert (await api.get(f"/assets/{logo}")).json()["status"] == "trashed"
        assert (await api.get(f"/assets/{copy}")).json()["status"] == "ready"
    assert problems == []
