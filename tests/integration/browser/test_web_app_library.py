"""The web app's library and viewer (#32) in Chromium against the real stack: facets as filters and
chips, the viewer with the keyboard, edits (and another tab's stale edit refused with a clear
message), a viewer's read-only screens, and a grid of thousands that keeps few nodes in the DOM."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.async_api import Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.axe import screen
from tests.support.stack import running
from tests.support.webapp import THUMBNAILS_LOADED, pictures, sign_in, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    async with running(settings, process_logs) as origin:
        yield origin


async def test_facets_viewer_keyboard_and_edits(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        schema = {
            "strict": False,
            "fields": [
                {
                    "key": "client",
                    "label": "Client",
                    "type": "enum",
                    "options": ["Acme", "Globex"],
                    "facet": True,
                }
            ],
        }
        assert (await api.put("/workspace/schema", json=schema)).status_code == 200
    first, second, third = (f"Lynx{tag} one", f"Lynx{tag} two", f"Lynx{tag} three")
    ids = await pictures(
        stack, key,
        [{"title": first, "tags": [f"red{tag}"]}, {"title": second, "tags": [f"blue{tag}"]},
         {"title": third, "tags": [f"red{tag}"], "metadata": {"client": "Acme"}}],
    )  # fmt: skip
    email, password = await identities.user(workspace, "editor")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password)
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[first, second, third], timeout=30_000)
    # Newest first, under a day heading; the facets count what the search finds.
    assert await page.locator("h2.day").count() >= 1
    # Each tile's ThumbHash placeholder is drawn behind its thumbnail (a PNG data URL).
    backgrounds = await page.locator(".tile").evaluate_all(
        "tiles => tiles.map((t) => getComputedStyle(t).backgroundImage)"
    )
    assert len(backgrounds) == 3
    assert all(b.startswith('url("data:image/png') for b in backgrounds), backgrounds
    filters = page.get_by_role("navigation", name="Filters")
    red = filters.get_by_role("link", name=f"red{tag} 2")
    await red.click()
    await page.wait_for_url(lambda url: f"tag=red{tag}" in url, timeout=30_000)
    only = """(alts) => { const a = [...document.querySelectorAll('.tile img')].map((i) => i.alt);
        return a.length === alts.length && alts.every((x) => a.includes(x)); }"""
    await page.wait_for_function(only, arg=[first, third], timeout=30_000)
    chip = page.get_by_role("button", name=f"Tag: red{tag} (remove)")
    await chip.wait_for()
    # The schema's facet field is a facet too.
    await filters.get_by_role("heading", name="Client").wait_for(timeout=30_000)
    await screen(page, artifacts_dir, "web-app-facets", full_page=True)
    await chip.click()
    await page.wait_for_function(only, arg=[first, second, third], timeout=30_000)
    assert "tag=" not in page.url

    # The keyboard: Tab to the first tile, Enter opens it, arrows move, Esc closes back to it.
    await page.locator(".tile a[tabindex='0']").focus()
    assert await page.evaluate("document.activeElement.querySelector('img').alt") == third
    await page.keyboard.press("ArrowRight")
    assert await page.evaluate("document.activeElement.querySelector('img').alt") == second
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=second)
    await dialog.wait_for(timeout=30_000)
    assert f"view={ids[1]}" in page.url
    await dialog.get_by_text("TestCam").first.wait_for()  # labelled facts
    await page.keyboard.press("ArrowRight")
    await page.get_by_role("dialog", name=first).wait_for(timeout=30_000)
    await page.keyboard.press("ArrowLeft")
    dialog = page.get_by_role("dialog", name=second)
    await dialog.wait_for(timeout=30_000)
    await screen(page, artifacts_dir, "web-app-viewer")

    # Edit the title, the tags and the schema's field.
    await dialog.get_by_label("Title").fill(f"Lynx{tag} renamed")
    await dialog.get_by_label("Tags").fill(f"blue{tag}, green{tag}")
    await dialog.get_by_label("Client").select_option("Globex")
    await dialog.get_by_role("button", name="Save").click()
    await (
        page.get_by_role("dialog", name=f"Lynx{tag} renamed")
        .get_by_role("status")
        .filter(has_text="Saved.")
        .wait_for(timeout=30_000)
    )
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        stored = (await api.get(f"/assets/{ids[1]}")).json()
        assert stored["title"] == f"Lynx{tag} renamed"
        assert stored["tags"] == [f"blue{tag}", f"green{tag}"]
        assert stored["metadata"]["client"] == "Globex"
        # Another tab edits it: this tab's next save is refused, clearly, and Reload shows theirs.
        other = await api.patch(f"/assets/{ids[1]}", json={"description": "from another tab"})
        assert other.status_code == 200
    dialog = page.get_by_role("dialog", name=f"Lynx{tag} renamed")
    await dialog.get_by_label("Title").fill("stale")
    await dialog.get_by_role("button", name="Save").click()
    await dialog.get_by_role("alert").filter(has_text="Someone changed this asset").wait_for(timeout=30_000)
    await dialog.get_by_role("button", name="Reload").click()
    await page.wait_for_function(
        "() => document.querySelector('.viewer textarea').value === 'from another tab'", timeout=30_000
    )
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="detached", timeout=30_000)
    assert "view=" not in page.url
    # The grid was patched in place (no reload) and the focus is back on the asset's tile.
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[f"Lynx{tag} renamed"], timeout=30_000)
    assert await page.evaluate("document.activeElement.closest('.tile')?.dataset.id") == ids[1]
    # The expected 412 of the stale save is the one failed response.
    assert [p for p in problems if "412" not in p] == [], "\n".join(problems)


async def test_a_viewer_sees_no_edit_controls_and_is_refused_if_forced(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    key = await identities.key(workspace, "admin")
    [asset_id] = await pictures(stack, key, [{"title": f"Ibex{tag}", "tags": ["peak"]}])
    email, password = await identities.user(workspace, "viewer")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password, f"/app/?view={asset_id}")
    dialog = page.get_by_role("dialog", name=f"Ibex{tag}")
    await dialog.wait_for(timeout=30_000)
    await dialog.get_by_text("peak").wait_for()
    assert await dialog.get_by_role("button", name="Save").count() == 0
    assert await dialog.get_by_role("button", name="Reprocess").count() == 0
    assert await dialog.get_by_label("Title").count() == 0
    assert await page.get_by_role("button", name="Make a link (7 days)").count() == 0
    await screen(page, artifacts_dir, "web-app-viewer-read-only")
    # Forced through the page's own session: refused.
    status = await page.evaluate(
        """async (id) => (await fetch(`/assets/${id}`, {method: 'PATCH',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify({title: 'x'})})).status""",
        asset_id,
    )
    assert status == 403
    assert [p for p in problems if "403" not in p] == [], "\n".join(problems)


async def test_thousands_of_results_keep_few_nodes_in_the_dom(
    stack: str, page: Page, identities: Identities, workspace: Workspace, database_url: str
) -> None:
    # 3,000 processed assets over 125 days, written straight into the database (their bytes do not
    # matter here: tiles without a thumbnail show a placeholder).
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """INSERT INTO assets (id, workspace_id, filename, content_type, size, storage_key, status,
                                   media, created_at, updated_at, uploaded_at)
               SELECT gen_random_uuid(), $1, 'many-' || i || '.jpg', 'image/jpeg', 1000,
                      'originals/many/' || i, 'ready',
                      jsonb_build_object('kind', 'image', 'width', 300 + (i % 7) * 100, 'height', 400),
                      now() - i * interval '1 hour', now(), now()
               FROM generate_series(1, 3000) AS i""",
            workspace.id,
        )
    finally:
        await conn.close()
    email, password = await identities.user(workspace, "viewer")
    problems: list[str] = []
    watch(page, problems)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, stack, email, password)
    await page.locator(".tile").first.wait_for(timeout=30_000)
    count = "() => document.querySelectorAll('.grid *').length"
    # Scroll through several pages of results: more load, the DOM stays small.
    for _ in range(12):
        await page.mouse.wheel(0, 6000)
        await page.wait_for_function(
            "() => !document.querySelector('.count')?.textContent.includes('Searching')"
        )
    await page.wait_for_function(
        "() => Math.max(...[...document.querySelectorAll('.tile')].map((t) => +t.dataset.index)) > 300",
        timeout=60_000,
    )
    nodes = await page.evaluate(count)
    assert 0 < nodes <= 500, nodes
    assert await page.locator("h2.day").count() >= 1
    assert await page.get_by_role("navigation", name="Dates").get_by_role("button").count() >= 2
    assert problems == [], "\n".join(problems)


async def test_select_a_range_and_tag_it_in_bulk_with_per_asset_results(
    stack: str,
    page: Page,
    identities: Identities,
    workspace: Workspace,
    database_url: str,
    artifacts_dir: Path,
) -> None:
    email, password = await identities.user(workspace, "contributor")
    conn = await asyncpg.connect(database_url)
    try:
        user_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        # 30 assets, Bulk 01 the newest; the contributor made the ten newest, so may change only those.
        await conn.execute(
            """INSERT INTO assets (id, workspace_id, created_by, filename, content_type, size, storage_key,
                                   status, media, title, created_at, updated_at, uploaded_at)
               SELECT gen_random_uuid(), $1, CASE WHEN i <= 10 THEN $2::uuid END, 'bulk-' || i || '.jpg',
                      'image/jpeg', 1000, 'originals/bulk/' || i, 'ready',
                      jsonb_build_object('kind', 'image', 'width', 400, 'height', 300),
                      'Bulk ' || lpad(i::text, 2, '0'), now() - i * interval '1 minute', now(), now()
               FROM generate_series(1, 30) AS i""",
            workspace.id,
            user_id,
        )
    finally:
        await conn.close()
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password)
    tile = "[role='img'][aria-label='{}']"
    await page.locator(tile.format("Bulk 01")).wait_for(timeout=30_000)
    # Ctrl-click the first, shift-click the twentieth: twenty selected.
    await page.locator(tile.format("Bulk 01")).click(modifiers=["Control"])
    await page.locator(tile.format("Bulk 20")).click(modifiers=["Shift"])
    bar = page.get_by_role("region", name="Selection")
    await bar.get_by_text("20 selected").wait_for(timeout=10_000)
    assert await page.locator(".tile.selected").count() == 20
    assert await page.get_by_role("dialog").count() == 0  # selecting never opened the viewer
    # While some are selected, a plain click selects too; Space on a focused tile toggles it.
    await page.locator(tile.format("Bulk 21")).click()
    await bar.get_by_text("21 selected").wait_for()
    await page.keyboard.press("Space")
    await bar.get_by_text("20 selected").wait_for()

    await bar.get_by_role("textbox", name="Tags").fill("batch, reviewed")
    await bar.get_by_role("button", name="Apply").click()
    outcome = bar.get_by_role("status")
    await outcome.get_by_text("10 changed, 10 not:").wait_for(timeout=30_000)
    failures = await outcome.locator("li").all_inner_texts()
    assert len(failures) == 10
    assert all("contributor on one's own asset" in f for f in failures), failures
    assert {f.split(":")[0] for f in failures} == {f"Bulk {i:02d}" for i in range(11, 21)}
    await screen(page, artifacts_dir, "web-app-bulk")

    key = await identities.key(workspace, "admin")
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        found = (await api.get("/search", params={"tag": ["batch", "reviewed"], "limit": 100})).json()
        assert sorted(i["title"] for i in found["items"]) == [f"Bulk {i:02d}" for i in range(1, 11)]

    await bar.get_by_role("button", name="Clear").click()
    await bar.wait_for(state="detached")
    await page.get_by_role("button", name="Select all 30").click()
    await bar.get_by_text("30 selected").wait_for(timeout=30_000)
    assert problems == [], "\n".join(problems)


async def test_a_reprocessed_tile_updates_in_place_and_shortcuts(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    key = await identities.key(workspace, "admin")
    [asset_id] = await pictures(stack, key, [{"title": f"Heron{tag}"}])
    email, password = await identities.user(workspace, "editor")
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, password)
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[f"Heron{tag}"], timeout=30_000)
    # `?` lists the shortcuts, Esc closes the list, `/` goes to the search box.
    await page.locator("body").press("?")
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    await shortcuts.wait_for()
    await screen(page, artifacts_dir, "web-app-shortcuts")
    await page.keyboard.press("Escape")
    await shortcuts.wait_for(state="hidden")
    await page.locator("body").press("/")
    assert await page.evaluate("document.activeElement.id") == "search-box"

    await page.evaluate("window.gridBefore = document.querySelector('.grid ul')")
    await page.goto(f"{stack}/app/?view={asset_id}")
    dialog = page.get_by_role("dialog", name=f"Heron{tag}")
    await dialog.get_by_role("button", name="Reprocess").click()
    await dialog.get_by_role("status").filter(has_text="Processing again.").wait_for(timeout=30_000)
    await page.keyboard.press("Escape")
    await dialog.wait_for(state="detached")
    await page.evaluate("window.gridBefore = document.querySelector('.grid ul')")
    # Polled until processed again: the tile is patched (its badge goes), the grid is the same
    # element (never rebuilt) and the focus stays on the tile.
    await page.wait_for_function(
        "(id) => { const t = document.querySelector(`.tile[data-id='${id}']`);"
        " return t && !t.querySelector('.badge') && t.querySelector('img')?.complete; }",
        arg=asset_id,
        timeout=60_000,
    )
    assert await page.evaluate("window.gridBefore === document.querySelector('.grid ul')")
    assert await page.evaluate("document.activeElement.closest('.tile')?.dataset.id") == asset_id
    async with httpx.AsyncClient(base_url=stack, headers=bearer(key), timeout=30) as api:
        assert (await api.get(f"/assets/{asset_id}")).json()["status"] == "ready"
    assert problems == [], "\n".join(problems)
