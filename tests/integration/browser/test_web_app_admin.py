"""The web app's admin screens (#32) in Chromium against the real stack: an admin invites (and a
guest accepts in the app), revokes an invitation, changes a role, makes and revokes an API key
(its secret shown once), edits the metadata schema (a bad field shows the API's message), filters
and pages the audit log, and re-runs a failure on the job dashboard; the screens load on demand,
fit a 390 px screen, and a viewer or an editor is told they are not allowed. No script error, no
refused policy, no failed request but the ones a test provokes."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import PASSWORD, Identities, bearer
from tests.support.axe import assert_accessible, screen
from tests.support.flows import ingest, wait_for_status
from tests.support.stack import running
from tests.support.webapp import sign_in, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENS = ("members", "keys", "settings", "webhooks", "audit", "jobs")
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible')
  .slice(-3).map((e) => `${e.tagName.toLowerCase()}.${e.className} ${e.scrollWidth} px`)"""


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    """API and worker as real processes (the worker fails the broken upload)."""
    async with running(settings, process_logs) as origin:
        yield origin


async def fits_a_phone(page: Page, path: str) -> None:
    """At 390 px wide the screen scrolls no wider than the window (tables scroll in their box)."""
    await page.set_viewport_size({"width": 390, "height": 844})
    try:
        await page.wait_for_function(FITS, timeout=5_000)
    except PlaywrightTimeout:
        width = await page.evaluate("document.documentElement.scrollWidth")
        wide = await page.evaluate(OVERFLOWING)  # the innermost elements wider than their box
        raise AssertionError(f"{path} is {width} px wide at 390 px: {wide}") from None
    finally:
        await page.set_viewport_size({"width": 1200, "height": 1400})


async def open_screen(page: Page, name: str) -> None:
    """Follow the admin navigation's link."""
    await page.get_by_role("navigation", name="Admin").get_by_role("link", name=name).click()
    await page.get_by_role("heading", name=name, level=1).wait_for(timeout=30_000)


async def members_and_invitations(page: Page, stack: str, newcomer: str, revoked: str, viewer: str) -> str:
    """Change a role, invite two people with the keyboard, revoke one; the link shown once."""
    await open_screen(page, "Members")
    await page.get_by_label(f"Role of {viewer}", exact=True).select_option("editor")
    await page.get_by_role("button", name=f"Change the role of {viewer}").click()
    await page.get_by_role("status").filter(has_text=f"{viewer} is now editor.").wait_for(timeout=30_000)

    for email, role in ((newcomer, "contributor"), (revoked, "viewer")):
        await page.get_by_label("Email").focus()
        await page.keyboard.type(email)
        await page.keyboard.press("Tab")  # to the role
        await page.get_by_label("Role", exact=True).select_option(role)
        await page.keyboard.press("Tab")  # to the button
        await page.keyboard.press("Enter")
        await page.get_by_role("cell", name=email, exact=True).wait_for(timeout=30_000)
        if email == newcomer:
            field = page.get_by_label(f"Invitation link for {newcomer} (contributor)")
            link = await field.input_value()
            assert link.startswith(f"{stack}/invite/dam_inv_"), link
            assert await page.get_by_text("Shown once.").is_visible()
            await page.get_by_role("button", name="Done").click()
            await field.wait_for(state="detached")

    await page.get_by_role("button", name=f"Revoke the invitation of {revoked}").press("Enter")
    confirm = page.get_by_role("button", name="Yes, revoke")
    assert await confirm.evaluate("(b) => b === document.activeElement")  # focus moved to the question
    await page.keyboard.press("Enter")
    await page.get_by_role("cell", name=revoked, exact=True).wait_for(state="detached", timeout=30_000)
    assert await page.get_by_role("cell", name=newcomer, exact=True).is_visible()
    return link


async def api_key_shown_once(page: Page, stack: str, name: str) -> None:
    """Make a key, see its secret once (it works), revoke it (it is refused)."""
    await open_screen(page, "Keys")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Role", exact=True).select_option("viewer")
    await page.get_by_role("button", name="Make key").click()
    field = page.get_by_label(f"API key {name}")
    secret = await field.input_value()
    assert secret.startswith("dam_live_"), secret
    await page.get_by_role("button", name="Copy").wait_for()
    async with httpx.AsyncClient(base_url=stack, timeout=30) as api:
        assert (await api.get("/auth/me", headers=bearer(secret))).status_code == 200
        await page.get_by_role("button", name="Done").click()
        await field.wait_for(state="detached")
        assert secret not in await page.content()  # shown once: gone from the page
        await page.get_by_role("button", name=f"Revoke the key {name}").click()
        await page.get_by_role("button", name="Yes, revoke").click()
        said = page.get_by_role("status").filter(has_text=f"The key {name} was revoked")
        await said.wait_for(timeout=30_000)
        row = page.get_by_role("row").filter(has_text=name)
        assert "revoked" in await row.inner_text()
        assert await row.get_by_role("button").count() == 0  # nothing left to revoke
        assert (await api.get("/auth/me", headers=bearer(secret))).status_code == 401


async def schema_with_a_bad_field(page: Page) -> None:
    """The API's 422 names the field; the field is marked and focused; fixed, it saves."""
    await open_screen(page, "Settings")
    await page.get_by_role("button", name="Add field").click()
    key = page.get_by_label("Key", exact=True)
    assert await key.evaluate("(k) => k === document.activeElement")
    await key.fill("bad key!")
    await page.get_by_label("Label", exact=True).fill("Status")
    await page.get_by_label("Type", exact=True).select_option("enum")
    await page.get_by_label("Options (one per line)").fill("draft\nfinal")
    await page.get_by_label("Facet (filter in search)").check()  # not required: uploads follow
    await page.get_by_role("button", name="Save schema").click()
    alert = page.get_by_role("alert")
    await alert.wait_for(timeout=30_000)
    message = await alert.inner_text()
    assert message.startswith('fields[0].key: "bad key!" must be 1 to 64 of'), message
    assert await key.get_attribute("aria-invalid") == "true"
    assert await key.evaluate("(k) => k === document.activeElement")
    await key.fill("status")
    await page.get_by_role("button", name="Save schema").click()
    await page.get_by_role("status").filter(has_text="Saved: 1 field.").wait_for(timeout=30_000)
    await page.reload()  # stored, not only shown
    await page.get_by_role("group", name="Field 1: status").wait_for(timeout=30_000)


async def audit_filtered_and_paged(page: Page, stack: str, admin_key: str) -> None:
    """Over 50 keys made: filtered by key.create, a page of 50, then the rest by cursor."""
    async with httpx.AsyncClient(base_url=stack, headers=bearer(admin_key), timeout=30) as api:
        for i in range(55):
            made = await api.post("/keys", json={"role": "viewer", "name": f"audit-{i}"})
            assert made.status_code == 201, made.text
        logged = await api.get("/audit", params={"action": "key.create", "limit": 500})
        total = len(logged.json()["items"])
    assert 50 < total < 500
    await open_screen(page, "Audit log")
    await page.get_by_label("Action", exact=True).select_option("key.create")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url(lambda url: "action=key.create" in url, timeout=30_000)
    rows = page.get_by_role("region", name="Audit entries").locator("tbody tr")
    await page.wait_for_function("() => document.querySelectorAll('tbody tr').length === 50", timeout=30_000)
    assert set(await rows.locator("td:nth-child(2)").all_inner_texts()) == {"key.create"}
    await page.get_by_role("button", name="Older entries").click()
    await page.wait_for_function(
        "(n) => document.querySelectorAll('tbody tr').length === n", arg=total, timeout=30_000
    )
    assert await page.get_by_role("button", name="Older entries").count() == 0
    await page.reload()  # the filter is in the URL
    assert await page.get_by_label("Action", exact=True).input_value() == "key.create"


async def webhook_tested(page: Page) -> None:
    """Add an endpoint (its secret shown once), send it a test event, see the attempt recorded (the
    name does not resolve here: the attempt fails with the reason, and is retried)."""
    await open_screen(page, "Webhooks")
    url = "https://hooks.example.invalid/dam"
    await page.get_by_label("URL", exact=True).fill(url)
    await page.get_by_role("button", name="Add endpoint").click()
    field = page.get_by_label(f"Signing secret of {url}")
    assert (await field.input_value()).startswith("whsec_")
    await page.get_by_role("button", name="Done").click()
    await field.wait_for(state="detached")
    await page.get_by_role("button", name=f"Send a test event to {url}").click()
    sent = page.get_by_role("region", name=f"Deliveries to {url}")
    await sent.get_by_text("webhook.test").wait_for(timeout=30_000)
    deadline = time.monotonic() + 60
    while not await sent.get_by_text(" ms)").count():
        assert time.monotonic() < deadline, await sent.inner_text()
        await sent.get_by_role("button", name="Refresh").click()
        await page.wait_for_timeout(500)


async def jobs_rerun(page: Page, stack: str, admin_key: str) -> None:
    async with httpx.AsyncClient(base_url=stack, headers=bearer(admin_key), timeout=30) as api:
        bad = await ingest(api, api, b"not an image", "bad.png", "image/png")  # type: ignore[arg-type]
        await wait_for_status(api, bad, "failed", within=60)  # type: ignore[arg-type]
    await open_screen(page, "Jobs")
    await page.get_by_role("heading", name="Failed assets").wait_for(timeout=30_000)
    # Every work queue has its line, the enrich queue's among them.
    queues = page.get_by_role("region", name="Queues")
    for name in ("media", "transcode", "enrich"):
        await queues.get_by_text(name, exact=True).wait_for(timeout=30_000)
    button = page.get_by_role("button", name="Re-run bad.png")
    await button.wait_for(timeout=30_000)
    async with page.expect_response(lambda r: r.url.endswith(f"/assets/{bad}/reprocess")) as rerun:
        await button.click()
    assert (await rerun.value).status == 202


async def accept_in_the_app(
    page: Page, stack: str, link: str, workspace: Workspace, problems: list[str]
) -> None:
    """A guest (no cookie of the admin's) opens the app's page for the link and joins."""
    browser = page.context.browser
    assert browser is not None
    guest_context = await browser.new_context()
    try:
        guest = await guest_context.new_page()
        watch(guest, problems)
        await guest.goto(link)  # the link as shown leads to the app's page
        await guest.get_by_label("New password", exact=True).fill("a passphrase of the new hire's own")
        await guest.get_by_label("New password again").fill("a passphrase of the new hire's own")
        await guest.get_by_role("button", name="Create my account and join").click()
        done = guest.get_by_role("status").filter(has_text="You have joined")
        await done.wait_for(timeout=30_000)
        assert f"{workspace.name} (contributor)" in await done.inner_text()
        await guest.get_by_role("link", name="Open the library").click()
        await guest.get_by_role("combobox", name="Search").wait_for(timeout=30_000)
        assert await guest.get_by_role("link", name="Admin").count() == 0
    finally:
        await guest_context.close()


async def test_an_admin_works_every_admin_screen(
    stack: str, page: Page, identities: Identities, workspace: Workspace, artifacts_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    admin, _ = await identities.user(workspace, "admin")
    viewer, _ = await identities.user(workspace, "viewer")
    admin_key = await identities.key(workspace, "admin")
    problems: list[str] = []
    watch(page, problems, frozenset({(422, "/workspace/schema")}))
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)

    await sign_in(page, stack, admin, PASSWORD)
    library = set(scripts)
    await page.get_by_role("link", name="Admin").click()
    await page.get_by_role("navigation", name="Admin").wait_for(timeout=30_000)
    assert set(scripts) - library, "the admin screens load their own code on demand"

    link = await members_and_invitations(
        page, stack, f"new-{tag}@corp.example", f"revoked-{tag}@corp.example", viewer
    )
    await api_key_shown_once(page, stack, f"ci-{tag}")
    await schema_with_a_bad_field(page)
    await audit_filtered_and_paged(page, stack, admin_key)
    await jobs_rerun(page, stack, admin_key)
    await webhook_tested(page)
    await accept_in_the_app(page, stack, link, workspace, problems)

    for name in SCREENS:
        await page.goto(f"{stack}/app/admin/{name}")
        await page.get_by_role("heading", level=1).wait_for(timeout=30_000)
        await page.wait_for_load_state("networkidle")
        await fits_a_phone(page, name)
        await screen(page, artifacts_dir, f"web-app-admin-{name}", full_page=True)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("role", ["viewer", "editor"])
async def test_admin_screens_tell_others_they_are_not_allowed(
    stack: str, page: Page, identities: Identities, workspace: Workspace, role: str
) -> None:
    email, _ = await identities.user(workspace, role)
    problems: list[str] = []
    watch(page, problems)
    await sign_in(page, stack, email, PASSWORD)
    assert await page.get_by_role("link", name="Admin").count() == 0
    for path in ("", *SCREENS):
        await page.goto(f"{stack}/app/admin/{path}")
        await page.get_by_role("heading", name="Not allowed").wait_for(timeout=30_000)
        assert f"Your role in {workspace.name} is {role}." in await page.locator("main").inner_text()
        assert await page.get_by_role("navigation", name="Admin").count() == 0
    await assert_accessible(page, "not allowed")
    await page.get_by_role("link", name="Back to the library").click()
    await page.get_by_role("combobox", name="Search").wait_for(timeout=30_000)
    assert problems == [], "\n".join(problems)
