"""Sign-in under pressure: concurrent guesses never verify more passwords than the limit allows (for
an account or a share link), wrong current passwords count as failed sign-ins and end the
sessions, client addresses come from trusted proxies only, the session cookie is a ``__Host-``
cookie over https, anonymous writes are limited per address, and ``/ready`` explains itself to
operators only."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Scope, Send

from dam.api.app import create_app
from dam.db.pool import Pool
from dam.domain.accounts import Workspace
from dam.services import passwords
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.accounts import PASSWORD, Identities, bearer
from tests.support.flows import json_of

Client = AsyncTestClient[Any]
NEW_PASSWORD = "a much longer passphrase, 2026"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The API in-process with no credential of its own."""
    async with AsyncTestClient(app=create_app(settings)) as api:
        yield api


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords argon2 has checked (every check, unknown accounts' included), from now on."""
    calls: list[str] = []
    real = passwords._safe_verify

    def counting(password: str, hashed: str) -> bool:
        calls.append(password)
        return real(password, hashed)

    monkeypatch.setattr(passwords, "_safe_verify", counting)
    return calls


class Peers:
    """The app, as if each request came from the TCP peer its ``X-Test-Peer`` header names (the test
    client's own peer is ``testclient``, which is no address)."""

    def __init__(self, app: Litestar) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = dict(scope["headers"]).get(b"x-test-peer")
            if peer is not None:
                scope = {**scope, "client": (peer.decode(), 40000)}  # type: ignore[assignment]
        await self.app(scope, receive, send)


@contextlib.asynccontextmanager
async def peered(settings: Settings) -> AsyncIterator[Client]:
    """The API in-process, each request from the peer its ``X-Test-Peer`` names."""
    async with AsyncTestClient(app=Peers(create_app(settings))) as api:  # type: ignore[arg-type]
        yield api


def peer(host: str, **headers: str) -> dict[str, str]:
    """The headers of a request from the TCP peer ``host``."""
    return {"X-Test-Peer": host, **{k.replace("_", "-"): v for k, v in headers.items()}}


async def login(client: Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in; the headers that act as that browser session."""
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return {
        "Cookie": f"dam_session={answer.cookies['dam_session']}",
        "X-CSRF-Token": answer.json()["csrf_token"],
    }


async def test_concurrent_wrong_sign_ins_verify_no_more_than_the_limit(
    client: Client, identities: Identities, workspace: Workspace, verified: list[str]
) -> None:
    email, password = await identities.user(workspace, "viewer")
    answers = await asyncio.gather(
        *(client.post("/auth/login", json={"email": email, "password": f"wrong {n}"}) for n in range(30))
    )
    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {401: 5, 429: 25}, [a.text for a in answers]
    assert len(verified) == 5  # each attempt is counted before its check: no more got through
    assert all(1 <= int(a.headers["retry-after"]) <= 60 for a in answers if a.status_code == 429)
    # The right password waits out the window too, and is not even checked.
    assert (await client.post("/auth/login", json={"email": email, "password": password})).status_code == 429
    assert len(verified) == 5


async def test_a_right_password_gives_its_attempt_back(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace
) -> None:
    async with AsyncTestClient(app=create_app(make_settings(DAM_LOGIN_MAX_FAILURES=2))) as client:
        email, password = await identities.user(workspace, "viewer")
        for _ in range(3):  # more sign-ins than the limit: none of them failed
            await login(client, email, password)
        assert (
            await client.post("/auth/login", json={"email": email, "password": "wrong"})
        ).status_code == 401
        await login(client, email, password)


async def test_wrong_current_passwords_count_as_failed_sign_ins_and_end_every_session(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "editor")
    one, two = await login(client, email, password), await login(client, email, password)
    for n in range(4):
        wrong = await client.post(
            "/auth/password",
            json={"current_password": f"guess {n}", "new_password": NEW_PASSWORD},
            headers=one,
        )
        assert wrong.status_code == 403, wrong.text
    assert (await client.get("/auth/me", headers=one)).status_code == 200
    fifth = await client.post(
        "/auth/password", json={"current_password": "guess 5", "new_password": NEW_PASSWORD}, headers=one
    )
    assert fifth.status_code == 401, fifth.text
    assert "every session" in fifth.json()["detail"]
    for session in (one, two):
        assert (await client.get("/auth/me", headers=session)).status_code == 401
        again = await client.post(
            "/auth/password",
            json={"current_password": password, "new_password": NEW_PASSWORD},
            headers=session,
        )
        assert again.status_code == 401
    # They were failed sign-ins of the account: signing in waits out the window, even rightly.
    assert (await client.post("/auth/login", json={"email": email, "password": password})).status_code == 429


async def test_forwarded_addresses_are_believed_from_trusted_proxies_only(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace, accounts_pool: Pool
) -> None:
    tag = uuid.uuid4().hex[:10]
    settings = make_settings(DAM_LOGIN_MAX_FAILURES=2)  # trusted proxies: loopback, the default

    async def attempt(api: Client, host: str, who: str, forwarded: str) -> int:
        body = {"email": f"{who}-{tag}@example.test", "password": "not a password"}
        answer = await api.post("/auth/login", json=body, headers=peer(host, X_Forwarded_For=forwarded))
        return answer.status_code

    async with peered(settings) as api:
        # From a peer that is no trusted proxy, X-Forwarded-For is ignored: every attempt is the peer's.
        stranger = "203.0.113.7"
        assert [await attempt(api, stranger, f"s{n}", f"198.51.100.{n}") for n in range(3)] == [401, 401, 429]
        # Through the proxy, each client is the right-most hop, whatever it wrote to the left of it.
        proxy = "127.0.0.1"
        assert [await attempt(api, proxy, f"p{n}", f"203.0.113.7, 192.0.2.{n}") for n in range(4)] == [
            401
        ] * 4
        assert [await attempt(api, proxy, f"q{n}", "192.0.2.200") for n in range(3)] == [401, 401, 429]
        # The principal's address (and so the audit log's) comes from the same place.
        key = bearer(await identities.key(workspace, "admin"))
        via_proxy = await api.post(
            "/keys",
            json={"role": "viewer"},
            headers={**key, **peer(proxy, X_Forwarded_For="6.6.6.6, 192.0.2.77")},
        )
        direct = await api.post(
            "/keys", json={"role": "viewer"}, headers={**key, **peer(stranger, X_Forwarded_For="6.6.6.6")}
        )
        assert via_proxy.status_code == direct.status_code == 201
    rows = await accounts_pool.fetch(
        """SELECT detail->>'email' AS email, address FROM audit_log
           WHERE action = 'auth.login' AND detail->>'email' LIKE $1""",
        f"%-{tag}@example.test",
    )
    addresses = {row["email"].split("-")[0]: row["address"] for row in rows}
    assert addresses == {
        "s0": "203.0.113.7",
        "s1": "203.0.113.7",
        "p0": "192.0.2.0",
        "p1": "192.0.2.1",
        "p2": "192.0.2.2",
        "p3": "192.0.2.3",
        "q0": "192.0.2.200",
        "q1": "192.0.2.200",
    }  # fmt: skip  (refused attempts check no password and write no row)
    for made, address in ((via_proxy, "192.0.2.77"), (direct, "203.0.113.7")):
        logged = await accounts_pool.fetchval(
            "SELECT address FROM audit_log WHERE action = 'key.create' AND target_id = $1",
            uuid.UUID(made.json()["id"]),
        )
        assert logged == address


async def test_over_https_the_session_is_a_host_cookie(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "viewer")
    async with AsyncTestClient(
        app=create_app(make_settings(DAM_PUBLIC_URL="https://dam.example.test"))
    ) as api:
        answer = await api.post("/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        api.cookies.clear()
        cookie = answer.headers["set-cookie"]
        name, _, rest = cookie.partition("=")
        assert name == "__Host-dam_session"
        attributes = {part.strip().split("=")[0].lower() for part in rest.split(";")[1:]}
        assert {"secure", "httponly", "path"} <= attributes
        assert "domain" not in attributes
        assert "path=/;" in cookie.replace(" ", "").lower() + ";"
        session = rest.split(";")[0]
        host = {"Cookie": f"__Host-dam_session={session}", "X-CSRF-Token": answer.json()["csrf_token"]}
        assert (await api.get("/auth/me", headers=host)).status_code == 200
        # The plain name is not read over https: a cookie planted by another subdomain reaches nothing.
        assert (await api.get("/auth/me", headers={"Cookie": f"dam_session={session}"})).status_code == 401
        out = await api.post("/auth/logout", headers=host)
        assert out.status_code == 204
        assert out.headers["set-cookie"].startswith("__Host-dam_session=")
        assert (await api.get("/auth/me", headers=host)).status_code == 401
    async with AsyncTestClient(
        app=create_app(make_settings(DAM_PUBLIC_URL="http://dam.example.test"))
    ) as api:
        answer = await api.post("/auth/login", json={"email": email, "password": password})
        assert answer.headers["set-cookie"].startswith("dam_session=")


async def test_concurrent_wrong_share_passwords_verify_no_more_than_the_limit(
    api: Client, identities: Identities, workspace: Workspace, verified: list[str]
) -> None:
    token, _ = await a_share(api, password="blue heron at dawn")
    verified.clear()
    answers = await asyncio.gather(
        *(api.post(f"/shares/{token}/unlock", json={"password": f"guess {n}"}) for n in range(20))
    )
    assert Counter(a.status_code for a in answers) == {401: 5, 429: 15}, [a.text for a in answers]
    assert len(verified) == 5
    # Share passwords count in buckets of their own: sign-in from the same address is untouched.
    email, password = await identities.user(workspace, "viewer")
    api.headers.pop("Authorization")
    await login(api, email, password)


async def test_share_opens_are_limited_per_address_and_recorded_once_an_hour(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace, accounts_pool: Pool
) -> None:
    settings = make_settings(DAM_ANONYMOUS_MAX_PER_MINUTE=4)
    async with peered(settings) as api:
        api.headers.update(bearer(await identities.key(workspace, "admin")))
        token, asset_id = await a_share(api)
        one, two = peer("203.0.113.10"), peer("203.0.113.11")
        assert [(await api.get(f"/shares/{token}", headers=one)).status_code for _ in range(4)] == [200] * 4
        refused = await api.get(f"/shares/{token}", headers=one)
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (await api.get(f"/shares/{token}", headers=two)).status_code == 200  # another address
        # One IPv6 site (a /64) is one visitor, and one address for the limit.
        first, second = peer("2001:db8:5:6::1"), peer("2001:db8:5:6::2")
        for visitor in (first, second, first, second):
            assert (await api.get(f"/shares/{token}", headers=visitor)).status_code == 200
        assert (await api.get(f"/shares/{token}", headers=second)).status_code == 429
        (listed,) = json_of(await api.get(f"/assets/{asset_id}/shares"))
    rows = await accounts_pool.fetch(
        "SELECT address FROM audit_log WHERE action = 'share.use' AND share_id = $1 ORDER BY id",
        uuid.UUID(listed["id"]),
    )
    assert [row["address"] for row in rows] == ["203.0.113.10", "203.0.113.11", "2001:db8:5:6::1"]
    assert listed["uses"] == 3


@pytest.mark.slow
async def test_ready_says_why_to_operators_only(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace
) -> None:
    operator, _ = await identities.user(workspace, "viewer", operator=True)
    admin, _ = await identities.user(workspace, "admin")
    async with AsyncTestClient(app=create_app(make_settings())) as working:
        as_operator, as_admin = await login(working, operator), await login(working, admin)
    (closed,) = free_ports(1)
    async with AsyncTestClient(
        app=create_app(make_settings(DAM_REDIS_URL=f"redis://127.0.0.1:{closed}/0"))
    ) as api:
        for headers in ({}, as_admin, bearer(await identities.key(workspace, "admin"))):
            answer = await api.get("/ready", headers=headers)
            assert answer.status_code == 503
            assert json_of(answer)["failing"] == ["redis"]
            assert json_of(answer)["checks"] == {"postgres": "ok", "redis": "unavailable", "s3": "ok"}
        told = json_of(await api.get("/ready", headers=as_operator))
        assert told["failing"] == ["redis"]
        assert told["checks"]["redis"].startswith("error: "), told  # the driver's own words
        assert str(closed) in told["checks"]["redis"]


async def a_share(api: Client, **body: Any) -> tuple[str, str]:
    """A share link of a new (not yet uploaded) asset; its token and the asset's id."""
    asset = await api.post("/assets", json={"filename": "shared.jpg", "content_type": "image/jpeg"})
    assert asset.status_code == 201, asset.text
    made = await api.post(
        f"/assets/{asset.json()['id']}/shares", json={"expires_in": 600, "download": True, **body}
    )
    assert made.status_code == 201, made.text
    return str(made.json()["url"].rsplit("/", 1)[1]), str(asset.json()["id"])
