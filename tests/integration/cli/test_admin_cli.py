"""``dam admin`` and the first sign-in of a deployment, as an operator runs them: real processes on
the test's settings; what they make is then used against the API. And ``dam upload`` without a key."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from dam.admin import DEV_ADMIN, DEV_WORKSPACE, bootstrap
from dam.api.app import create_app
from dam.db.migrate import upgrade
from dam.db.pool import Pool
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import PASSWORD, bearer
from tests.support.config import ROOT
from tests.support.databases import throwaway_database
from tests.support.processes import dam_args, env_of


def admin(settings: Settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``dam admin ARGS`` in a process of its own, reading the test's DAM_* settings."""
    return subprocess.run(
        dam_args("admin", *args), input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120,
        env=env_of(settings), check=False,
    )  # fmt: skip


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    async with AsyncTestClient(app=create_app(settings)) as api:
        yield api


async def test_create_key_prints_the_key_alone_on_its_last_line(
    settings: Settings, client: AsyncTestClient[Any]
) -> None:
    space = f"w-{uuid.uuid4().hex[:12]}"
    made = admin(settings, "create-key", "--workspace", space, "--role", "editor", "--name", "ci")
    assert made.returncode == 0, made.stderr
    key = made.stdout.splitlines()[-1]
    assert key.startswith("dam_live_")
    assert key.strip() == key
    me = await client.get("/auth/me", headers=bearer(key))
    assert me.status_code == 200, me.text
    assert me.json()["workspace"]["slug"] == space  # created, as it was missing
    assert me.json()["workspace"]["role"] == "editor"
    expiring = admin(settings, "create-key", "--workspace", space, "--role", "viewer", "--expires-in", "1")
    assert expiring.returncode == 0, expiring.stderr
    deadline = asyncio.get_running_loop().time() + 30
    while (await client.get("/auth/me", headers=bearer(expiring.stdout.splitlines()[-1]))).status_code == 200:
        assert asyncio.get_running_loop().time() < deadline, "a key of --expires-in 1 still works after 30 s"
        await asyncio.sleep(0.2)
    assert admin(settings, "create-key", "--workspace", space, "--role", "owner").returncode != 0


async def test_create_user_with_a_password_from_stdin_or_a_drawn_one(
    settings: Settings, client: AsyncTestClient[Any]
) -> None:
    space = f"w-{uuid.uuid4().hex[:12]}"
    email = f"ana-{uuid.uuid4().hex[:8]}@example.test"
    made = admin(
        settings, "create-user", "--email", email, "--password-stdin", "--workspace", space, "--role",
        "contributor", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout
    signed = await client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    assert [(w["slug"], w["role"]) for w in signed.json()["workspaces"]] == [(space, "contributor")]
    client.cookies.clear()
    # Without --password-stdin a password is drawn, printed once, and works.
    other = f"ben-{uuid.uuid4().hex[:8]}@example.test"
    drawn = admin(settings, "create-user", "--email", other, "--workspace", space, "--role", "viewer")
    assert drawn.returncode == 0, drawn.stderr
    password = drawn.stdout.splitlines()[-1].rsplit(" ", 1)[-1]
    assert (await client.post("/auth/login", json={"email": other, "password": password})).status_code == 200
    client.cookies.clear()
    # A weak password is refused with the reason, and nothing is made.
    weak = f"cy-{uuid.uuid4().hex[:8]}@example.test"
    refused = admin(
        settings, "create-user", "--email", weak, "--password-stdin", "--workspace", space, "--role",
        "viewer", stdin="password\n",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "password" in refused.stderr
    assert (await client.post("/auth/login", json={"email": weak, "password": "password"})).status_code == 401


async def test_link_identity_lets_an_existing_account_sign_in_with_single_sign_on(
    make_settings: Callable[..., Settings], accounts_pool: Pool
) -> None:
    from tests.support.idp import crafting_provider
    from tests.support.sso import refusal, sign_in_flow

    with crafting_provider("dam-tests") as provider:
        # No user is made at sign-in here: an account made with a password joins only by a link.
        settings = make_settings(DAM_OIDC_ISSUER=provider.issuer, DAM_OIDC_CLIENT_ID="dam-tests")
        space = f"w-{uuid.uuid4().hex[:12]}"
        email, other = (f"{who}-{uuid.uuid4().hex[:8]}@example.test" for who in ("ana", "ben"))
        for address in (email, other):
            made = admin(
                settings, "create-user", "--email", address, "--workspace", space, "--role", "editor"
            )
            assert made.returncode == 0, made.stderr
        subject = f"ana-at-idp-{uuid.uuid4().hex[:8]}"
        provider.claims = {"email": email, "email_verified": True, "sub": subject}
        async with AsyncTestClient(app=create_app(settings)) as client:
            assert "no account is linked" in refusal(await sign_in_flow(client))
            linked = admin(
                settings, "link-identity", "--email", email, "--subject", subject
            )  # DAM_OIDC_ISSUER
            assert linked.returncode == 0, linked.stderr
            assert "is now linked" in linked.stdout
            again = admin(
                settings, "link-identity", "--email", email, "--subject", subject, "--issuer", provider.issuer
            )
            assert again.returncode == 0, again.stderr
            assert "was already linked" in again.stdout
            signed = await sign_in_flow(client)
            assert signed.headers["location"] == "/", signed.headers["location"]
            me = (await client.get("/auth/me")).json()
            assert me["user"]["email"] == email
            assert {w["slug"] for w in me["workspaces"]} >= {space}
        # One identity, one account: linking it to another is refused, and so is an unknown address.
        taken = admin(settings, "link-identity", "--email", other, "--subject", subject)
        assert taken.returncode != 0
        assert "linked to another account" in taken.stderr
        unknown = admin(
            settings,
            "link-identity",
            "--email",
            f"nobody-{uuid.uuid4().hex[:8]}@example.test",
            "--subject",
            "x",
        )
        assert unknown.returncode != 0
        assert "no account" in unknown.stderr
    logged = await accounts_pool.fetch(
        """SELECT l.actor, l.detail FROM audit_log l JOIN users u ON u.id = l.user_id
           WHERE l.action = 'identity.link' AND u.email = $1""",
        email,
    )
    assert [(row["actor"], row["detail"]) for row in logged] == [
        ("system", {"issuer": provider.issuer, "subject": subject})
    ]


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    """A database of this test's own, with no user yet (a fresh deployment)."""
    async with throwaway_database("dam_boot") as url:
        yield url


async def test_a_fresh_deployment_gets_one_admin_and_an_upgraded_one_keeps_its_assets(
    make_settings: Callable[..., Settings], empty_database: str
) -> None:
    # The schema before accounts, with an asset in it: what `make run` finds on an older database.
    await asyncio.to_thread(upgrade, empty_database, "0006")
    connection = await asyncpg.connect(empty_database)
    try:
        old = await connection.fetchval(
            """INSERT INTO assets (id, filename, content_type, storage_key)
               VALUES ($1::uuid, 'old.jpg', 'image/jpeg', 'originals/' || $1::text || '/old.jpg')
               RETURNING id""",
            uuid.uuid4(),
        )
    finally:
        await connection.close()
    await asyncio.to_thread(upgrade, empty_database)
    settings = make_settings(DAM_DATABASE_URL=empty_database)
    password = await bootstrap(settings)
    assert password is not None
    assert await bootstrap(settings) is None  # once only
    async with AsyncTestClient(app=create_app(settings)) as client:
        signed = await client.post("/auth/login", json={"email": DEV_ADMIN, "password": password})
        assert signed.status_code == 200, signed.text
        me = signed.json()
        assert me["operator"] is True
        roles = {w["slug"]: w["role"] for w in me["workspaces"]}
        assert roles == {DEV_WORKSPACE: "admin", "default": "admin"}
        found = await client.get(f"/assets/{old}", params={"workspace": "default"})
        assert found.status_code == 200, found.text
        assert (await client.get(f"/assets/{old}", params={"workspace": DEV_WORKSPACE})).status_code == 404


def test_upload_without_a_key_stops_with_the_reason(settings: Settings, tmp_path: Path) -> None:
    from dam_dev.devs3 import free_ports
    from tests.support.processes import dam

    (tmp_path / "photo.jpg").write_bytes(media.jpeg_with_exif())
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in env_of(settings).items() if k != "DAM_API_KEY"}
    with dam("api", env=env_of(settings, DAM_PORT=str(port)), log_dir=tmp_path) as api:
        api.wait_healthy(url + "/health")
        for extra, reason in (((), "DAM_API_KEY"), (("--api-key", "dam_live_" + "x" * 43), "not valid")):
            result = subprocess.run(
                dam_args("upload", str(tmp_path / "photo.jpg"), "--api", url, *extra),
                capture_output=True, text=True, cwd=ROOT, timeout=120, env=env, check=False,
            )  # fmt: skip
            assert result.returncode == 2, result
            assert "refused access (401)" in result.stderr, result.stderr
            assert reason in result.stderr, result.stderr


def test_admin_on_a_missing_database_says_what_to_do(make_settings: Callable[..., Settings]) -> None:
    nowhere = make_settings(
        DAM_DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/absent_{uuid.uuid4().hex[:8]}"
    )
    refused = admin(nowhere, "create-key", "--workspace", "w", "--role", "admin")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "does not exist" in refused.stderr
    assert "dam migrate" in refused.stderr
