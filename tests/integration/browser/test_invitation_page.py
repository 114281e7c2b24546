"""Invitations in a real browser (Debian's Chromium driven by Playwright) against a served API: an admin
invites from the page and sees the link once, a new person accepts it with a password, an existing
account signs in on the invitation's page and accepts, and a revoked invitation leaves the list."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Page

from dam.domain.accounts import Workspace
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.accounts import PASSWORD, Identities
from tests.support.browser import sign_in
from tests.support.processes import dam, env_of
from tests.support.store import allow_origin

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHOSEN = "a passphrase of the new hire's own"


async def invite(page: Page, email: str, role: str) -> str:
    """Invite through the People section; the link it shows once."""
    await page.fill("#invite-email", email)
    await page.select_option("#invite-role", role)
    await page.click("#invite-form button[type=submit]")
    await page.locator("#invite-made").wait_for(state="visible", timeout=15_000)
    link = await page.input_value("#invite-link")
    await page.locator("#invitations li", has_text=email).wait_for(timeout=15_000)
    return link


async def test_invite_accept_and_revoke_in_the_page(
    settings: Settings, page: Page, process_logs: Path, identities: Identities, workspace: Workspace
) -> None:
    (port,) = free_ports(1)
    origin = f"http://127.0.0.1:{port}"
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    admin, _ = await identities.user(workspace, "admin")
    existing, _ = await identities.user(await identities.workspace(), "viewer")
    newcomer = f"new.hire-{uuid.uuid4().hex[:8]}@corp.example"
    env = env_of(settings, DAM_PORT=str(port), DAM_CORS_ORIGINS=origin)
    allow_origin(settings, origin)
    async with dam("api", env=env, log_dir=process_logs) as api:
        await api.healthy(origin + "/health")
        await sign_in(page, origin, admin, PASSWORD)
        await page.locator("#people").wait_for(state="visible", timeout=15_000)
        link_new = await invite(page, newcomer, "contributor")
        assert link_new.startswith(f"{origin}/invite/dam_inv_")
        link_existing = await invite(page, existing, "editor")
        revoked = f"revoked-{uuid.uuid4().hex[:8]}@corp.example"
        await invite(page, revoked, "viewer")
        await page.locator("#invitations li", has_text=revoked).get_by_role("button", name="Revoke").click()
        await page.locator("#invitations li", has_text=revoked).wait_for(state="detached", timeout=15_000)

        browser = page.context.browser
        assert browser is not None
        for link, fill in ((link_new, "new"), (link_existing, "existing")):
            guest_context = await browser.new_context()  # another person: no cookies of the admin's
            guest = await guest_context.new_page()
            guest.on("pageerror", lambda exc: errors.append(str(exc)))
            await guest.goto(link)
            if fill == "new":
                await guest.locator("#new-account").wait_for(state="visible", timeout=15_000)
                await guest.fill("#new-password", CHOSEN)
                await guest.fill("#new-password2", CHOSEN)
                await guest.click("#create button[type=submit]")
            else:
                await guest.locator("#existing").wait_for(state="visible", timeout=15_000)
                await guest.fill("#email", existing)
                await guest.fill("#password", PASSWORD)
                await guest.click("#login button[type=submit]")
            done = guest.locator("#invite-done")
            await done.wait_for(state="visible", timeout=15_000)
            assert workspace.name in await done.inner_text()
            await guest.goto(link)  # a link works once
            assert "Invitation not valid" in await guest.locator("h1").inner_text()
            await guest_context.close()

        await page.reload()
        await page.locator("#members li", has_text=newcomer).wait_for(timeout=15_000)
        members = await page.locator("#members").inner_text()
        assert f"{newcomer} (address not verified)" in members
        assert existing in members
        assert f"{existing} (address not verified)" not in members
        role = page.locator("#members li", has_text=existing).locator("select")
        assert await role.input_value() == "editor"
        assert (await page.locator("#invitations").inner_text()).strip() == "none"
        api.assert_running("after the page's invitations")
    assert errors == []
