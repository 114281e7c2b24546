"""Revocation that reaches everything: revoking a key ends the share links it and its child keys
made, and every stream token of those keys and links; removing a member or lowering their role
below editor ends their links and tokens; revoking a link or deleting an asset ends its tokens; a
link lives only while its maker could make it now; a stream token lives ``DAM_STREAM_TOKEN_TTL`` at
most."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.db import accounts as account_rows
from dam.db.pool import Pool
from dam.domain.access import Role
from dam.domain.accounts import Workspace
from dam.domain.audit import Action, Entry
from dam.domain.steps import Queue
from dam.services.unit import unit
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import PASSWORD, Identities, bearer, client_of
from tests.support.flows import ingest, json_of

pytestmark = pytest.mark.integration
Client = AsyncTestClient[Any]
BASE = "http://testserver.local"


@pytest.fixture
async def visitor(settings: Settings) -> AsyncIterator[Client]:
    """Another API process of the same deployment, with no credential of its own: share links and
    stream tokens are used here while ``api`` revokes (a revocation reaches every process)."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        yield client


async def a_streamed_video(api: Client, http: httpx.AsyncClient, run_jobs: Any, settings: Settings) -> str:
    """A short video whose adaptive stream is ready; its id."""
    asset_id = await ingest(api, http, media.mp4(seconds=2.0), "clip.mp4", "video/mp4")
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.TRANSCODE)
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["stream"]["status"] == "ready", asset
    return asset_id


async def stream_paths(api: Client, hls_url: str) -> list[str]:
    """The master playlist a stream URL names and an init segment of its first rendition, both
    answered now (200 and the 302 into storage)."""
    assert hls_url.startswith(BASE + "/stream/"), hls_url
    master = hls_url[len(BASE) :]
    answer = await api.get(master)
    assert answer.status_code == 200, answer.text
    first = next(line for line in answer.text.splitlines() if line and not line.startswith("#"))
    segment = f"{master.rsplit('/', 1)[0]}/{first.split('/')[0]}/init.mp4"
    assert (await api.get(segment, follow_redirects=False)).status_code == 302
    return [master, segment]


async def refused_soon(api: Client, paths: list[str], within: float = 3.0) -> None:
    """Every path answers 403 within seconds (a revocation reaches the delivery path as soon as the
    database's notification does), never at the tokens' expiry."""
    deadline = time.monotonic() + within
    while True:
        codes = [(await api.get(p, follow_redirects=False)).status_code for p in paths]
        if all(code == 403 for code in codes):
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"still served {within}s after the revocation: {list(zip(paths, codes, strict=True))}"
            )
        await asyncio.sleep(0.02)


async def served(api: Client, paths: list[str]) -> None:
    master, segment = paths
    assert (await api.get(master)).status_code == 200
    assert (await api.get(segment, follow_redirects=False)).status_code == 302


async def share_of(api: Client, asset_id: str, headers: dict[str, str]) -> str:
    """A 10-minute link (download allowed) made with these credentials; its token."""
    made = await api.post(
        f"/assets/{asset_id}/shares", json={"expires_in": 600, "download": True}, headers=headers
    )
    assert made.status_code == 201, made.text
    return str(made.json()["url"].rsplit("/", 1)[1])


async def opened(api: Client, http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """A live link's answer, its download working."""
    shown = await api.get(f"/shares/{token}")
    assert shown.status_code == 200, shown.text
    body: dict[str, Any] = shown.json()
    assert (await http.get(body["download_url"])).status_code == 200
    return body


async def gone(api: Client, token: str) -> None:
    """A link that answers as unknown, expired and revoked ones do, page included."""
    shown = await api.get(f"/shares/{token}")
    assert shown.status_code == 404, shown.text
    assert json_of(shown)["error"] == "not_found"
    assert (await api.get(f"/s/{token}")).status_code == 404


async def login(api: Client, email: str) -> dict[str, str]:
    answer = await api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    session = answer.cookies["dam_session"]
    api.cookies.clear()
    return {"Cookie": f"dam_session={session}", "X-CSRF-Token": answer.json()["csrf_token"]}


async def user_id_of(api: Client, email: str) -> uuid.UUID:
    return uuid.UUID(next(m["user_id"] for m in json_of(await api.get("/members")) if m["email"] == email))


async def revocations(pool: Pool, workspace: Workspace) -> list[dict[str, Any]]:
    records = await pool.fetch(
        "SELECT target_id, detail FROM audit_log WHERE workspace_id = $1 AND action = $2",
        workspace.id,
        Action.SHARE_REVOKE.value,
    )
    return [dict(r.items()) for r in records]


async def test_revoking_a_key_ends_its_and_its_child_keys_links_and_stream_tokens(
    api: Client,
    visitor: Client,
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    workspace: Workspace,
    accounts_pool: Pool,
) -> None:
    asset_id = await a_streamed_video(api, http, run_jobs, settings)
    parent = (await api.post("/keys", json={"role": "admin", "name": "parent"})).json()
    child = await api.post("/keys", json={"role": "editor", "name": "child"}, headers=bearer(parent["key"]))
    assert child.status_code == 201, child.text
    links, streams = [], []
    for secret in (parent["key"], child.json()["key"]):
        own = json_of(await api.get(f"/assets/{asset_id}", headers=bearer(secret)))
        streams += await stream_paths(visitor, own["stream"]["hls_url"])
        link = await share_of(api, asset_id, bearer(secret))
        streams += await stream_paths(visitor, (await opened(visitor, http, link))["hls_url"])
        links.append(link)
    bystander = await share_of(api, asset_id, {})  # made with the admin key, which stays
    mine = json_of(await api.get(f"/assets/{asset_id}"))["stream"]["hls_url"]
    untouched = await stream_paths(visitor, mine)

    assert (await api.delete(f"/keys/{parent['id']}")).status_code == 204

    await refused_soon(visitor, streams)
    for link in links:
        await gone(visitor, link)
    await opened(visitor, http, bystander)
    await served(visitor, untouched)
    listed = json_of(await api.get(f"/assets/{asset_id}/shares"))
    assert sum(1 for s in listed if s["revoked_at"] is not None) == 2
    logged = await revocations(accounts_pool, workspace)
    assert len(logged) == 2
    assert all(row["detail"] == {"because": "key.revoke", "of": parent["id"]} for row in logged)


async def test_removing_or_demoting_a_member_ends_their_links_and_stream_tokens(
    api: Client,
    visitor: Client,
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    identities: Identities,
    workspace: Workspace,
    accounts_pool: Pool,
) -> None:
    asset_id = await a_streamed_video(api, http, run_jobs, settings)
    made: dict[str, tuple[str, list[str], list[str]]] = {}
    for who in ("removed", "viewer", "contributor"):
        email, _ = await identities.user(workspace, "admin" if who == "removed" else "editor")
        session = await login(visitor, email)
        own = json_of(await visitor.get(f"/assets/{asset_id}", headers=session))
        streams = await stream_paths(visitor, own["stream"]["hls_url"])
        links = [await share_of(visitor, asset_id, session)]
        if who == "removed":  # a key of theirs, and a link made with it
            key = await visitor.post("/keys", json={"role": "editor"}, headers=session)
            assert key.status_code == 201, key.text
            links.append(await share_of(api, asset_id, bearer(key.json()["key"])))
        for link in links:
            streams += await stream_paths(visitor, (await opened(visitor, http, link))["hls_url"])
        made[who] = (email, links, streams)
    bystander = await share_of(api, asset_id, {})

    assert (await api.delete(f"/members/{await user_id_of(api, made['removed'][0])}")).status_code == 204
    # `PATCH /members/{user_id}` changes a role through this same function.
    for who, role in (("viewer", Role.VIEWER), ("contributor", Role.CONTRIBUTOR)):
        user_id = await user_id_of(api, made[who][0])
        async with unit(accounts_pool) as work:
            await account_rows.set_membership(
                work.conn, user_id, workspace.id, role,
                Entry(action=Action.MEMBER_ROLE, workspace_id=workspace.id),
            )  # fmt: skip

    for _, links, streams in made.values():
        await refused_soon(visitor, streams)
        for link in links:
            await gone(visitor, link)
    await opened(visitor, http, bystander)
    logged = await revocations(accounts_pool, workspace)
    assert sorted(row["detail"]["because"] for row in logged) == [
        "member.remove", "member.remove", "member.role", "member.role",
    ]  # fmt: skip
    # A demoted member still reads, with a fresh token that plays; their link stays revoked.
    session = await login(visitor, made["viewer"][0])
    again = json_of(await visitor.get(f"/assets/{asset_id}", headers=session))
    await served(visitor, await stream_paths(visitor, again["stream"]["hls_url"]))
    await gone(visitor, made["viewer"][1][0])


async def test_a_link_lives_only_while_its_maker_could_make_it(
    api: Client, visitor: Client, identities: Identities, workspace: Workspace, settings: Settings
) -> None:
    """Even where no revocation ran (a role changed in the database by hand), the link asks its maker."""
    email, _ = await identities.user(workspace, "editor")
    session = await login(visitor, email)
    asset = await api.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"})
    link = await share_of(visitor, asset.json()["id"], session)
    assert (await visitor.get(f"/shares/{link}")).status_code == 200
    db = await asyncpg.connect(settings.db.url)
    try:
        user_id = await user_id_of(api, email)
        role = "UPDATE memberships SET role = $3 WHERE user_id = $1 AND workspace_id = $2"
        await db.execute(role, user_id, workspace.id, "contributor")
        await gone(visitor, link)
        await db.execute(role, user_id, workspace.id, "editor")
        assert (await visitor.get(f"/shares/{link}")).status_code == 200
    finally:
        await db.close()


async def test_revoking_a_link_or_deleting_its_asset_ends_the_stream_tokens(
    api: Client, visitor: Client, http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    asset_id = await a_streamed_video(api, http, run_jobs, settings)
    own = await stream_paths(visitor, json_of(await api.get(f"/assets/{asset_id}"))["stream"]["hls_url"])
    shared = []
    for _ in range(2):
        link = await share_of(api, asset_id, {})
        shared.append(await stream_paths(visitor, (await opened(visitor, http, link))["hls_url"]))
    listed = json_of(await api.get(f"/assets/{asset_id}/shares"))
    assert (await api.delete(f"/shares/{listed[-1]['id']}")).status_code == 204  # the first one made
    await refused_soon(visitor, shared[0])
    await served(visitor, shared[1])
    await served(visitor, own)
    assert (await api.delete(f"/assets/{asset_id}")).status_code == 204
    await refused_soon(visitor, own + shared[1])


async def test_a_stream_token_lives_at_most_the_cap(
    make_settings: Callable[..., Settings], api_key: str, http: httpx.AsyncClient, run_jobs: Any
) -> None:
    """An hour-long file's token no longer lives twice its duration: ``DAM_STREAM_TOKEN_TTL`` at
    most, for members and share links alike, and each read issues a fresh one."""
    settings = make_settings(DAM_STREAM_TOKEN_TTL=120)
    async with client_of(settings, api_key) as api:
        asset_id = await a_streamed_video(api, http, run_jobs, settings)
        db = await asyncpg.connect(settings.db.url)
        try:
            await db.execute(
                """UPDATE assets SET media = jsonb_set(media, '{duration}', '3600') WHERE id = $1""",
                uuid.UUID(asset_id),
            )
        finally:
            await db.close()
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["media"]["duration"] == 3600
        shown = json_of(await api.get(f"/shares/{await share_of(api, asset_id, {})}"))
        expiries = [expiry_of(url) for url in (asset["stream"]["hls_url"], shown["hls_url"])]
        assert all(expires <= time.time() + 120 for expires in expiries), expiries
        renewed = json_of(await api.get(f"/assets/{asset_id}"))["stream"]["hls_url"]
        assert expiry_of(renewed) >= expiries[0]


def expiry_of(stream_url: str) -> int:
    """When the token of a stream URL expires (epoch seconds)."""
    return int(stream_url[len(BASE) :].split("/")[2].split(".")[0], 36)
