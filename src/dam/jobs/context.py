"""What jobs get from their worker: the process's resources and its queue's tools, opened once at
start-up and closed in reverse on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from dam.domain.steps import QUEUES
from dam.jobs.forms import sweep_forms
from dam.jobs.outbox import drain_outbox
from dam.jobs.registry import open_tools
from dam.jobs.wake import wake_on_return
from dam.jobs.webhooks import deliver_webhooks
from dam.settings import Settings
from dam.startup import started, worker


async def on_startup(ctx: dict[str, Any]) -> None:
    """Open the pool, the S3 client and the tools of the worker's queue (``ctx["queue"]``) into the
    arq context (the queue is arq's own Redis); start the outbox drainer, the outage watch that wakes
    parked steps, and in the housekeeping queue's worker the form sweep."""
    settings: Settings = ctx["settings"]
    queue: str = ctx["queue"]
    stack = contextlib.AsyncExitStack()
    resources = await stack.enter_async_context(started(settings, worker(queue), queue=ctx["redis"]))
    ctx["resources"] = resources
    ctx["tools"] = await stack.enter_async_context(open_tools(resources, queue))
    drainer = asyncio.create_task(drain_outbox(resources), name="outbox")
    stack.push_async_callback(_cancel, drainer)
    if QUEUES[queue].housekeeping:  # the reconciler's worker sweeps form uploads, sends webhooks
        sweeper = asyncio.create_task(sweep_forms(resources), name="form-sweep")
        stack.push_async_callback(_cancel, sweeper)
        sender = asyncio.create_task(deliver_webhooks(resources), name="webhooks")
        stack.push_async_callback(_cancel, sender)
    watch = asyncio.create_task(wake_on_return(resources), name="outages")
    stack.push_async_callback(_cancel, watch)
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
