"""Signing in to the web app (#32) in Chromium against the real stack: single sign-on through a real
OpenID Connect provider on loopback (oidc-provider-mock) back to the address it started from, no
failed request before anyone signed in, the workspace menu of a member of several workspaces, and a
session that ends: a clear page, and signing in again returns to the same screen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.async_api import Page

from dam.domain.access import Role
from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities
from tests.support.stack import running
from tests.support.webapp import THUMBNAILS_LOADED, pictures, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ENDED = "Your session has ended: sign in again."


@pytest.fixture
async def stack(settings: Settings, process_logs: Path) -> AsyncIterator[str]:
    async with running(settings, process_logs) as origin:
        yield origin


async def password_sign_in(page: Page, email: str, password: str) -> None:
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in", exact=True).click()


async def test_single_sign_on_returns_to_the_address_it_started_from(
    settings: Settings, page: Page, process_logs: Path, artifacts_dir: Path
) -> None:
    sub = f"ana-{uuid.uuid4().hex[:8]}"
    email = f"{sub}@newsroom.test"
    person = User(sub=sub, claims={"email": email, "email_verified": True, "groups": ["dam-editors"]})
    with run_server_in_thread(port=0, require_nonce=True, user_claims=[person]) as provider:
        extra = {
            "DAM_OIDC_ISSUER": f"http://localhost:{provider.server_port}", "DAM_OIDC_CLIENT_ID": "dam-app",
            "DAM_OIDC_CLIENT_SECRET": "s3cret", "DAM_OIDC_CREATE_USERS": "true",
            "DAM_OIDC_WORKSPACE": f"sso-{uuid.uuid4().hex[:8]}", "DAM_OIDC_ROLE_CLAIM": "groups",
            "DAM_OIDC_ROLE_MAP": "dam-editors=editor", "DAM_OIDC_NAME": "Newsroom ID",
        }  # fmt: skip
        async with running(settings, process_logs, **extra) as origin:
            problems: list[str] = []
            watch(page, problems)
            await page.goto(f"{origin}/app/?q=harbour&sort=oldest")
            button = page.get_by_role("link", name="Sign in with Newsroom ID")
            await button.wait_for(timeout=30_000)
            # Asking whether anyone is signed in failed nothing and logged nothing.
            assert problems == [], "\n".join(problems)
            await page.screenshot(path=str(artifacts_dir / "web-app-sign-in.png"))
            await button.click()
            # The provider's page (not ours) asks a CDN for its style sheet and has no favicon.
            await page.wait_for_url(f"http://localhost:{provider.server_port}/**", timeout=30_000)
            await page.wait_for_load_state("networkidle")
            problems.clear()
            await page.locator("button", has_text=sub).click()  # sign in as them
            search = page.get_by_role("combobox", name="Search")
            await search.wait_for(timeout=30_000)
            assert page.url == f"{origin}/app/?q=harbour&sort=oldest"  # where the sign-in started
            assert await search.input_value() == "harbour"
            bar = await page.locator("header.bar").inner_text()
            assert email in bar
            assert "(editor)" in bar  # the provider's group mapped to a role
            assert problems == [], "\n".join(problems)
            await page.screenshot(path=str(artifacts_dir / "web-app-sso-signed-in.png"))


async def test_workspace_switch_and_a_session_that_ends(
    stack: str, page: Page, identities: Identities, workspace: Workspace, database_url: str,
    artifacts_dir: Path,
) -> None:  # fmt: skip
    tag = uuid.uuid4().hex[:6]
    second = await identities.workspace()
    email, password = await identities.user(workspace, "viewer")
    await identities.accounts.create_user(email, None, second, Role.EDITOR)
    here, there = f"Otter{tag} here", f"Heron{tag} there"
    await pictures(stack, await identities.key(workspace, "editor"), [{"title": here}])
    (theirs,) = await pictures(stack, await identities.key(second, "editor"), [{"title": there}])
    problems: list[str] = []
    watch(page, problems)
    await page.goto(f"{stack}/app/")
    await password_sign_in(page, email, password)
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[here], timeout=30_000)

    # The menu lists both workspaces; choosing the other one shows its library, and only its.
    menu = page.get_by_role("combobox", name="Workspace")
    assert await menu.locator("option").all_inner_texts() == [
        f"{workspace.name} (viewer)",
        f"{second.name} (editor)",
    ]
    await menu.select_option(label=f"{second.name} (editor)")
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[there], timeout=30_000)
    assert await page.locator(".tile img").evaluate_all("imgs => imgs.map((i) => i.alt)") == [there]
    await page.screenshot(path=str(artifacts_dir / "web-app-workspaces.png"))
    await page.reload()  # the browser remembers the choice
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[there], timeout=30_000)
    assert await page.get_by_role("combobox", name="Workspace").input_value() == str(second.id)

    # The session ends (as after the idle timeout, or a password changed elsewhere).
    await page.get_by_role("combobox", name="Search").fill(f"heron{tag}")
    await page.wait_for_url(lambda url: "q=heron" in url, timeout=30_000)
    await page.wait_for_function(THUMBNAILS_LOADED, arg=[there], timeout=30_000)
    await page.keyboard.press("Escape")  # the suggestions close
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = $1)", email
        )
    finally:
        await conn.close()
    await page.get_by_role("link", name=there).click()  # opening the asset finds the session gone
    await page.get_by_role("status").filter(has_text=ENDED).wait_for(timeout=30_000)
    assert f"view={theirs}" in page.url
    await page.screenshot(path=str(artifacts_dir / "web-app-session-ended.png"))
    # Signing in again returns to the same screen: the search, the viewer, the workspace.
    await password_sign_in(page, email, password)
    dialog = page.get_by_role("dialog", name=there)
    await dialog.wait_for(timeout=30_000)
    assert f"view={theirs}" in page.url
    assert "q=heron" in page.url
    assert await page.get_by_role("combobox", name="Workspace").input_value() == str(second.id)
    # The one failed request: the read that found the session gone.
    assert [p for p in problems if "401" not in p] == [], "\n".join(problems)
    assert len([p for p in problems if p.startswith("401")]) == 1, problems
