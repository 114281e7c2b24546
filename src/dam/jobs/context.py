"""What jobs get from their worker: the process's resources, opened once at start-up."""

from __future__ import annotations

import contextlib
from typing import Any

from dam.resources import open_resources
from dam.settings import Settings


async def on_startup(ctx: dict[str, Any]) -> None:
    """Open the pool and the S3 client into the arq context; the queue is arq's own Redis."""
    settings: Settings = ctx["settings"]
    stack = contextlib.AsyncExitStack()
    ctx["resources"] = await stack.enter_async_context(open_resources(settings, queue=ctx["redis"]))
    ctx["stack"] = stack


async def on_shutdown(ctx: dict[str, Any]) -> None:
    """Close what on_startup opened."""
    stack: contextlib.AsyncExitStack | None = ctx.get("stack")
    if stack is not None:
        await stack.aclose()
