"""The floor: a minimal Litestar app that only parses, INSERTs with asyncpg and presigns once.

Our `POST /assets` is measured against this app in the same run, so the ratio shows what our own
code costs on top of what the framework and the database allow.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import msgspec
from litestar import Litestar, post

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


@post("/assets", status_code=201)
async def create(data: Body) -> Answer:
    """INSERT and presign, nothing else."""
    pool = STATE["pool"]
    signer = STATE["signer"]
    assert isinstance(pool, asyncpg.Pool)
    assert isinstance(signer, SigV4Presigner)
    asset_id = uuid.uuid4()
    key = f"originals/{asset_id}/{data.filename}"
    await pool.execute(
        "INSERT INTO assets (id, filename, content_type, size, storage_key) VALUES ($1, $2, $3, $4, $5)",
        asset_id, data.filename, data.content_type, data.size, key,
    )  # fmt: skip
    url = signer.presign("PUT", "bench", key, expires=900, headers={"Content-Type": data.content_type})
    return Answer(id=asset_id, url=url)


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


app = Litestar(route_handlers=[create], lifespan=[lifespan], openapi_config=None)
