"""The trash in the web app (#34), in Chromium against the real stack: what was deleted is listed
with when it goes for good, restored, deleted for good one at a time or all at once (admins)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Dialog, Page, expect

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.axe import screen
from tests.support.flows import ingest, wait_for_status
from tests.support.stack import running
from tests.support.webapp import sign_in, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    async with running(settings, process_logs) as origin:
        yield origin


async def test_the_trash_lists_restores_and_deletes_for_good(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        names = ["kept.png", "gone.png", "last.png"]
        ids = [await ingest(api, api, media.png_with_alpha(), n, "image/png") for n in names]  # type: ignore[arg-type]
        for asset_id in ids:
            await wait_for_status(api, asset_id, "ready", within=120)  # type: ignore[arg-type]
            assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    email, password = await identities.user(workspace, "admin")
    problems: list[str] = []
    watch(page, problems)
    confirmed: list[str] = []

    async def accept(dialog: Dialog) -> None:
        confirmed.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await sign_in(page, stack, email, password)
    await page.get_by_role("link", name="Trash").click()
    trash = page.get_by_role("list")
    for name in names:
        await expect(trash.get_by_role("listitem", name=name)).to_be_visible()
    await expect(trash.get_by_role("listitem", name="kept.png")).to_contain_text("deleted for good on")
    await screen(page, artifacts_dir, "trash")

    await page.get_by_role("button", name="Restore kept.png").click()
    await expect(page.get_by_role("status").filter(has_text="Restored kept.png.")).to_be_visible()
    await expect(trash.get_by_role("listitem", name="kept.png")).to_have_count(0)
    await page.get_by_role("button", name="Delete for good: gone.png").click()
    await expect(page.get_by_role("status").filter(has_text="Deleted gone.png for good.")).to_be_visible()
    await page.get_by_role("button", name="Empty the trash").click()
    await expect(page.get_by_role("status").filter(has_text="Deleted 1 asset for good.")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="The trash is empty.")).to_be_visible()
    assert [m.split("?")[0] for m in confirmed] == [
        "Delete gone.png for good",
        "Delete everything in the trash for good",
    ]
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        statuses = [(await api.get(f"/assets/{i}")).json()["status"] for i in ids]
    assert statuses == ["ready", "deleted", "deleted"]
    # The restored asset is back in the library.
    await page.get_by_role("link", name="DAM").click()
    await expect(page.get_by_role("link", name="kept.png")).to_be_visible()
    assert problems == []
