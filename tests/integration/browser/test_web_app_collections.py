"""The web app's collections (#32) in Chromium against the real stack: nested collections made in
the side bar's tree, assets dragged onto one, its own order changed by dragging and by the keyboard,
a collection moved by dragging and by its menu, a search saved as a smart collection, a collection
shared and its link opened in a fresh browser, and a viewer who sees none of the edit controls."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.stack import running
from tests.support.webapp import THUMBNAILS_LOADED, pictures, sign_in, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
# The collection view's asset ids in the order the grid shows them.
ORDER = """() => [...document.querySelectorAll('.members .tile')]
  .sort((a, b) => a.dataset.index - b.dataset.index).map((t) => t.dataset.id)"""


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    async with running(settings, process_logs) as origin:
        yield origin


@pytest.fixture
async def admin(stack: str, identities: Identities, workspace: Workspace) -> AsyncIterator[httpx.AsyncClient]:
    """The API as an admin of the test's workspace, to check what the app did."""
    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        yield api


async def until(check: Callable[[], Awaitable[Any]], want: Any, within: float = 15) -> None:
    """Poll ``check`` until it answers ``want`` (the app sends a change after it shows it)."""
    for _ in range(int(within / 0.2)):
        if await check() == want:
            return
        await asyncio.sleep(0.2)
    assert await check() == want


async def test_nested_collections_dragged_assets_order_moves_smart_and_shares(
    stack: str,
    page: Page,
    identities: Identities,
    workspace: Workspace,
    admin: httpx.AsyncClient,
    artifacts_dir: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    titles = [f"Heron{tag} one", f"Heron{tag} two", f"Heron{tag} three"]
    ids = await pictures(stack, await identities.key(workspace, "admin"), [{"title": t} for t in titles])
    api = admin

    async def tree() -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in (await api.get("/collections")).json()["items"]}

    async def members(collection_id: str) -> list[str]:
        return [a["id"] for a in (await api.get(f"/collections/{collection_id}/assets")).json()["items"]]

    email, password = await identities.user(workspace, "editor")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password)
    await page.wait_for_function(THUMBNAILS_LOADED, arg=titles, timeout=30_000)
    side = page.get_by_role("region", name="Collections")

    # Two collections, the second inside the first.
    trips, lisbon = f"Trips{tag}", f"Lisbon{tag}"
    for name, parent in ((trips, None), (lisbon, trips)):
        await side.get_by_role("button", name="New collection").click()
        await side.get_by_label("Name").fill(name)
        if parent:
            await side.get_by_label("In", exact=True).select_option(label=parent)
        await side.get_by_role("button", name="Create").click()
        await side.get_by_role("status").filter(has_text=f"Made “{name}”.").wait_for()
    made = await tree()
    assert made[lisbon]["parent_id"] == made[trips]["id"]
    assert made[trips]["parent_id"] is None
    lisbon_id = made[lisbon]["id"]
    target = side.get_by_role("link", name=lisbon)
    await target.wait_for()  # its parent was opened to show it

    # Drag the three assets onto it, one by one, oldest first.
    for i, title in enumerate(titles):
        await page.locator(f".tile:has(img[alt='{title}']) a").drag_to(target)
        await side.get_by_role("status").filter(has_text=f"Added 1 asset to “{lisbon}”.").wait_for()
        await target.filter(has_text=f"{i + 1} asset").wait_for()  # the count follows
    assert await members(lisbon_id) == ids
    await page.screenshot(path=str(artifacts_dir / "web-app-collections-tree.png"), full_page=True)

    # Its view, in its own order; reorder by dragging a tile before another.
    await target.click()
    await page.wait_for_url(f"**/app/collections/{lisbon_id}")
    await page.get_by_role("heading", name=lisbon, level=1).wait_for()
    await page.wait_for_function(f"() => ({ORDER})().length === 3", timeout=30_000)
    assert await page.evaluate(ORDER) == ids
    one, two, three = ids
    shown = "(order) => ({ORDER})().join() === order.join()".replace("{ORDER}", ORDER)
    await page.locator(f".members .tile[data-id='{three}'] a").drag_to(
        page.locator(f".members .tile[data-id='{one}'] a"), target_position={"x": 5, "y": 20}
    )  # the left half of the first: before it
    await page.wait_for_function(shown, arg=[three, one, two])
    await until(lambda: members(lisbon_id), [three, one, two])

    # And with the keyboard: Alt+arrows move the focused tile one place, the focus stays on it.
    await page.locator(f".members .tile[data-id='{three}'] a").focus()
    await page.keyboard.press("Alt+ArrowRight")
    await page.wait_for_function(shown, arg=[one, three, two])
    assert await page.evaluate("document.activeElement.closest('.tile')?.dataset.id") == three
    await until(lambda: members(lisbon_id), [one, three, two])
    await page.keyboard.press("Alt+ArrowLeft")
    await page.wait_for_function(shown, arg=[three, one, two])
    await until(lambda: members(lisbon_id), [three, one, two])
    assert await page.get_by_role("button", name=re.compile("^Move earlier")).is_disabled()  # first already
    await page.get_by_role("button", name=re.compile("^Move later")).click()  # the tile focused last
    await page.wait_for_function(shown, arg=[one, three, two])
    await until(lambda: members(lisbon_id), [one, three, two])
    await page.screenshot(path=str(artifacts_dir / "web-app-collection-view.png"), full_page=True)

    # The viewer opens over the collection and keeps its order.
    await page.locator(f".members .tile[data-id='{one}'] a").click()
    await page.get_by_role("dialog", name=titles[0]).wait_for(timeout=30_000)
    await page.keyboard.press("ArrowRight")
    await page.get_by_role("dialog", name=titles[2]).wait_for(timeout=30_000)
    await page.keyboard.press("Escape")
    await page.get_by_role("dialog").wait_for(state="detached")

    # Move a collection: dragged onto the heading (the top), then below another by its menu.
    await side.get_by_role("link", name=lisbon).drag_to(
        side.get_by_role("button", name="Collections", exact=True)
    )
    await side.get_by_role("status").filter(has_text=f"Moved “{lisbon}” to the top.").wait_for()
    assert (await tree())[lisbon]["parent_id"] is None
    await side.get_by_role("button", name=f"Edit {lisbon}").click()
    menu = side.locator(".collection-actions")
    assert await menu.get_by_label("Move to").evaluate("s => [...s.options].map((o) => o.text)") == [trips]
    await menu.get_by_label("Move to").select_option(label=trips)
    await menu.get_by_role("button", name="Move", exact=True).click()
    await side.get_by_role("status").filter(has_text=f"Moved “{lisbon}” into “{trips}”.").wait_for()
    assert (await tree())[lisbon]["parent_id"] == made[trips]["id"]
    # A collection cannot go below one of its own: Trips' menu does not offer Lisbon.
    await side.get_by_role("button", name=f"Edit {trips}").click()
    assert await menu.get_by_label("Move to").count() == 0  # at the top, with nowhere else to go
    await side.get_by_role("button", name="Close", exact=True).click()

    # Share it; the link opens in a fresh browser with the assets, in the collection's order.
    await page.get_by_role("button", name="Share this collection").click()
    link = page.get_by_label("Share link")
    await link.wait_for()
    url = await link.input_value()
    assert re.search(r"/s/dam_sh_[\w-]{43}$", url), url
    await page.get_by_role("button", name="Copy").click()
    await page.get_by_role("status").filter(has_text="Link copied.").wait_for()
    browser = page.context.browser
    assert browser is not None
    fresh = await browser.new_context()
    try:
        shared = await fresh.new_page()
        await shared.goto(url)
        await shared.get_by_role("heading", name=lisbon).wait_for(timeout=30_000)
        await shared.wait_for_function(
            "() => [...document.querySelectorAll('.tile img')].filter((i) => i.complete && i.naturalWidth)"
            ".length === 3",
            timeout=30_000,
        )
    finally:
        await fresh.close()
    await page.get_by_role("button", name=re.compile("^Revoke")).click()
    await page.get_by_role("status").filter(has_text="Link revoked.").wait_for()
    token = url.rsplit("/", 1)[-1]
    async with httpx.AsyncClient(base_url=stack) as anonymous:
        assert (await anonymous.get(f"/shares/{token}")).status_code == 404

    # Save a search as a smart collection, open it: the search's assets.
    await page.goto(f"{stack}/app/?q=heron{tag}&sort=oldest")
    await page.wait_for_function(THUMBNAILS_LOADED, arg=titles, timeout=30_000)
    await page.get_by_role("button", name="Save this search").click()
    await page.get_by_label("Name of the search").fill(f"Herons{tag}")
    await page.get_by_role("button", name="Save", exact=True).click()
    await page.get_by_role("status").filter(has_text=f"Saved as “Herons{tag}”.").wait_for()
    smart = (await tree())[f"Herons{tag}"]
    assert smart["asset_count"] is None
    stored = (await api.get(f"/collections/{smart['id']}")).json()["query"]
    assert stored == f"q=heron{tag}&sort=oldest"
    await side.get_by_role("link", name=f"Herons{tag} (smart)").wait_for()
    await page.get_by_role("link", name="Open it").click()
    await page.get_by_role("heading", name=f"Herons{tag}", level=1).wait_for()
    await page.wait_for_function(f"() => ({ORDER})().join() === {ids!r}.join()", timeout=30_000)
    await page.get_by_text("A smart collection").wait_for()
    assert await page.get_by_role("button", name=re.compile("^Move (earlier|later)")).count() == 0

    # Rename and delete (after a confirmation that says what goes).
    await side.get_by_role("button", name=f"Edit {trips}").click()
    await menu.get_by_label("Name").fill(f"Travels{tag}")
    await menu.get_by_role("button", name="Rename").click()
    await side.get_by_role("status").filter(has_text=f"Renamed “{trips}” to “Travels{tag}”.").wait_for()
    await side.get_by_role("button", name=f"Edit Travels{tag}").click()
    await menu.get_by_role("button", name="Delete…").click()
    await menu.get_by_text("and the 1 collection inside it").wait_for()
    await menu.get_by_role("button", name="Delete", exact=True).click()
    await side.get_by_role("status").filter(has_text=f"Deleted “Travels{tag}”.").wait_for()
    assert set(await tree()) == {f"Herons{tag}"}
    assert (await api.get(f"/assets/{one}")).status_code == 200  # the assets stay

    # A phone's width: one column, nothing wider than the screen.
    await page.set_viewport_size(PHONE)
    await page.get_by_role("link", name=f"Herons{tag}").click()
    await page.wait_for_function(f"() => ({ORDER})().length === 3", timeout=30_000)
    # (once the grid has laid itself out again for the new width)
    narrow = f"() => document.documentElement.scrollWidth <= {PHONE['width']}"
    await page.wait_for_function(narrow, timeout=5_000)
    await page.screenshot(path=str(artifacts_dir / "web-app-collection-phone.png"), full_page=True)
    await page.get_by_role("link", name="DAM", exact=True).click()  # the library, the tree above it
    await page.wait_for_function(THUMBNAILS_LOADED, arg=titles, timeout=30_000)
    await page.wait_for_function(narrow, timeout=5_000)
    assert problems == [], "\n".join(problems)


async def test_a_viewer_sees_collections_but_no_edit_controls(
    stack: str, page: Page, identities: Identities, workspace: Workspace
) -> None:
    tag = uuid.uuid4().hex[:6]
    key = await identities.key(workspace, "admin")
    ids = await pictures(stack, key, [{"title": f"Otter{tag} a"}, {"title": f"Otter{tag} b"}])
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        top = (await api.post("/collections", json={"name": f"Rivers{tag}"})).json()
        inner = (await api.post("/collections", json={"name": f"Otters{tag}", "parent_id": top["id"]})).json()
        added = await api.post(f"/collections/{inner['id']}/assets", json={"asset_ids": ids})
        assert added.status_code == 200, added.text
        await api.post("/collections", json={"name": f"Saved{tag}", "query": f"q=otter{tag}"})
    email, password = await identities.user(workspace, "viewer")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password)
    side = page.get_by_role("region", name="Collections")
    await side.get_by_role("link", name=f"Rivers{tag}").wait_for(timeout=30_000)
    assert await side.get_by_role("button", name="New collection").count() == 0
    assert await side.get_by_role("button", name=re.compile("^Edit ")).count() == 0
    assert await page.get_by_role("button", name="Save this search").count() == 0
    assert await side.get_by_role("link", name=f"Saved{tag} (smart)").count() == 1
    # Nested: the disclosure button shows what is inside.
    inner_link = side.get_by_role("link", name=f"Otters{tag}")
    assert not await inner_link.is_visible()
    await side.get_by_role("button", name=f"Show the collections in Rivers{tag}").click()
    assert await inner_link.get_attribute("draggable") is None
    await inner_link.click()
    await page.get_by_role("heading", name=f"Otters{tag}", level=1).wait_for()
    await page.wait_for_function(f"() => ({ORDER})().join() === {ids!r}.join()", timeout=30_000)
    assert await page.get_by_role("button", name=re.compile("Share")).count() == 0
    assert await page.get_by_role("button", name=re.compile("^Move (earlier|later)")).count() == 0
    await page.locator(f".members .tile[data-id='{ids[1]}'] a").focus()
    await page.keyboard.press("Alt+ArrowRight")  # nothing moves
    await page.wait_for_timeout(300)
    assert await page.evaluate(ORDER) == ids
    assert f"Otters{tag}" in await side.locator("[aria-current='page']").inner_text()
    assert problems == [], "\n".join(problems)
