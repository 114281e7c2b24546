"""Access on every route: the route x principal matrix, other workspaces' ids answered as unknown
ones, keys that expire or are revoked, sign-in with its rate limit, sessions and CSRF, upload
tokens held to their limits, and no secret in a dump of the database."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.api.access import check_policies
from dam.api.app import create_app
from dam.domain.access import Role
from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import PASSWORD, Identities, bearer
from tests.support.flows import sha256_hex

Client = AsyncTestClient[Any]
ROLES = ("viewer", "contributor", "editor", "admin")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    """The API in-process with no credential of its own: each request brings one."""
    async with AsyncTestClient(app=create_app(settings)) as api:
        yield api


async def login(client: Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in; the headers that act as that browser session (cookie and CSRF token)."""
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    session = answer.cookies["dam_session"]
    client.cookies.clear()  # each request names its principal: nothing rides along in the jar
    return {"Cookie": f"dam_session={session}", "X-CSRF-Token": answer.json()["csrf_token"]}


@dataclass
class World:
    """Two workspaces and every kind of principal, as request headers."""

    home: Workspace
    other: Workspace
    principals: dict[str, dict[str, str]]
    token: str  # an upload token of home
    admin: dict[str, str]


@pytest.fixture
async def world(client: Client, identities: Identities) -> World:
    home, other = await identities.workspace(), await identities.workspace()
    principals: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ROLES:
        principals[role] = bearer(await identities.key(home, role))
    principals["expired key"] = bearer(await identities.key(home, "admin", expires_in=0.001))
    revoked = await identities.key(home, "admin")
    principals["other workspace"] = bearer(await identities.key(other, "admin"))
    email, _ = await identities.user(other, "viewer", operator=True)
    principals["operator"] = await login(client, email)
    admin = principals["admin"]
    listed = (await client.get("/keys", headers=admin)).json()
    (revoked_id,) = [k["id"] for k in listed if revoked.startswith(k["prefix"])]
    assert (await client.delete(f"/keys/{revoked_id}", headers=admin)).status_code == 204
    principals["revoked key"] = bearer(revoked)
    minted = await client.post("/upload-tokens", json={"expires_in": 600}, headers=admin)
    assert minted.status_code == 201, minted.text
    principals["upload token as a key"] = bearer(minted.json()["token"])
    asset = await an_asset(client, admin)
    shared = await client.post(
        f"/assets/{asset['id']}/shares", json={"expires_in": 600, "download": True}, headers=admin
    )
    assert shared.status_code == 201, shared.text
    principals["share link as a key"] = bearer(shared.json()["url"].rsplit("/", 1)[1])
    return World(home, other, principals, minted.json()["token"], admin)


async def an_asset(client: Client, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = await client.post(
        "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg", **body}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


Call = Callable[[Client, World, dict[str, str]], Awaitable[httpx.Response]]


async def _create(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/assets", json={"filename": "m.jpg", "content_type": "image/jpeg"}, headers=h)


async def _read(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/assets/{(await an_asset(c, w.admin))['id']}", headers=h)


async def _list(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/assets", headers=h)


async def _renew(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/upload", headers=h)


async def _complete(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/complete", headers=h)


async def _reprocess(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/reprocess", headers=h)


async def _delete(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.delete(f"/assets/{(await an_asset(c, w.admin))['id']}", headers=h)


async def _delete_for_good(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    asset_id = (await an_asset(c, w.admin))["id"]
    return await c.delete(f"/assets/{asset_id}", params={"permanent": "true"}, headers=h)


async def _restore(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/restore", headers=h)


async def _xmp(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/assets/{(await an_asset(c, w.admin))['id']}/xmp", headers=h)


HOOK = {"url": "https://example.org/hooks", "events": ["asset.ready"]}


async def a_hook(c: Client, w: World) -> str:
    made = await c.post("/webhooks", json=HOOK, headers=w.admin)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _make_hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/webhooks", json=HOOK, headers=h)


async def _hooks(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/webhooks", headers=h)


async def _hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/webhooks/{await a_hook(c, w)}", headers=h)


async def _change_hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.patch(f"/webhooks/{await a_hook(c, w)}", json={"description": "x"}, headers=h)


async def _delete_hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.delete(f"/webhooks/{await a_hook(c, w)}", headers=h)


async def _rotate_hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/webhooks/{await a_hook(c, w)}/rotate-secret", headers=h)


async def _test_hook(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/webhooks/{await a_hook(c, w)}/test", headers=h)


async def _hook_deliveries(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/webhooks/{await a_hook(c, w)}/deliveries", headers=h)


async def _redeliver(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    hook = await a_hook(c, w)
    delivery = (await c.post(f"/webhooks/{hook}/test", headers=w.admin)).json()["delivery_id"]
    return await c.post(f"/webhooks/{hook}/deliveries/{delivery}/redeliver", headers=h)


async def _trash(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/trash", headers=h)


async def _empty_trash(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.delete("/trash", headers=h)


async def _edit(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.patch(f"/assets/{(await an_asset(c, w.admin))['id']}", json={"title": "t"}, headers=h)


async def _bulk(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    body = {"ids": [(await an_asset(c, w.admin))["id"]], "add_tags": ["bulk"]}
    return await c.post("/assets/bulk", json=body, headers=h)


async def _tag(c: Client, w: World) -> str:
    """A tag of home, on a new asset of its admin."""
    name = f"tag-{uuid.uuid4().hex[:8]}"
    made = await c.post(
        "/assets", json={"filename": "m.jpg", "content_type": "image/jpeg", "tags": [name]}, headers=w.admin
    )
    assert made.status_code == 201, made.text
    return name


async def _tags(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/tags", headers=h)


async def _rename_tag(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    name = await _tag(c, w)
    return await c.patch(f"/tags/{name}", json={"name": name.upper()}, headers=h)


async def _delete_tag(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.delete(f"/tags/{await _tag(c, w)}", headers=h)


async def _companion(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/s3/multipart", json={"filename": "m.mp4", "type": "video/mp4"}, headers=h)


async def _tokened(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    body = {"filename": "m.mp4", "type": "video/mp4"}
    return await c.post(f"/uploads/{w.token}/s3/multipart", json=body, headers=h)


async def _me(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/auth/me", headers=h)


async def _session(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/auth/session", headers=h)


async def _jobs(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/api/jobs", headers=h)


async def _new_key(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/keys", json={"role": "viewer"}, headers=h)


async def _keys(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/keys", headers=h)


async def _members(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/members", headers=h)


async def _invite(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(
        "/invitations", json={"email": f"i-{uuid.uuid4().hex[:8]}@x.test", "role": "viewer"}, headers=h
    )


async def _invitations(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/invitations", headers=h)


async def _role(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.patch(f"/members/{uuid.uuid4()}", json={"role": "viewer"}, headers=h)


async def _token(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/upload-tokens", json={"expires_in": 60}, headers=h)


async def _tokens(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/upload-tokens", headers=h)


async def _revoke_token(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    minted = await c.post("/upload-tokens", json={"expires_in": 60}, headers=w.admin)  # the admin's own
    return await c.delete(f"/upload-tokens/{minted.json()['id']}", headers=h)


async def _workspace(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/workspaces", json={"slug": f"w-{uuid.uuid4().hex[:12]}"}, headers=h)


async def _shared(c: Client, w: World) -> dict[str, Any]:
    asset = await an_asset(c, w.admin)
    made = await c.post(
        f"/assets/{asset['id']}/shares", json={"expires_in": 60, "download": False}, headers=w.admin
    )
    assert made.status_code == 201, made.text
    return {"asset": asset["id"], **made.json()}


async def _share(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    asset = await an_asset(c, w.admin)
    return await c.post(f"/assets/{asset['id']}/shares", json={"expires_in": 60, "download": True}, headers=h)


async def _shares(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/assets/{(await _shared(c, w))['asset']}/shares", headers=h)


async def _revoke_share(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.delete(f"/shares/{(await _shared(c, w))['id']}", headers=h)


async def _open_share(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/shares/{(await _shared(c, w))['url'].rsplit('/', 1)[1]}", headers=h)


async def _search(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/search?q=m&facets=tag", headers=h)


async def _suggest(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/search/suggest?q=m", headers=h)


async def _collections(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/collections", headers=h)


async def _new_collection(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post("/collections", json={"name": "Trips"}, headers=h)


async def _collection(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    made = await c.post("/collections", json={"name": "Trips"}, headers=w.admin)
    return await c.get(f"/collections/{made.json()['id']}", headers=h)


async def _audit(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/audit?limit=1", headers=h)


async def _settings(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.patch("/workspace/settings", json={"share_max_ttl": None}, headers=h)


async def _schema(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/workspace/schema", headers=h)


async def _replace_schema(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    # An empty schema: the other routes of the matrix go on creating assets as before.
    return await c.put("/workspace/schema", json={"fields": [], "strict": False}, headers=h)


async def _similar(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get(f"/assets/{(await an_asset(c, w.admin))['id']}/similar", headers=h)


async def _transcript(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    # No model ran: a member who may read learns the asset has no transcript (404, as an unknown one).
    return await c.get(f"/assets/{(await an_asset(c, w.admin))['id']}/transcript.vtt", headers=h)


async def _duplicates(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/duplicates", headers=h)


async def _accept(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    # No model ran: a member who may answer learns the asset has no such suggestion (404).
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/suggestions/dog/accept", headers=h)


async def _reject(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.post(f"/assets/{(await an_asset(c, w.admin))['id']}/suggestions/dog/reject", headers=h)


async def _health(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/health", headers=h)


async def _stream(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    # The stream token is the credential whoever sends it: a made-up one is refused for everybody.
    path = f"/stream/1a2b3c.-.{'x' * 32}/{uuid.uuid4()}/h264-0123456789/master.m3u8"
    return await c.get(path, headers=h)


async def _document(c: Client, w: World, h: dict[str, str]) -> httpx.Response:
    return await c.get("/docs/openapi.json", headers=h)


PRINCIPALS = (
    "anonymous",
    *ROLES,
    "expired key",
    "revoked key",
    "upload token as a key",
    "other workspace",
    "operator",
    "share link as a key",
)
# Expected status per principal, in the order of PRINCIPALS. Unauthenticated: 401; a role that does
# not allow it: 403; another workspace's asset: 404 (as an unknown one); the operator here is a
# viewer of the other workspace (its role is refused before any id is looked at). A pending asset
# cannot be reprocessed (409) nor completed (409). An upload token is revoked by its minter or an
# admin: another member's is 404, as another workspace's is. A bulk change answers each id on its own
# (a member's request is 200; test_bulk.py checks its ids' 403 and 404).
MATRIX: dict[str, tuple[Call, tuple[int, ...]]] = {
    "POST /assets": (_create, (401, 403, 201, 201, 201, 401, 401, 401, 201, 403, 401)),
    "GET /assets/{id}": (_read, (401, 200, 200, 200, 200, 401, 401, 401, 404, 404, 401)),
    "GET /assets": (_list, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "GET /assets/{id}/similar": (_similar, (401, 200, 200, 200, 200, 401, 401, 401, 404, 404, 401)),
    "GET /assets/{id}/transcript.vtt": (_transcript, (401, 404, 404, 404, 404, 401, 401, 401, 404, 404, 401)),
    "GET /duplicates": (_duplicates, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "POST /assets/{id}/suggestions/{tag}/accept": (
        _accept,
        (401, 403, 403, 404, 404, 401, 401, 401, 404, 403, 401),
    ),
    "POST /assets/{id}/suggestions/{tag}/reject": (
        _reject,
        (401, 403, 403, 404, 404, 401, 401, 401, 404, 403, 401),
    ),
    "POST /assets/{id}/upload": (_renew, (401, 403, 403, 200, 200, 401, 401, 401, 404, 403, 401)),
    "POST /assets/{id}/complete": (_complete, (401, 403, 403, 409, 409, 401, 401, 401, 404, 403, 401)),
    "POST /assets/{id}/reprocess": (_reprocess, (401, 403, 403, 409, 409, 401, 401, 401, 404, 403, 401)),
    "DELETE /assets/{id}": (_delete, (401, 403, 403, 204, 204, 401, 401, 401, 404, 403, 401)),
    "DELETE /assets/{id}?permanent=true": (
        _delete_for_good,
        (401, 403, 403, 403, 204, 401, 401, 401, 404, 403, 401),
    ),
    # Only a trashed asset can be restored: a pending one is 409 to whoever may restore it.
    "POST /assets/{id}/restore": (_restore, (401, 403, 403, 409, 409, 401, 401, 401, 404, 403, 401)),
    "GET /assets/{id}/xmp": (_xmp, (401, 200, 200, 200, 200, 401, 401, 401, 404, 404, 401)),
    "POST /webhooks": (_make_hook, (401, 403, 403, 403, 201, 401, 401, 401, 201, 403, 401)),
    "GET /webhooks": (_hooks, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "GET /webhooks/{id}": (_hook, (401, 403, 403, 403, 200, 401, 401, 401, 404, 403, 401)),
    "PATCH /webhooks/{id}": (_change_hook, (401, 403, 403, 403, 200, 401, 401, 401, 404, 403, 401)),
    "DELETE /webhooks/{id}": (_delete_hook, (401, 403, 403, 403, 204, 401, 401, 401, 404, 403, 401)),
    "POST /webhooks/{id}/rotate-secret": (
        _rotate_hook,
        (401, 403, 403, 403, 200, 401, 401, 401, 404, 403, 401),
    ),
    "POST /webhooks/{id}/test": (_test_hook, (401, 403, 403, 403, 202, 401, 401, 401, 404, 403, 401)),
    "GET /webhooks/{id}/deliveries": (
        _hook_deliveries,
        (401, 403, 403, 403, 200, 401, 401, 401, 404, 403, 401),
    ),
    "POST /webhooks/{id}/deliveries/{delivery}/redeliver": (
        _redeliver,
        (401, 403, 403, 403, 202, 401, 401, 401, 404, 403, 401),
    ),
    "GET /trash": (_trash, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "DELETE /trash": (_empty_trash, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "PATCH /assets/{id}": (_edit, (401, 403, 403, 200, 200, 401, 401, 401, 404, 403, 401)),
    "POST /assets/bulk": (_bulk, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "GET /tags": (_tags, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "PATCH /tags/{name}": (_rename_tag, (401, 403, 403, 200, 200, 401, 401, 401, 404, 403, 401)),
    "DELETE /tags/{name}": (_delete_tag, (401, 403, 403, 204, 204, 401, 401, 401, 404, 403, 401)),
    "GET /search": (_search, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "GET /search/suggest": (_suggest, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "GET /collections": (_collections, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "POST /collections": (_new_collection, (401, 403, 201, 201, 201, 401, 401, 401, 201, 403, 401)),
    "GET /collections/{id}": (_collection, (401, 200, 200, 200, 200, 401, 401, 401, 404, 404, 401)),
    "POST /s3/multipart": (_companion, (401, 403, 200, 200, 200, 401, 401, 401, 200, 403, 401)),
    "POST /uploads/{token}/s3/multipart": (_tokened, (200,) * 11),
    "GET /auth/me": (_me, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "GET /auth/session": (_session, (200,) * 11),
    "GET /api/jobs": (_jobs, (401, 403, 403, 403, 200, 401, 401, 401, 200, 200, 401)),
    "POST /keys": (_new_key, (401, 403, 403, 403, 201, 401, 401, 401, 201, 403, 401)),
    "GET /keys": (_keys, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "GET /members": (_members, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "PATCH /members/{id}": (_role, (401, 403, 403, 403, 404, 401, 401, 401, 404, 403, 401)),
    "POST /invitations": (_invite, (401, 403, 403, 403, 201, 401, 401, 401, 201, 403, 401)),
    "GET /invitations": (_invitations, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "POST /upload-tokens": (_token, (401, 403, 201, 201, 201, 401, 401, 401, 201, 403, 401)),
    "GET /upload-tokens": (_tokens, (401, 403, 200, 200, 200, 401, 401, 401, 200, 403, 401)),
    "DELETE /upload-tokens/{id}": (_revoke_token, (401, 403, 404, 404, 204, 401, 401, 401, 404, 403, 401)),
    "POST /workspaces": (_workspace, (401, 403, 403, 403, 403, 401, 401, 401, 403, 201, 401)),
    "GET /health": (_health, (200,) * 11),
    "GET /docs/openapi.json": (_document, (200,) * 11),
    "GET /stream/{token}/...": (_stream, (403,) * 11),
    "POST /assets/{id}/shares": (_share, (401, 403, 403, 201, 201, 401, 401, 401, 404, 403, 401)),
    "GET /assets/{id}/shares": (_shares, (401, 403, 403, 200, 200, 401, 401, 401, 404, 403, 401)),
    "DELETE /shares/{id}": (_revoke_share, (401, 403, 403, 204, 204, 401, 401, 401, 404, 403, 401)),
    "GET /shares/{token}": (_open_share, (200,) * 11),
    "GET /audit": (_audit, (401, 403, 403, 403, 200, 401, 401, 401, 200, 200, 401)),
    "PATCH /workspace/settings": (_settings, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
    "GET /workspace/schema": (_schema, (401, 200, 200, 200, 200, 401, 401, 401, 200, 200, 401)),
    "PUT /workspace/schema": (_replace_schema, (401, 403, 403, 403, 200, 401, 401, 401, 200, 403, 401)),
}


async def test_route_principal_matrix(client: Client, world: World) -> None:
    assert world.principals.keys() == set(PRINCIPALS)
    wrong = []
    for route, (call, expected) in MATRIX.items():
        for who, status in zip(PRINCIPALS, expected, strict=True):
            answer = await call(client, world, world.principals[who])
            if answer.status_code != status:
                wrong.append(
                    f"{route} as {who}: {answer.status_code}, expected {status}: {answer.text[:160]}"
                )
            elif status in {401, 403}:
                assert answer.json()["error"] in {"unauthenticated", "forbidden"}, answer.text
                if status == 401:
                    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert wrong == [], "\n".join(wrong)


def test_every_route_declares_a_policy(settings: Settings) -> None:
    """check_policies refuses to build an app with a route lacking one; here every route the app
    serves is listed with it, and the anonymous ones are exactly the documented exceptions."""
    table = check_policies(create_app(settings))
    assert table, "no routes"
    anonymous = {path for method, path, rule in table if rule.anonymous and method != "OPTIONS"}
    assert anonymous == {
        "/", "/static/{file_path}", "/health", "/ready", "/jobs", "/auth/login", "/auth/logout",
        "/auth/session", "/auth/providers", "/auth/oidc/login", "/auth/oidc/callback",
        "/invite/{token}", "/invitations/{token}/accept",
        "/docs", "/docs/{path}", "/docs/openapi.json", "/docs/assets/{name}", "/app", "/app/{path}",
    }  # fmt: skip
    tokened = {path for _, path, rule in table if rule.token and path.startswith("/uploads/{token}")}
    assert len(tokened) == 6
    shared = {(method, path) for method, path, rule in table if rule.share}
    assert shared == {
        ("GET", "/shares/{share}"), ("POST", "/shares/{share}/unlock"), ("GET", "/s/{token}"),
        ("GET", "/shares/{share}/assets/{asset_id}"),
    }  # fmt: skip
    streamed = {(method, path) for method, path, rule in table if rule.stream}
    assert streamed == {("GET", "/stream/{token}/{asset_id}/{path}")}
    assert all(rule.anonymous for method, _, rule in table if method == "OPTIONS")


async def test_ids_of_another_workspace_answer_as_unknown_ones(client: Client, world: World) -> None:
    data = b"only in home"
    digest = sha256_hex(data)
    asset = await an_asset(client, world.admin, sha256=digest, multipart=True)
    intruder, unknown = world.principals["other workspace"], str(uuid.uuid4())

    async def both(method: str, template: str, **kwargs: Any) -> None:
        theirs = await client.request(method, template.format(id=asset["id"]), headers=intruder, **kwargs)
        nobody = await client.request(method, template.format(id=unknown), headers=intruder, **kwargs)
        assert theirs.status_code == nobody.status_code == 404, (template, theirs.text)
        assert theirs.json() == {
            **nobody.json(),
            "detail": nobody.json()["detail"].replace(unknown, asset["id"]),
        }

    for method, template in [
        ("GET", "/assets/{id}"), ("POST", "/assets/{id}/upload"), ("POST", "/assets/{id}/complete"),
        ("POST", "/assets/{id}/reprocess"), ("DELETE", "/assets/{id}"),
    ]:  # fmt: skip
        await both(method, template)
    await both("PATCH", "/assets/{id}", json={"title": "x"})
    changed = await client.post(
        "/assets/bulk", json={"ids": [asset["id"], unknown], "delete": True}, headers=intruder
    )
    mine, nobodys = changed.json()["results"]
    assert mine["status"] == nobodys["status"] == 404, changed.text
    assert mine["error"] == nobodys["error"].replace(unknown, asset["id"])
    # The Companion routes address uploads by object key and upload id.
    key, upload_id = f"originals/{asset['id']}/{asset['filename']}", asset["upload"]["upload_id"]
    fake = key.replace(asset["id"], unknown)
    for method, path in [
        ("GET", "/s3/multipart/{u}?key={k}"), ("GET", "/s3/multipart/{u}/1?key={k}"),
        ("GET", "/s3/multipart/{u}/batch?key={k}&partNumbers=1"), ("DELETE", "/s3/multipart/{u}?key={k}"),
    ]:  # fmt: skip
        theirs = await client.request(method, path.format(u=upload_id, k=key), headers=intruder)
        nobody = await client.request(method, path.format(u=upload_id, k=fake), headers=intruder)
        assert theirs.status_code == nobody.status_code == 404, (path, theirs.text)
    complete = {"parts": [{"PartNumber": 1, "ETag": '"abc"'}]}
    theirs = await client.post(
        f"/s3/multipart/{upload_id}/complete?key={key}", json=complete, headers=intruder
    )
    assert theirs.status_code == 404, theirs.text
    # Listings and filters: the other workspace sees neither the asset nor that the file exists.
    assert (await client.get(f"/assets?sha256={digest}", headers=world.admin)).json()["items"]
    for query in (f"?sha256={digest}", "?status=pending_upload", "?limit=200"):
        listed = (await client.get(f"/assets{query}", headers=intruder)).json()["items"]
        assert asset["id"] not in {a["id"] for a in listed}
    assert (await client.get(f"/assets?sha256={digest}", headers=intruder)).json() == {
        "items": [],
        "next_cursor": None,
    }
    # And the asset is untouched.
    still = await client.get(f"/assets/{asset['id']}", headers=world.admin)
    assert still.json()["status"] == "pending_upload"


async def test_a_contributor_edits_only_their_own_assets(client: Client, identities: Identities) -> None:
    home = await identities.workspace()
    mine, theirs = (
        bearer(await identities.key(home, "contributor")),
        bearer(await identities.key(home, "contributor")),
    )
    own = await an_asset(client, mine)
    other = await an_asset(client, theirs)
    assert (await client.get(f"/assets/{other['id']}", headers=mine)).status_code == 200  # may read
    refused = await client.delete(f"/assets/{other['id']}", headers=mine)
    assert refused.status_code == 403, refused.text
    assert (await client.post(f"/assets/{other['id']}/upload", headers=mine)).status_code == 403
    assert (await client.post(f"/assets/{other['id']}/reprocess", headers=mine)).status_code == 403
    # Their own one they may reprocess: refused only because it has not been uploaded yet.
    assert (await client.post(f"/assets/{own['id']}/reprocess", headers=mine)).status_code == 409
    assert (await client.delete(f"/assets/{own['id']}", headers=mine)).status_code == 204


async def test_a_key_is_refused_once_it_expires_or_is_revoked(
    client: Client, identities: Identities, workspace: Workspace, api: Client
) -> None:
    short = await identities.key(workspace, "viewer", expires_in=1.5)
    assert (await client.get("/assets", headers=bearer(short))).status_code == 200
    deadline = time.monotonic() + 30
    while (answer := await client.get("/assets", headers=bearer(short))).status_code == 200:
        assert time.monotonic() < deadline, "the key still worked 30 s after it expired"
        await asyncio.sleep(0.2)
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]
    made = (await api.post("/keys", json={"role": "viewer", "name": "script"})).json()
    assert made["key"].startswith("dam_live_")
    assert made["key"].startswith(made["prefix"])
    assert (await client.get("/assets", headers=bearer(made["key"]))).status_code == 200
    assert (await api.delete(f"/keys/{made['id']}")).status_code == 204
    revoked = await client.get("/assets", headers=bearer(made["key"]))
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]
    listed = {k["id"]: k for k in (await api.get("/keys")).json()}
    assert listed[made["id"]]["revoked_at"] is not None
    assert listed[made["id"]]["last_used_at"] is not None
    assert "key" not in listed[made["id"]]
    for bad in ("Bearer", "Bearer dam_live_short", "Basic dXNlcjpwYXNz", f"Bearer {made['key'][:-1]}x"):
        assert (await client.get("/assets", headers={"Authorization": bad})).status_code == 401, bad


async def test_a_key_cannot_be_wider_than_its_creator(client: Client, identities: Identities) -> None:
    home = await identities.workspace()
    admin = bearer(await identities.key(home, "admin"))
    made = await client.post("/keys", json={"role": "contributor"}, headers=admin)
    assert made.status_code == 201
    narrower = bearer(made.json()["key"])
    assert (await client.post("/keys", json={"role": "admin"}, headers=narrower)).status_code == 403
    assert (await client.get("/api/jobs", headers=narrower)).status_code == 403


async def test_sign_in_is_rate_limited_per_account_and_per_address(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "viewer")
    for attempt in range(5):
        wrong = await client.post("/auth/login", json={"email": email, "password": f"wrong {attempt}"})
        assert wrong.status_code == 401, wrong.text
    sixth = await client.post("/auth/login", json={"email": email, "password": "wrong again"})
    assert sixth.status_code == 429, sixth.text
    assert 1 <= int(sixth.headers["retry-after"]) <= 60
    # Even the right password waits now: the limit is checked before any password is.
    assert (await client.post("/auth/login", json={"email": email, "password": password})).status_code == 429


async def test_sign_in_from_one_address_is_limited_across_accounts(
    make_settings: Callable[..., Settings], identities: Identities, workspace: Workspace
) -> None:
    async with AsyncTestClient(app=create_app(make_settings())) as client:
        for n in range(5):
            answer = await client.post(
                "/auth/login", json={"email": f"nobody-{n}@example.test", "password": "not a password"}
            )
            assert answer.status_code == 401
        email, _ = await identities.user(workspace, "viewer")
        limited = await client.post("/auth/login", json={"email": email, "password": "wrong"})
        assert limited.status_code == 429, limited.text


async def test_sessions_are_new_at_sign_in_and_end_at_sign_out(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "contributor")
    planted = "x" * 43  # a session id an attacker chose: the server never adopts it
    client.cookies.set("dam_session", planted)
    answer = await client.post("/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200
    first = answer.cookies["dam_session"]
    assert first != planted
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    me = answer.json()
    assert me["user"]["email"] == email
    assert me["workspace"]["role"] == "contributor"
    csrf = me["csrf_token"]
    client.cookies.clear()
    second = (await client.post("/auth/login", json={"email": email, "password": password})).cookies[
        "dam_session"
    ]
    assert second != first
    client.cookies.clear()
    for session in (first, second):
        assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={session}"})).status_code == 200
    assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={planted}"})).status_code == 401
    # Signing out with the cookie takes its CSRF token: another site cannot sign anyone out.
    forged = await client.post("/auth/logout", headers={"Cookie": f"dam_session={first}"})
    assert forged.status_code == 403, forged.text
    assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={first}"})).status_code == 200
    out = await client.post("/auth/logout", headers={"Cookie": f"dam_session={first}", "X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={first}"})).status_code == 401
    assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={second}"})).status_code == 200


async def test_a_password_change_ends_every_session(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    email, password = await identities.user(workspace, "viewer")
    one, two = await login(client, email, password), await login(client, email, password)
    new = "a much longer passphrase, 2026"
    weak = await client.post(
        "/auth/password", json={"current_password": password, "new_password": "password123456"}, headers=one
    )
    assert weak.status_code == 422, weak.text
    changed = await client.post(
        "/auth/password", json={"current_password": password, "new_password": new}, headers=one
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.cookies["dam_session"]
    client.cookies.clear()
    for old in (one, two):
        assert (await client.get("/auth/me", headers={"Cookie": old["Cookie"]})).status_code == 401
    assert (await client.get("/auth/me", headers={"Cookie": f"dam_session={fresh}"})).status_code == 200
    assert (await client.post("/auth/login", json={"email": email, "password": password})).status_code == 401
    assert (await client.post("/auth/login", json={"email": email, "password": new})).status_code == 200


async def test_cookie_writes_need_the_csrf_token(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    email, _ = await identities.user(workspace, "contributor")
    session = await login(client, email)
    body = {"filename": "x.jpg", "content_type": "image/jpeg"}
    cookie = {"Cookie": session["Cookie"]}
    cross_site = {**cookie, "Origin": "https://evil.example", "Content-Type": "text/plain"}
    for headers in (cookie, {**cookie, "X-CSRF-Token": "0" * 64}, cross_site):
        refused = await client.post("/assets", json=body, headers=headers)
        assert refused.status_code == 403, refused.text
    assert (await client.get("/assets", headers=cookie)).status_code == 200  # reads need none
    assert (await client.post("/assets", json=body, headers=session)).status_code == 201


async def test_a_member_of_several_workspaces_names_one(client: Client, identities: Identities) -> None:
    first, second = await identities.workspace(), await identities.workspace()
    email, _ = await identities.user(first, "viewer")
    await identities.accounts.create_user(email, None, second, Role.EDITOR)
    session = await login(client, email)
    me = (await client.get("/auth/me", headers=session)).json()
    assert me["workspace"]["slug"] == first.slug
    assert len(me["workspaces"]) == 2
    named = (await client.get("/auth/me", headers={**session, "X-Workspace": second.slug})).json()
    assert named["workspace"] == {
        "id": str(second.id),
        "slug": second.slug,
        "name": second.name,
        "role": "editor",
    }
    by_query = await client.get(f"/auth/me?workspace={second.id}", headers=session)
    assert by_query.json()["workspace"]["role"] == "editor"
    created = await client.post(
        "/assets",
        json={"filename": "s.jpg", "content_type": "image/jpeg"},
        headers={**session, "X-Workspace": second.slug},
    )
    assert created.status_code == 201  # an editor there, a viewer in the first
    assert (
        await client.post(
            "/assets", json={"filename": "s.jpg", "content_type": "image/jpeg"}, headers=session
        )
    ).status_code == 403
    for name in ("nope", str(uuid.uuid4())):
        refused = await client.get("/assets", headers={**session, "X-Workspace": name})
        assert refused.status_code == 403
        assert "not a member" in refused.json()["detail"]


async def test_the_session_route_answers_signed_out_without_failing(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    """``GET /auth/session`` is what the web app asks before anyone signed in: 200 either way."""
    assert (await client.get("/auth/session")).json() == {"me": None}
    email, _ = await identities.user(workspace, "editor")
    session = await login(client, email)
    cookie = {"Cookie": session["Cookie"]}
    answer = await client.get("/auth/session", headers=cookie)
    assert answer.status_code == 200
    assert answer.json()["me"] == (await client.get("/auth/me", headers=cookie)).json()
    assert answer.json()["me"]["csrf_token"] == session["X-CSRF-Token"]
    # A workspace the user is not in, a made-up session, an ended one: no one, and still 200.
    for headers in (
        {**cookie, "X-Workspace": "nope"},
        {"Cookie": "dam_session=" + "x" * 43},
        {"Authorization": "Bearer dam_live_" + "x" * 43},
    ):
        assert (await client.get("/auth/session", headers=headers)).json() == {"me": None}, headers
    assert (await client.post("/auth/logout", headers=session)).status_code == 204
    ended = await client.get("/auth/session", headers=cookie)
    assert (ended.status_code, ended.json()) == (200, {"me": None})


async def test_upload_tokens_hold_to_their_type_size_workspace_and_lifetime(
    client: Client, world: World, http: httpx.AsyncClient
) -> None:
    made = await client.post(
        "/upload-tokens",
        json={"expires_in": 600, "content_types": ["image/*"], "max_bytes": 1000},
        headers=world.admin,
    )
    assert made.status_code == 201, made.text
    token = made.json()
    assert token["companion_endpoint"].endswith(f"/uploads/{token['token']}")
    base = f"/uploads/{token['token']}/s3"
    wrong_type = await client.post(f"{base}/multipart", json={"filename": "a.mp4", "type": "video/mp4"})
    assert wrong_type.status_code == 422, wrong_type.text
    form = await client.get(f"{base}/params", params={"filename": "big.jpg", "type": "image/jpeg"})
    assert form.status_code == 200, form.text
    fields = form.json()["fields"]
    too_big = await http.post(
        form.json()["url"], data=fields, files={"file": ("big.jpg", b"x" * 1001, "image/jpeg")}
    )
    assert too_big.status_code == 400
    assert b"EntityTooLarge" in too_big.content
    fits = await http.post(
        form.json()["url"], data=fields, files={"file": ("big.jpg", b"x" * 1000, "image/jpeg")}
    )
    assert fits.status_code in {200, 201, 204}, fits.text
    # Its assets are the workspace's, and only the workspace's.
    asset_id = fields["key"].split("/")[1]  # originals/{asset id}/{file name}
    mine = (await client.get("/assets?limit=200", headers=world.admin)).json()["items"]
    assert asset_id in {a["id"] for a in mine}
    theirs = (await client.get("/assets?limit=200", headers=world.principals["other workspace"])).json()[
        "items"
    ]
    assert asset_id not in {a["id"] for a in theirs}
    # The token reaches none of the other routes, and expires.
    assert (await client.get("/assets", headers=bearer(token["token"]))).status_code == 401
    assert (await client.get(f"/uploads/{token['token']}/assets")).status_code == 404
    # (A token of its own for that: on a busy machine the steps above may take longer than its life.)
    short = await client.post("/upload-tokens", json={"expires_in": 2}, headers=world.admin)
    assert short.status_code == 201, short.text
    short_base = f"/uploads/{short.json()['token']}/s3"
    deadline = time.monotonic() + 30
    while (
        late := await client.post(f"{short_base}/multipart", json={"filename": "a.jpg", "type": "image/jpeg"})
    ).status_code == 200:
        assert time.monotonic() < deadline, "the token still worked 30 s after it expired"
        await asyncio.sleep(0.2)
    assert late.status_code == 401, late.text
    for bad in ("dam_up_nothing", "x" * 50):
        assert (
            await client.post(
                f"/uploads/{bad}/s3/multipart", json={"filename": "a.jpg", "type": "image/jpeg"}
            )
        ).status_code == 401


async def test_a_dump_of_the_database_holds_no_secret(
    client: Client, identities: Identities, workspace: Workspace, database_url: str
) -> None:
    email, password = await identities.user(workspace, "admin")
    session = await login(client, email, password)
    key = (await client.post("/keys", json={"role": "viewer"}, headers=session)).json()["key"]
    token = (await client.post("/upload-tokens", json={"expires_in": 60}, headers=session)).json()["token"]
    dump = await asyncio.to_thread(
        subprocess.run, ["pg_dump", "--data-only", database_url], capture_output=True, check=True
    )
    text = dump.stdout.decode()
    assert email in text  # the dump is of the right database
    session_id = session["Cookie"].split("=", 1)[1]
    for secret in (password, key, key[len("dam_live_") :], token, token[len("dam_up_") :], session_id):
        assert secret not in text
    assert "$argon2id$" in text


async def test_answers_with_urls_keys_or_tokens_are_never_cached(client: Client, world: World) -> None:
    created = await an_asset(client, world.admin)
    answers = {
        "create": await client.post(
            "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"}, headers=world.admin
        ),
        "read": await client.get(f"/assets/{created['id']}", headers=world.admin),
        "list": await client.get("/assets", headers=world.admin),
        "key": await client.post("/keys", json={"role": "viewer"}, headers=world.admin),
        "token": await client.post("/upload-tokens", json={"expires_in": 60}, headers=world.admin),
        "form": await client.get(
            f"/uploads/{world.token}/s3/params", params={"filename": "a.jpg", "type": "image/jpeg"}
        ),
        "refused": await client.get(f"/assets/{created['id']}"),
    }
    for name, answer in answers.items():
        assert answer.headers.get("cache-control") == "private, no-store", (name, answer.headers)
    # The pages' stylesheet carries nothing private: caches may keep it.
    script = await client.get("/static/pages.css")
    assert script.status_code == 200
    assert "no-store" not in script.headers.get("cache-control", "")


async def test_a_new_token_resumes_a_page_upload_but_reaches_no_other(client: Client, world: World) -> None:
    """A page reloaded mid-upload holds a new token of its workspace (one per page view): it goes on
    with the upload its predecessor began, knowing its key and storage upload id; uploads made with
    a key, and other workspaces' token uploads, answer 404."""
    body = {"filename": "clip.mp4", "type": "video/mp4"}
    began = await client.post(f"/uploads/{world.token}/s3/multipart", json=body)
    assert began.status_code == 200, began.text
    by_key = await client.post("/s3/multipart", json=body, headers=world.admin)
    assert by_key.status_code == 200, by_key.text
    other_admin = world.principals["other workspace"]
    minted = await client.post("/upload-tokens", json={"expires_in": 600}, headers=other_admin)
    theirs = await client.post(f"/uploads/{minted.json()['token']}/s3/multipart", json=body)
    assert theirs.status_code == 200, theirs.text
    fresh = await client.post("/upload-tokens", json={"expires_in": 600}, headers=world.admin)
    assert fresh.status_code == 201, fresh.text
    base = f"/uploads/{fresh.json()['token']}/s3/multipart"

    def parts(upload: httpx.Response) -> str:
        made = upload.json()
        return f"{base}/{made['uploadId']}?key={made['key']}"

    resumed = await client.get(parts(began))
    assert resumed.status_code == 200, resumed.text
    assert resumed.json() == []
    for other in (by_key, theirs):
        refused = await client.get(parts(other))
        assert refused.status_code == 404, refused.text


async def test_a_users_keys_and_tokens_are_worth_no_more_than_the_user_is_now(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    owner = bearer(await identities.key(workspace, "admin"))
    email, password = await identities.user(workspace, "admin")
    session = await login(client, email, password)
    made = await client.post("/keys", json={"role": "editor", "name": "theirs"}, headers=session)
    assert made.status_code == 201, made.text
    key = bearer(made.json()["key"])
    minted = await client.post("/upload-tokens", json={"expires_in": 600}, headers=session)
    token = minted.json()["token"]
    body = {"filename": "t.mp4", "type": "video/mp4"}
    me = (await client.get("/auth/me", headers=key)).json()
    assert me["workspace"]["role"] == "editor"
    user_id = next(
        m["user_id"] for m in (await client.get("/members", headers=owner)).json() if m["email"] == email
    )
    demoted = await client.patch(f"/members/{user_id}", json={"role": "viewer"}, headers=owner)
    assert demoted.status_code == 200, demoted.text
    assert (await client.get("/auth/me", headers=key)).json()["workspace"]["role"] == "viewer"
    refused = await client.post(
        "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"}, headers=key
    )
    assert refused.status_code == 403, refused.text
    stopped = await client.post(f"/uploads/{token}/s3/multipart", json=body)
    assert stopped.status_code == 401, stopped.text
    assert "creator" in stopped.json()["detail"]
    assert (await client.delete(f"/members/{user_id}", headers=owner)).status_code == 204
    gone = await client.get("/assets", headers=key)
    assert gone.status_code == 401, gone.text
    assert "no longer a member" in gone.json()["detail"]


async def test_revoking_a_key_revokes_what_it_made(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    root = bearer(await identities.key(workspace, "admin", expires_in=3600))
    child = await client.post("/keys", json={"role": "admin"}, headers=root)
    assert child.status_code == 201, child.text
    assert child.json()["expires_at"] is not None  # no later than the key that made it
    grandchild = await client.post(
        "/keys", json={"role": "contributor", "expires_in": 7200}, headers=bearer(child.json()["key"])
    )
    assert grandchild.status_code == 201, grandchild.text
    assert grandchild.json()["expires_at"] <= child.json()["expires_at"]
    token = (
        await client.post(
            "/upload-tokens", json={"expires_in": 600}, headers=bearer(grandchild.json()["key"])
        )
    ).json()["token"]
    body = {"filename": "t.mp4", "type": "video/mp4"}
    assert (await client.post(f"/uploads/{token}/s3/multipart", json=body)).status_code == 200
    other = bearer(await identities.key(workspace, "admin"))
    assert (await client.delete(f"/keys/{child.json()['id']}", headers=other)).status_code == 204
    for secret in (child.json()["key"], grandchild.json()["key"]):
        answer = await client.get("/assets", headers=bearer(secret))
        assert answer.status_code == 401, answer.text
        assert "revoked" in answer.json()["detail"]
    revoked = await client.post(f"/uploads/{token}/s3/multipart", json=body)
    assert revoked.status_code == 401, revoked.text
    assert "revoked" in revoked.json()["detail"]
    assert (await client.get("/assets", headers=root)).status_code == 200  # the one above is untouched


async def test_a_signed_in_browser_needs_the_csrf_token_to_sign_a_form(
    client: Client, identities: Identities, workspace: Workspace
) -> None:
    """GET /s3/params creates an asset: a page on another site must not make one with the cookie."""
    email, _ = await identities.user(workspace, "contributor")
    session = await login(client, email)
    query = {"filename": "a.jpg", "type": "image/jpeg"}
    refused = await client.get("/s3/params", params=query, headers={"Cookie": session["Cookie"]})
    assert refused.status_code == 403, refused.text
    assert (await client.get("/s3/params", params=query, headers=session)).status_code == 200
