"""The floor: a minimal Litestar app that checks the API key as cheaply as it can (one indexed
lookup and a constant-time comparison of its SHA-256), then does the bare work of each route:
`POST /assets` parses, INSERTs with asyncpg and presigns once; `GET /assets/{id}` reads the row
(in the key's workspace), its renditions and its steps, and presigns its download; `GET /redirect/...`
presigns a GET and answers 302 (the floor of the stream's delivery path).

Our `POST /assets` is measured against this app in the same run, so the ratio shows what our own
code costs on top of what the framework, the database and any key check allow.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec
from litestar import Litestar, Request, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.response import Redirect

from dam.storage.sigv4 import SigV4Presigner


class Body(msgspec.Struct):
    """The same fields a client sends to the real API."""

    filename: str
    content_type: str
    size: int | None = None


class Answer(msgspec.Struct):
    """Just the id and a URL."""

    id: uuid.UUID
    url: str


STATE: dict[str, object] = {}


class Asset(msgspec.Struct):
    """The row, what was made of it, and where to download it."""

    id: uuid.UUID
    filename: str
    status: str
    renditions: list[dict[str, object]]
    steps: list[dict[str, object]]
    download_url: str


def _resources() -> tuple[asyncpg.Pool, SigV4Presigner]:
    pool, signer = STATE["pool"], STATE["signer"]
    assert isinstance(pool, asyncpg.Pool)
    assert isinstance(signer, SigV4Presigner)
    return pool, signer


async def _workspace(pool: asyncpg.Pool, request: Request) -> uuid.UUID:  # type: ignore[type-arg]
    """The bare key check: the workspace of the key, or 401."""
    secret = request.headers.get("authorization", "").removeprefix("Bearer ")
    found = await pool.fetchrow("SELECT digest, workspace_id FROM api_keys WHERE prefix = $1", secret[:19])
    if found is None or not hmac.compare_digest(found["digest"], hashlib.sha256(secret.encode()).digest()):
        raise NotAuthorizedException()
    workspace: uuid.UUID = found["workspace_id"]
    return workspace


@get("/assets/{asset_id:uuid}")
async def read(asset_id: uuid.UUID, request: Request) -> Asset:  # type: ignore[type-arg]
    """Check the key, read the row, its renditions and steps, presign the download."""
    pool, signer = _resources()
    workspace = await _workspace(pool, request)
    row = await pool.fetchrow(
        "SELECT id, filename, status, storage_key FROM assets WHERE id = $1 AND workspace_id = $2",
        asset_id, workspace,
    )  # fmt: skip
    if row is None:
        raise NotAuthorizedException()
    renditions = await pool.fetch("SELECT kind, storage_key FROM renditions WHERE asset_id = $1", asset_id)
    steps = await pool.fetch("SELECT step, state FROM asset_steps WHERE asset_id = $1", asset_id)
    return Asset(
        id=row["id"], filename=row["filename"], status=row["status"],
        renditions=[dict(r.items()) for r in renditions], steps=[dict(r.items()) for r in steps],
        download_url=signer.presign("GET", "bench", row["storage_key"], expires=300),
    )  # fmt: skip


@post("/assets", status_code=201)
async def create(data: Body, request: Request) -> Answer:  # type: ignore[type-arg]
    """Check the key, INSERT and presign, nothing else."""
    pool, signer = _resources()
    workspace = await _workspace(pool, request)
    asset_id = uuid.uuid4()
    key = f"originals/{asset_id}/{data.filename}"
    await pool.execute(
        """INSERT INTO assets (id, filename, content_type, size, storage_key, workspace_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        asset_id, data.filename, data.content_type, data.size, key, workspace,
    )  # fmt: skip
    url = signer.presign("PUT", "bench", key, expires=900, headers={"Content-Type": data.content_type})
    return Answer(id=asset_id, url=url)


@get("/redirect/{path:path}", status_code=302)
async def redirect(path: str) -> Redirect:
    """The bare floor of the stream's delivery path: presign the object, answer 302."""
    _, signer = _resources()
    return Redirect(signer.presign("GET", "bench", f"renditions{path}", expires=300), status_code=302)


@contextlib.asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """One pool and one signer, as in the real app."""
    STATE["pool"] = await asyncpg.create_pool(os.environ["DAM_DATABASE_URL"], min_size=2, max_size=20)
    STATE["signer"] = SigV4Presigner(
        endpoint_url=os.environ["DAM_S3_ENDPOINT_URL"], region="us-east-1", access_key="k", secret_key="s"
    )
    yield
    pool = STATE["pool"]
    assert isinstance(pool, asyncpg.Pool)
    await pool.close()


app = Litestar(route_handlers=[create, read, redirect], lifespan=[lifespan], openapi_config=None)
