"""What jobs get from their worker: the process's resources and its queue's tools, opened once at
start-up and closed in reverse order at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from dam.domain.steps import Queue
from dam.jobs.outbox import drain_outbox
from dam.resources import Resources
from dam.settings import Settings
from dam.startup import started, worker


@contextlib.asynccontextmanager
async def open_tools(resources: Resources, queue: Queue) -> AsyncIterator[dict[str, Any]]:
    """What a worker of ``queue`` loads once for its steps (a model, a decoder pool); none today."""
    yield {}


async def on_startup(ctx: dict[str, Any]) -> None:
    """Open the pool and the S3 client into the arq context (the queue is arq's own Redis), then
    the queue's tools."""
    settings: Settings = ctx["settings"]
    queue = Queue(ctx.get("queue", Queue.MEDIA))
    stack = contextlib.AsyncExitStack()
    resources = await stack.enter_async_context(started(settings, worker(queue.value), queue=ctx["redis"]))
    ctx["resources"] = resources
    ctx["tools"] = await stack.enter_async_context(open_tools(resources, queue))
    drainer = asyncio.create_task(drain_outbox(resources), name="outbox")
    stack.push_async_callback(_cancel, drainer)
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
