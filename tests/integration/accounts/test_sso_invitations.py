"""Accepting an invitation with single sign-on (issue 29, item 1), against a local OpenID Connect
provider (oidc-provider-mock): the provider's verified address must be the invited one; a new
address gets an account linked to the identity; an account of that address not linked to it is
refused; a link no longer acceptable is refused before the provider is asked."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient
from oidc_provider_mock import User, run_server_in_thread
from playwright.async_api import Page

from dam.api.app import create_app
from dam.db.pool import Pool
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.accounts import Identities, bearer
from tests.support.processes import dam, env_of

Client = AsyncTestClient[Any]


async def through_provider(api: Client, token: str, sub: str) -> httpx.Response:
    """Start a sign-in from the invitation's link, sign in at the provider as ``sub``, and bring its
    answer back to the browser that started: the callback's answer."""
    api.cookies.clear()
    start = await api.get("/auth/oidc/login", params={"invitation": token}, follow_redirects=False)
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient(timeout=30) as at_provider:
        chosen = await at_provider.post(start.headers["location"], data={"sub": sub})
    assert chosen.status_code == 302, chosen.text
    back = urlsplit(chosen.headers["location"])
    return await api.get(f"{back.path}?{back.query}", follow_redirects=False)


def refusal(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert location.path == "/"
    assert not any(c.startswith("dam_session=") for c in answer.headers.get_list("set-cookie"))
    (reason,) = parse_qs(location.query)["sso_error"]
    return reason


async def invite(api: Client, admin: dict[str, str], email: str, role: str) -> str:
    made = await api.post("/invitations", json={"email": email, "role": role}, headers=admin)
    assert made.status_code == 201, made.text
    return str(made.json()["link"]).rsplit("/", 1)[1]


async def state(pool: Pool, token_email: str) -> tuple[int, int]:
    """How many accounts and identity links that address has."""
    row = await pool.fetchrow(
        """SELECT count(DISTINCT u.id) AS users, count(i.subject) AS links FROM users u
           LEFT JOIN user_identities i ON i.user_id = u.id WHERE u.email_key = $1""",
        token_email.casefold(),
    )
    assert row is not None
    return int(row["users"]), int(row["links"])


async def test_an_invitation_is_accepted_with_single_sign_on(
    make_settings: Callable[..., Settings], identities: Identities, accounts_pool: Pool
) -> None:
    tag = uuid.uuid4().hex[:8]
    invited = f"New.Hire-{tag}@Corp.example"  # the provider writes it in lower case
    other = f"someone-{tag}@corp.example"
    space = await identities.workspace()
    elsewhere = await identities.workspace()
    existing, _ = await identities.user(elsewhere, "viewer")  # made with a password, never linked
    people = {
        "newcomer": User(sub=f"new-{tag}", claims={"email": invited.lower(), "email_verified": True}),
        "other": User(sub=f"other-{tag}", claims={"email": other, "email_verified": True}),
        "unverified": User(sub=f"unv-{tag}", claims={"email": invited.lower(), "email_verified": False}),
        "existing": User(sub=f"ex-{tag}", claims={"email": existing, "email_verified": True}),
    }
    with run_server_in_thread(port=0, require_nonce=True, user_claims=list(people.values())) as server:
        issuer = f"http://localhost:{server.server_port}"
        settings = make_settings(
            DAM_OIDC_ISSUER=issuer, DAM_OIDC_CLIENT_ID="dam-tests", DAM_OIDC_CLIENT_SECRET="s3cret",
            DAM_OIDC_WORKSPACE=f"sso-{tag}",  # DAM_OIDC_CREATE_USERS is off: the invitation consents
        )  # fmt: skip
        async with AsyncTestClient(app=create_app(settings)) as api:
            admin = bearer(await identities.key(space, "admin"))
            token = await invite(api, admin, invited, "editor")
            # Another address than the invited one, or one the provider has not verified: refused,
            # nothing made, nothing accepted.
            assert "another address" in refusal(await through_provider(api, token, people["other"].sub))
            assert "verified" in refusal(await through_provider(api, token, people["unverified"].sub))
            assert await state(accounts_pool, invited) == (0, 0)
            assert await state(accounts_pool, other) == (0, 0)
            pending = (await api.get("/invitations", headers=admin)).json()
            assert [p["email"] for p in pending] == [invited]
            # The invited address, verified: an account linked to the identity joins with the role.
            done = await through_provider(api, token, people["newcomer"].sub)
            assert done.status_code == 302, done.text
            assert done.headers["location"] == "/"
            session = {"Cookie": f"dam_session={done.cookies['dam_session']}"}
            api.cookies.clear()
            me = (await api.get("/auth/me", headers=session)).json()
            assert me["user"]["email"] == invited
            assert [(w["id"], w["role"]) for w in me["workspaces"]] == [(str(space.id), "editor")]
            assert await state(accounts_pool, invited) == (1, 1)
            link = await accounts_pool.fetchrow(
                """SELECT i.issuer, i.subject, u.email_verified FROM user_identities i
                   JOIN users u ON u.id = i.user_id WHERE u.email_key = $1""",
                invited.casefold(),
            )
            assert link is not None
            assert dict(link.items()) == {"issuer": issuer, "subject": f"new-{tag}", "email_verified": True}
            members = {m["email"]: m for m in (await api.get("/members", headers=admin)).json()}
            assert (members[invited]["role"], members[invited]["email_verified"]) == ("editor", True)
            accepted = await accounts_pool.fetchval(
                """SELECT detail FROM audit_log WHERE action = 'invitation.accept'
                   AND detail->>'email' = $1""",
                invited,
            )
            assert accepted == {"email": invited, "role": "editor", "account_created": True, "sso": issuer}
            assert (await api.get("/invitations", headers=admin)).json() == []
            # The link is used: a second use is 410, by password or by single sign-on.
            again = await api.post(f"/invitations/{token}/accept", json={"password": "a new passphrase 123"})
            assert again.status_code == 410, again.text
            at_login = await api.get("/auth/oidc/login", params={"invitation": token}, follow_redirects=False)
            assert at_login.status_code == 410, at_login.text
            unknown = await api.get(
                "/auth/oidc/login", params={"invitation": "dam_inv_" + "x" * 43}, follow_redirects=False
            )
            assert unknown.status_code == 404, unknown.text
            # The linked account, signed in as itself, accepts another workspace's invitation.
            second = await invite(api, bearer(await identities.key(elsewhere, "admin")), invited, "viewer")
            joined = await through_provider(api, second, people["newcomer"].sub)
            assert joined.headers["location"] == "/", joined.headers["location"]
            assert await state(accounts_pool, invited) == (1, 1)
            api.cookies.clear()
            me = (await api.get("/auth/me", headers=session)).json()
            assert {w["id"] for w in me["workspaces"]} == {str(space.id), str(elsewhere.id)}
            # An account of the invited address made with a password, not linked: refused, not linked.
            third = await invite(api, admin, existing, "editor")
            why = refusal(await through_provider(api, third, people["existing"].sub))
            assert "not linked" in why, why
            assert await state(accounts_pool, existing) == (1, 0)
            assert [p["email"] for p in (await api.get("/invitations", headers=admin)).json()] == [existing]


async def test_allowed_domains_still_hold_for_an_invitation(
    make_settings: Callable[..., Settings], identities: Identities, accounts_pool: Pool
) -> None:
    """An account made outside ``DAM_OIDC_ALLOWED_DOMAINS`` could never sign in through the provider
    again: such an invitation is accepted with a password, not with single sign-on."""
    tag = uuid.uuid4().hex[:8]
    invited = f"outsider-{tag}@elsewhere.test"
    person = User(sub=f"out-{tag}", claims={"email": invited, "email_verified": True})
    with run_server_in_thread(port=0, require_nonce=True, user_claims=[person]) as server:
        settings = make_settings(
            DAM_OIDC_ISSUER=f"http://localhost:{server.server_port}", DAM_OIDC_CLIENT_ID="dam-tests",
            DAM_OIDC_CLIENT_SECRET="s3cret",
            DAM_OIDC_WORKSPACE=f"sso-{tag}", DAM_OIDC_ALLOWED_DOMAINS="newsroom.test",
        )  # fmt: skip
        async with AsyncTestClient(app=create_app(settings)) as api:
            space = await identities.workspace()
            token = await invite(api, bearer(await identities.key(space, "admin")), invited, "viewer")
            assert "elsewhere.test" in refusal(await through_provider(api, token, person.sub))
            assert await state(accounts_pool, invited) == (0, 0)


@pytest.mark.browser
@pytest.mark.slow
async def test_the_invite_page_accepts_with_single_sign_on_in_chromium(
    settings: Settings, page: Page, process_logs: Path, identities: Identities
) -> None:
    tag = uuid.uuid4().hex[:8]
    invited = f"ana-{tag}@corp.example"
    person = User(sub=f"ana-{tag}", claims={"email": invited, "email_verified": True})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    space = await identities.workspace()
    with run_server_in_thread(port=0, require_nonce=True, user_claims=[person]) as provider:
        (port,) = free_ports(1)
        origin = f"http://127.0.0.1:{port}"
        env = env_of(
            settings, DAM_PORT=str(port), DAM_CORS_ORIGINS=origin, DAM_PUBLIC_URL=origin,
            DAM_OIDC_ISSUER=f"http://localhost:{provider.server_port}", DAM_OIDC_CLIENT_ID="dam-page",
            DAM_OIDC_CLIENT_SECRET="s3cret", DAM_OIDC_WORKSPACE=f"sso-{tag}", DAM_OIDC_NAME="Newsroom ID",
        )  # fmt: skip
        async with dam("api", env=env, log_dir=process_logs) as api:
            await api.healthy(origin + "/health")
            async with httpx.AsyncClient(base_url=origin, timeout=30) as client:
                made = await client.post(
                    "/invitations", json={"email": invited, "role": "editor"},
                    headers=bearer(await identities.key(space, "admin")),
                )  # fmt: skip
            assert made.status_code == 201, made.text
            link = made.json()["link"]
            await page.goto(link)  # the web app's page of the link
            button = page.get_by_role("link", name="Sign in with Newsroom ID")
            await button.wait_for(timeout=30_000)
            await button.click()
            await page.locator("button", has_text=person.sub).click()  # the provider's page
            await page.wait_for_url(f"{origin}/**", timeout=30_000)
            search = page.get_by_role("combobox", name="Search")
            await search.wait_for(timeout=30_000)  # signed in, in the library
            bar = await page.locator("header.bar").inner_text()
            assert invited in bar
            assert "(editor)" in bar
            gone = await page.goto(link)  # the link is used
            assert gone is not None
            assert gone.status == 410
            assert "Invitation not valid" in await page.locator("h1").inner_text()
            api.assert_running("after accepting with single sign-on")
    assert errors == []
