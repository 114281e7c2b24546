"""What jobs get from their worker: the same services the API uses, opened once per process."""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec

from dam.db.pool import Pool, create_pool
from dam.settings import Settings
from dam.storage.s3 import Storage, open_storage


class JobContext(msgspec.Struct, kw_only=True):
    """Per-process resources for jobs."""

    settings: Settings
    pool: Pool
    storage: Storage
    stack: contextlib.AsyncExitStack


async def on_startup(ctx: dict[str, Any]) -> None:
    """Open the pool and the S3 client into the arq context."""
    settings: Settings = ctx["settings"]
    stack = contextlib.AsyncExitStack()
    pool = await create_pool(settings.db)
    stack.push_async_callback(pool.close)
    storage = await stack.enter_async_context(open_storage(settings.s3))
    ctx["deps"] = JobContext(settings=settings, pool=pool, storage=storage, stack=stack)


async def on_shutdown(ctx: dict[str, Any]) -> None:
    """Close what on_startup opened."""
    deps: JobContext | None = ctx.get("deps")
    if deps is not None:
        await deps.stack.aclose()
