"""The web app at ``/app/`` (#32, slice 1) in Chromium against the real stack: sign in with a
password, the library's grid, one search box with suggestions, the query in the URL (back and
forward), with no script error, no refused policy and no failed request."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities
from tests.support.axe import screen
from tests.support.stack import running
from tests.support.webapp import THUMBNAILS_LOADED, pictures, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """API and worker as real processes (the worker makes the thumbnails)."""
    async with running(settings, process_logs) as origin:
        yield origin


async def test_sign_in_browse_and_find_an_asset_through_a_suggestion(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    wanted, other = f"Quokka{tag} at dawn", f"Harbour{tag} at night"
    await pictures(stack, await identities.key(workspace, "editor"), [{"title": wanted}, {"title": other}])
    email, password = await identities.user(workspace, "viewer")
    problems: list[str] = []
    watch(page, problems)

    await page.goto(f"{stack}/app/")
    await page.get_by_label("Email").wait_for(timeout=30_000)
    await screen(page, artifacts_dir, "web-app-sign-in")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    search = page.get_by_role("combobox", name="Search")
    await search.wait_for(timeout=30_000)
    assert await search.get_attribute("type") == "search"
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[wanted, other], timeout=30_000)  # newest first
    alts = await page.locator(".tile img").evaluate_all("imgs => imgs.map((i) => i.alt)")
    assert alts.index(other) < alts.index(wanted), alts
    await screen(page, artifacts_dir, "web-app-library", full_page=True)

    await search.focus()
    await search.press_sequentially(f"quokka{tag}", delay=40)  # any case: the suggestion is as written
    suggestion = page.get_by_role("option", name=wanted)
    await suggestion.wait_for(timeout=30_000)
    await page.keyboard.press("ArrowDown")
    assert await suggestion.get_attribute("aria-selected") == "true"
    await page.keyboard.press("Enter")
    await page.wait_for_url(lambda url: "q=Quokka" in url, timeout=30_000)
    only = "(alt) => [...document.querySelectorAll('.tile img')].map((i) => i.alt).join('|') === alt"
    await page.wait_for_function(only, arg=wanted, timeout=30_000)
    assert await search.input_value() == wanted
    assert await page.evaluate("document.activeElement.id") == "search-box"  # focus stays in the box
    await screen(page, artifacts_dir, "web-app-search", full_page=True)

    await page.go_back()  # the library again, every asset, the box emptied
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[wanted, other], timeout=30_000)
    assert await search.input_value() == ""
    await page.go_forward()
    await page.wait_for_function(
        "(alt) => [...document.querySelectorAll('.tile img')].every((i) => i.alt === alt)",
        arg=wanted,
        timeout=30_000,
    )
    assert await search.input_value() == wanted

    await page.reload()  # the query is in the URL: a bookmark opens the same search
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[wanted], timeout=30_000)
    assert await page.locator(".tile img").count() == 1
    await page.get_by_role("button", name="Sign out").click()
    await page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    assert problems == [], "\n".join(problems)
