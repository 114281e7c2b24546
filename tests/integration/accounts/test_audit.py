"""The audit log: one row for each audited action, in the action's own statement or transaction;
none for a refused action that did nothing; append-only; GET /audit scoped, filtered and paged."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.db.pool import Pool, create_pool
from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.config import ADMIN_URL, ROOT
from tests.support.faults import own_database
from tests.support.flows import ingest, json_of

Client = AsyncTestClient[Any]


async def actions_of(api: Client, **query: str) -> list[dict[str, Any]]:
    answer = await api.get("/audit", params={"limit": "500", **query})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_each_action_leaves_one_row_and_refusals_none(
    api: Client,
    http: httpx.AsyncClient,
    run_jobs: Any,
    identities: Identities,
    workspace: Workspace,
    settings: Settings,
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "logged.jpg", "image/jpeg")
    await run_jobs()
    assert (await api.post(f"/assets/{asset_id}/reprocess")).status_code == 202
    await run_jobs()
    viewer = bearer(await identities.key(workspace, "viewer"))
    assert (await api.delete(f"/assets/{asset_id}", headers=viewer)).status_code == 403  # refused: no row
    other = bearer(await identities.key(await identities.workspace(), "admin"))
    assert (await api.delete(f"/assets/{asset_id}", headers=other)).status_code == 404  # refused: no row
    made = json_of(await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 600, "download": True}))
    token = made["url"].rsplit("/", 1)[1]
    assert (await api.get(f"/shares/{token}")).status_code == 200
    assert (await api.delete(f"/shares/{made['id']}")).status_code == 204
    key = json_of(await api.post("/keys", json={"role": "viewer", "name": "logged"}))
    assert (await api.delete(f"/keys/{key['id']}")).status_code == 204
    assert (await api.post("/upload-tokens", json={"expires_in": 60})).status_code == 201
    email, password = await identities.user(await identities.workspace(), "viewer")
    invited = json_of(await api.post("/invitations", json={"email": email, "role": "viewer"}))
    revoked = json_of(await api.post("/invitations", json={"email": email, "role": "admin"}))
    assert (await api.delete(f"/invitations/{revoked['id']}")).status_code == 204
    async with AsyncTestClient(app=create_app(settings)) as browser:  # the account accepts itself
        signed = json_of(await browser.post("/auth/login", json={"email": email, "password": password}))
        token = invited["link"].rsplit("/", 1)[1]
        accepted = await browser.post(
            f"/invitations/{token}/accept", headers={"X-CSRF-Token": signed["csrf_token"]}
        )
        assert accepted.status_code == 200, accepted.text
    members = json_of(await api.get("/members"))
    user_id = next(m["user_id"] for m in members if m["email"] == email)
    assert (await api.patch(f"/members/{user_id}", json={"role": "editor"})).status_code == 200
    assert (await api.delete(f"/members/{user_id}")).status_code == 204
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204  # to the trash
    assert (await api.post(f"/assets/{asset_id}/restore")).status_code == 200
    assert (await api.delete(f"/assets/{asset_id}", params={"permanent": "true"})).status_code == 204
    async with AsyncTestClient(app=create_app(settings)) as browser:
        assert (
            await browser.post("/auth/login", json={"email": email, "password": "wrong"})
        ).status_code == 401
        assert (
            await browser.post("/auth/login", json={"email": email, "password": password})
        ).status_code == 200

    rows = await actions_of(api)
    on_asset = [r["action"] for r in rows if r["asset_id"] == asset_id]
    assert sorted(on_asset) == sorted(
        ["asset.create", "asset.complete", "asset.reprocess", "share.create", "share.use", "share.revoke",
         "asset.trash", "asset.restore", "asset.delete"]
    )  # fmt: skip
    by_action: dict[str, dict[str, Any]] = {}
    for row in rows:  # newest first: each action's latest row
        by_action.setdefault(row["action"], row)
    assert by_action["asset.delete"]["actor"] == "key"
    assert by_action["asset.delete"]["outcome"] == "ok"
    assert by_action["asset.delete"]["address"]
    assert by_action["share.use"]["actor"] == "share"
    assert by_action["share.use"]["share_id"] == made["id"]
    assert by_action["share.revoke"]["target_id"] == made["id"]
    assert by_action["key.create"]["target_id"] == key["id"]
    assert by_action["key.create"]["detail"] == {"role": "viewer", "name": "logged"}
    assert by_action["key.revoke"]["target_id"] == key["id"]
    assert "upload_token.create" in by_action
    assert by_action["invitation.create"]["target_id"] == revoked["id"]
    assert by_action["invitation.create"]["detail"] == {"email": email, "role": "admin", "mailed": False}
    assert by_action["invitation.revoke"]["target_id"] == revoked["id"]
    assert by_action["invitation.accept"]["target_id"] == invited["id"]
    assert by_action["invitation.accept"]["actor"] == "user"
    assert by_action["invitation.accept"]["user_id"] == user_id
    member_rows = [r for r in rows if r["target_id"] == user_id]
    assert [(r["action"], r["detail"]) for r in reversed(member_rows)] == [
        ("member.add", {"role": "viewer", "was": None}),
        ("member.role", {"role": "editor", "was": "viewer"}),
        ("member.remove", {"was": "editor"}),
    ]
    assert all(r["workspace_id"] == str(workspace.id) for r in rows)
    # Sign-ins belong to no workspace: operators see them, failures included.
    op_email, op_password = await identities.user(workspace, "viewer", operator=True)
    async with AsyncTestClient(app=create_app(settings)) as browser:
        signed = await browser.post("/auth/login", json={"email": op_email, "password": op_password})
        session = {"Cookie": f"dam_session={signed.cookies['dam_session']}"}
        browser.cookies.clear()
        answer = await browser.get("/audit", params={"action": "auth.login", "limit": "500"}, headers=session)
        assert answer.status_code == 200, answer.text
        theirs = [r for r in answer.json()["items"] if r["detail"].get("email") == email]
    assert "auth.login" not in {r["action"] for r in rows}  # not in the workspace admin's view
    assert [(r["outcome"], r["actor"]) for r in theirs] == [
        ("ok", "user"), ("failed", "anonymous"), ("ok", "user")  # the last: to accept the invitation
    ]  # fmt: skip
    assert theirs[0]["user_id"] == user_id
    assert theirs[0]["email"] == email


async def test_the_log_is_scoped_filtered_paged_and_append_only(
    api: Client, http: httpx.AsyncClient, identities: Identities, workspace: Workspace, accounts_pool: Pool
) -> None:
    ids = [await ingest(api, http, media.jpeg_with_exif(), f"p{n}.jpg", "image/jpeg") for n in range(3)]
    viewer = bearer(await identities.key(workspace, "viewer"))
    assert (await api.get("/audit", headers=viewer)).status_code == 403
    other = bearer(await identities.key(await identities.workspace(), "admin"))
    seen_elsewhere = json_of(await api.get("/audit", headers=other))["items"]
    assert not any(r["asset_id"] in ids for r in seen_elsewhere)
    only = await actions_of(api, asset=ids[0])
    assert {r["action"] for r in only} == {"asset.create", "asset.complete"}
    creates = await actions_of(api, action="asset.create")
    assert [r["asset_id"] for r in creates] == list(reversed(ids))
    pages, cursor = [], None
    while True:
        query = {"action": "asset.create", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = json_of(await api.get("/audit", params=query))
        pages.append([r["asset_id"] for r in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [list(reversed(ids))[:2], list(reversed(ids))[2:]]
    first = creates[0]
    later = await actions_of(api, since=first["at"])
    assert {r["id"] for r in later} >= {first["id"]}
    assert first["id"] not in {r["id"] for r in await actions_of(api, until=first["at"])}
    by_actor = await actions_of(api, actor=first["key_id"])
    assert {r["asset_id"] for r in by_actor if r["action"] == "asset.create"} == set(ids)
    for bad in (
        {"actor": "nope"},
        {"action": "asset.explode"},
        {"cursor": "%%%"},
        {"since": "2026-12-03T09:00:00"},
    ):
        refused = await api.get("/audit", params=bad)
        assert 400 <= refused.status_code < 500, (bad, refused.text)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await accounts_pool.execute("UPDATE audit_log SET outcome = 'failed' WHERE id = $1", first["id"])
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await accounts_pool.execute("DELETE FROM audit_log WHERE id = $1", first["id"])
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await accounts_pool.execute("TRUNCATE audit_log")


def readme_block(containing: str) -> str:
    """The SQL block of the security page (docs/operations/security.md) that contains ``containing``."""
    page = (ROOT / "docs" / "operations" / "security.md").read_text()
    blocks = re.findall(r"```sql\n(.*?)```", page, flags=re.DOTALL)
    (found,) = [block for block in blocks if containing in block]
    return found


@pytest.mark.slow
async def test_the_service_runs_as_the_role_the_readme_describes(
    make_settings: Callable[..., Settings], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    """The security page's grants (docs/operations/security.md) are enough for the service
    (sign-in, an upload, its processing, the log), and leave the audit log beyond its reach: no
    UPDATE, DELETE, TRUNCATE, nor a way around the triggers, which only the table's owner has."""
    role = f"dam_service_{uuid.uuid4().hex[:8]}"
    grants = re.sub(r"\bdam_service\b", role, readme_block("GRANT SELECT, INSERT, UPDATE, DELETE"))
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        async with own_database() as owner_url:
            owner = await asyncpg.connect(owner_url)
            try:
                await owner.execute(grants)
            finally:
                await owner.close()
            url = urlunsplit(
                urlsplit(owner_url)._replace(
                    netloc=f"{role}@{urlsplit(owner_url).hostname}:{urlsplit(owner_url).port or 5432}"
                )
            )
            settings = make_settings(DAM_DATABASE_URL=url)
            pool = await create_pool(settings.db)
            try:
                identities = Identities(settings, pool)  # as the service role, as `dam admin` would
                space = await identities.workspace()
                email, password = await identities.user(space, "admin", operator=True)
                async with AsyncTestClient(app=create_app(settings)) as api:
                    assert (
                        await api.post("/auth/login", json={"email": email, "password": "wrong"})
                    ).status_code == 401
                    signed = await api.post("/auth/login", json={"email": email, "password": password})
                    assert signed.status_code == 200, signed.text
                    api.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
                    asset_id = await ingest(api, http, media.jpeg_with_exif(), "role.jpg", "image/jpeg")
                    await run_jobs(settings)
                    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"
                    shared = await api.post(
                        f"/assets/{asset_id}/shares", json={"expires_in": 60, "download": True}
                    )
                    assert shared.status_code == 201, shared.text
                    assert (
                        await api.get(f"/shares/{shared.json()['url'].rsplit('/', 1)[1]}")
                    ).status_code == 200
                    logged = await api.get("/audit", params={"limit": "100"})
                    assert logged.status_code == 200, logged.text
                    actions = {row["action"] for row in logged.json()["items"]}
                    assert {"auth.login", "asset.create", "asset.complete", "share.use"} <= actions
                for statement in (
                    "UPDATE audit_log SET outcome = 'failed'",
                    "DELETE FROM audit_log",
                    "TRUNCATE audit_log",
                ):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError):
                        await pool.execute(statement)
                for statement in (
                    "ALTER TABLE audit_log DISABLE TRIGGER USER",
                    "DROP TRIGGER audit_log_append_only ON audit_log",
                    "DROP TABLE audit_log",
                ):
                    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="owner"):
                        await pool.execute(statement)
                assert await pool.fetchval("SELECT count(*) FROM audit_log") >= 4
            finally:
                await pool.close()
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()
