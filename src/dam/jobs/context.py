"""What jobs get from their worker: the process's resources, opened once at start-up."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from dam.domain.steps import Queue
from dam.jobs.forms import sweep_forms
from dam.jobs.outbox import drain_outbox
from dam.resources import open_resources
from dam.settings import Settings


async def on_startup(ctx: dict[str, Any]) -> None:
    """Open the pool and the S3 client into the arq context (the queue is arq's own Redis), and
    start the outbox drainer and, in a media worker, the form sweep."""
    settings: Settings = ctx["settings"]
    stack = contextlib.AsyncExitStack()
    resources = await stack.enter_async_context(open_resources(settings, queue=ctx["redis"]))
    ctx["resources"] = resources
    drainer = asyncio.create_task(drain_outbox(resources), name="outbox")
    stack.push_async_callback(_cancel, drainer)
    if ctx.get("queue", Queue.MEDIA) is Queue.MEDIA:  # the reconciler's worker sweeps form uploads
        sweeper = asyncio.create_task(sweep_forms(resources), name="form-sweep")
        stack.push_async_callback(_cancel, sweeper)
    ctx["stack"] = stack


async def on_shutdown(ctx: dict[str, Any]) -> None:
    """Close what on_startup opened."""
    stack: contextlib.AsyncExitStack | None = ctx.get("stack")
    if stack is not None:
        await stack.aclose()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
