"""Single sign-on against a local OpenID Connect provider (oidc-provider-mock): the flow (in
Chromium: tests/integration/browser/test_web_app_signin.py), and every refusal (state, nonce,
audience, issuer, expiry, key) making no user."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import msgspec
from litestar.testing import AsyncTestClient
from oidc_provider_mock import User, run_server_in_thread

from dam.api.app import create_app
from dam.db.pool import Pool
from dam.settings import Settings
from tests.support.idp import MODES, crafting_provider
from tests.support.sso import refusal, sign_in_flow, signed_in

Client = AsyncTestClient[Any]


async def users(pool: Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM users"))


async def test_every_bad_answer_is_refused_and_makes_no_user(
    make_settings: Callable[..., Settings], accounts_pool: Pool
) -> None:
    email = f"sso-{uuid.uuid4().hex[:8]}@example.test"
    with crafting_provider("dam-tests") as provider:
        provider.claims = {"email": email, "email_verified": True, "sub": f"crafted-{uuid.uuid4().hex}"}
        settings = make_settings(
            DAM_OIDC_ISSUER=provider.issuer, DAM_OIDC_CLIENT_ID="dam-tests", DAM_OIDC_CLIENT_SECRET="s3cret",
            DAM_OIDC_CREATE_USERS="true", DAM_OIDC_WORKSPACE=f"sso-{uuid.uuid4().hex[:8]}",
        )  # fmt: skip
        async with AsyncTestClient(app=create_app(settings)) as api:
            before = await users(accounts_pool)
            reasons = {}
            for mode in MODES[1:]:
                provider.mode = mode
                reasons[mode] = refusal(await sign_in_flow(api))
            forged = await api.get("/auth/oidc/callback?state=forged&code=anything", follow_redirects=False)
            reasons["wrong-state"] = refusal(forged)
            assert await users(accounts_pool) == before, reasons
            assert "aud" in reasons["wrong-audience"]
            assert "iss" in reasons["wrong-issuer"]
            assert "expired" in reasons["expired"]
            assert "key" in reasons["unknown-key"]
            assert "nonce" in reasons["replayed-nonce"]
            assert "state" in reasons["wrong-state"]
            # The right answer signs in (and makes the user, as configured), once: its state is spent.
            provider.mode = "ok"
            urls: list[str] = []
            signed = await sign_in_flow(api, lambda url: urls.append(url) or url)  # type: ignore[func-returns-value]
            assert signed.status_code == 302, signed.text
            assert signed.headers["location"] == "/"
            session = signed.cookies["dam_session"]
            api.cookies.clear()
            me = (await api.get("/auth/me", headers={"Cookie": f"dam_session={session}"})).json()
            assert me["user"]["email"] == email
            assert me["workspace"]["role"] == "viewer"
            assert await users(accounts_pool) == before + 1
            again = await api.get(urls[0], follow_redirects=False)
            assert "state" in refusal(again)
            # The same identity signs in again as the same user; another with its address does not.
            assert (await sign_in_flow(api)).headers["location"] == "/"
            provider.claims = {**provider.claims, "sub": "someone-else"}
            assert "exists already" in refusal(await sign_in_flow(api))
            assert await users(accounts_pool) == before + 1


async def test_domains_and_roles_come_from_the_configuration(
    make_settings: Callable[..., Settings], accounts_pool: Pool
) -> None:
    with crafting_provider("dam-tests") as provider:
        settings = make_settings(
            DAM_OIDC_ISSUER=provider.issuer, DAM_OIDC_CLIENT_ID="dam-tests", DAM_OIDC_CREATE_USERS="true",
            DAM_OIDC_WORKSPACE=f"sso-{uuid.uuid4().hex[:8]}", DAM_OIDC_ALLOWED_DOMAINS="newsroom.test",
            DAM_OIDC_ROLE_CLAIM="groups", DAM_OIDC_ROLE_MAP="dam-editors=editor,dam-admins=admin",
        )  # fmt: skip
        async with AsyncTestClient(app=create_app(settings)) as api:
            provider.claims = {"email": "x@elsewhere.test", "email_verified": True, "sub": uuid.uuid4().hex}
            assert "elsewhere.test" in refusal(await sign_in_flow(api))
            provider.claims = {"email": "x@newsroom.test", "email_verified": False, "sub": uuid.uuid4().hex}
            assert "verified" in refusal(await sign_in_flow(api))
            # A token that does not say the address is verified counts as saying it is not.
            provider.claims = {"email": "y@newsroom.test", "sub": uuid.uuid4().hex}
            assert "verified" in refusal(await sign_in_flow(api))
            email = f"e-{uuid.uuid4().hex[:8]}@newsroom.test"
            groups = ["staff", "dam-editors"]
            provider.claims = {
                "email": email,
                "email_verified": True,
                "sub": uuid.uuid4().hex,
                "groups": groups,
            }
            signed = await sign_in_flow(api)
            assert signed.headers["location"] == "/"
            cookie = {"Cookie": f"dam_session={signed.cookies['dam_session']}"}
            api.cookies.clear()
            assert (await api.get("/auth/me", headers=cookie)).json()["workspace"]["role"] == "editor"
        # ... unless the deployment says this provider gives verified addresses only (false still is not).
        trusting = msgspec.structs.replace(
            settings, oidc=msgspec.structs.replace(settings.oidc, trust_unverified_email=True)
        )
        async with AsyncTestClient(app=create_app(trusting)) as api:
            provider.claims = {"email": f"t-{uuid.uuid4().hex[:8]}@newsroom.test", "sub": uuid.uuid4().hex}
            assert (await sign_in_flow(api)).headers["location"] == "/"
            provider.claims = {**provider.claims, "email_verified": False, "sub": uuid.uuid4().hex}
            assert "verified" in refusal(await sign_in_flow(api))
        disabled = make_settings()
        async with AsyncTestClient(app=create_app(disabled)) as api:
            assert (await api.get("/auth/providers")).json() == {"password": True, "oidc": None}
            assert (await api.get("/auth/oidc/login", follow_redirects=False)).status_code == 404


async def test_a_callback_signs_in_only_the_browser_that_started_it(
    make_settings: Callable[..., Settings], accounts_pool: Pool
) -> None:
    """Login CSRF (RFC 9700 §4.7): someone starts a sign-in, lets their provider answer, and sends
    the callback URL (their own code and state) to another browser, which must not end up signed in
    to their account."""
    sub = f"mallory-{uuid.uuid4().hex[:8]}"
    mallory = User(sub=sub, claims={"email": f"{sub}@newsroom.test", "email_verified": True})
    with run_server_in_thread(port=0, require_nonce=True, user_claims=[mallory]) as server:
        settings = make_settings(
            DAM_OIDC_ISSUER=f"http://localhost:{server.server_port}", DAM_OIDC_CLIENT_ID="dam-tests",
            DAM_OIDC_CLIENT_SECRET="s3cret", DAM_OIDC_CREATE_USERS="true",
            DAM_OIDC_WORKSPACE=f"sso-{uuid.uuid4().hex[:8]}",
        )  # fmt: skip

        async def unvisited_callback(browser: Client) -> tuple[str, httpx.Response]:
            """Mallory's sign-in, up to the provider's answer: the callback URL she does not open."""
            start = await browser.get("/auth/oidc/login", follow_redirects=False)
            assert start.status_code == 302, start.text
            assert start.headers["set-cookie"].startswith("dam_sso=")
            assert {"httponly", "samesite=lax"} <= {
                p.strip().lower() for p in start.headers["set-cookie"].split(";")
            }
            async with httpx.AsyncClient(timeout=30) as at_provider:
                chosen = await at_provider.post(start.headers["location"], data={"sub": sub})
            assert chosen.status_code == 302, chosen.text
            back = urlsplit(chosen.headers["location"])
            return f"{back.path}?{back.query}", start

        before = await users(accounts_pool)
        async with (
            AsyncTestClient(app=create_app(settings)) as attacker,
            AsyncTestClient(app=create_app(settings)) as victim,
        ):
            # A browser with no cookies opens it: refused, no session, no user.
            url, _ = await unvisited_callback(attacker)
            opened = await victim.get(url, follow_redirects=False)
            assert "another browser" in refusal(opened)
            assert (await victim.get("/auth/me")).status_code == 401
            # A browser in the middle of its own sign-in (its own binding cookie) opens it: refused too.
            url, _ = await unvisited_callback(attacker)
            assert (await victim.get("/auth/oidc/login", follow_redirects=False)).status_code == 302
            assert victim.cookies.get("dam_sso")
            assert "another browser" in refusal(await victim.get(url, follow_redirects=False))
            assert (await victim.get("/auth/me")).status_code == 401
            assert await users(accounts_pool) == before
            # The browser that started a sign-in finishes it, once; its binding cookie is spent.
            url, _ = await unvisited_callback(attacker)
            finished = await attacker.get(url, follow_redirects=False)
            assert finished.headers["location"] == "/", finished.headers["location"]
            assert signed_in(finished)
            assert (
                'dam_sso=""' in finished.headers["set-cookie"]
                or "dam_sso=;" in finished.headers["set-cookie"]
            )
            assert (await attacker.get("/auth/me")).json()["user"]["email"] == f"{sub}@newsroom.test"
            assert await users(accounts_pool) == before + 1


async def test_a_sign_in_returns_to_the_page_it_started_from(
    make_settings: Callable[..., Settings], accounts_pool: Pool
) -> None:
    with crafting_provider("dam-tests") as provider:
        settings = make_settings(
            DAM_OIDC_ISSUER=provider.issuer, DAM_OIDC_CLIENT_ID="dam-tests", DAM_OIDC_CREATE_USERS="true",
            DAM_OIDC_WORKSPACE=f"sso-{uuid.uuid4().hex[:8]}",
        )  # fmt: skip
        provider.claims = {"email": f"r-{uuid.uuid4().hex[:8]}@example.test", "email_verified": True}
        async with AsyncTestClient(app=create_app(settings)) as api:
            back = "/app/?q=harbour&view=1#top"
            start = f"/auth/oidc/login?{urlencode({'return_to': back})}"
            signed = await sign_in_flow(api, start_at=start)
            assert signed.headers["location"] == back
            assert signed_in(signed)
            # Refused: back to the same page, the reason added to its query.
            provider.mode = "expired"
            refused = await sign_in_flow(api, start_at=start)
            assert not signed_in(refused)
            location = urlsplit(refused.headers["location"])
            assert (location.path, location.fragment) == ("/app/", "top")
            query = parse_qs(location.query)
            assert query["q"] == ["harbour"]
            assert query["view"] == ["1"]
            assert "expired" in query["sso_error"][0]
            # Only a path of this site: never another host, whatever a browser makes of it.
            for elsewhere in ("https://evil.test/", "//evil.test/", "/\\evil.test/", "app/", "/app/\n"):
                answer = await api.get(
                    f"/auth/oidc/login?{urlencode({'return_to': elsewhere})}", follow_redirects=False
                )
                assert answer.status_code == 400, (elsewhere, answer.text)


async def test_sign_in_starts_are_limited_per_address(make_settings: Callable[..., Settings]) -> None:
    with crafting_provider("dam-tests") as provider:
        settings = make_settings(
            DAM_OIDC_ISSUER=provider.issuer, DAM_OIDC_CLIENT_ID="dam-tests", DAM_ANONYMOUS_MAX_PER_MINUTE="3"
        )
        async with AsyncTestClient(app=create_app(settings)) as api:
            starts = [
                (await api.get("/auth/oidc/login", follow_redirects=False)).status_code for _ in range(4)
            ]
            assert starts == [302, 302, 302, 429]
