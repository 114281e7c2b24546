"""The job that runs an asset's steps of one queue (``process_asset`` for the media queue).

The job takes the asset's runnable steps of its queue one after the other (short steps of one
queue run in sequence inside one job: one queue round trip per asset instead of one per step).
Each step is its own unit: begun and finished in its own transaction, retried on its own, taken
over after a dead worker, recorded in ``asset_steps``. Steps of other queues are handed over to
those queues when the job ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

import asyncpg
from arq import Retry
from redis.exceptions import RedisError

from dam.db import steps as step_rows
from dam.domain.errors import MediaRejected, Unavailable
from dam.domain.status import AssetStatus
from dam.domain.steps import STEPS, Queue, runnable
from dam.jobs.steps import HANDLERS
from dam.resources import Resources
from dam.services.processing import Processing

log = logging.getLogger(__name__)

# Faults of the services around us, not of the media: worth retrying with backoff.
TRANSIENT = (Unavailable, OSError, asyncpg.PostgresConnectionError, RedisError, TimeoutError)


async def process_asset(ctx: dict[str, Any], asset_id: str) -> str:
    """Run the asset's media steps; the result says how the asset ended (or why nothing ran)."""
    try:
        return await run_queue(ctx["resources"], Queue.MEDIA, uuid.UUID(asset_id))
    except TRANSIENT as exc:  # the database or Redis failed between steps: the job runs again
        tries = int(ctx.get("job_try", 1))
        log.warning("asset %s: transient fault between steps (try %d): %s", asset_id, tries, exc)
        raise Retry(defer=min(60, 2**tries)) from exc


async def run_queue(resources: Resources, queue: Queue, asset_id: uuid.UUID) -> str:
    """Every runnable step of ``queue``, in plan order, until none is left or the asset is done."""
    processing = Processing(resources)
    started = time.perf_counter()
    ran: list[str] = []
    while True:
        states = await step_rows.states(resources.pool, asset_id)
        todo = runnable(states, queue, resume=True)
        if not todo:
            break
        outcome = await _run_step(resources, processing, asset_id, todo[0])
        if outcome is None:
            return f"skipped: {todo[0]} is not waiting to run (asset changed?)"
        ran.append(todo[0])
        if outcome.startswith("failed"):
            return outcome
    if not ran:
        return "skipped: no step waiting on this queue"
    asset = await processing.current(asset_id)
    if asset is not None and asset.status is AssetStatus.PROCESSING:
        await processing.hand_over(asset)  # steps of other queues
    took = time.perf_counter() - started
    log.info("asset %s: %s in %.2fs", asset_id, ", ".join(ran), took)
    state = asset.status.value if asset else "gone"
    return f"{state}: {', '.join(ran)}"


async def _run_step(
    resources: Resources, processing: Processing, asset_id: uuid.UUID, name: str
) -> str | None:
    settings = resources.settings.worker
    seconds = min(STEPS[name].timeout, settings.job_timeout)
    start = await processing.begin(asset_id, name, stale_after=seconds)
    if start is None:
        return None
    limit = settings.max_tries
    if start.step.attempts > limit:  # taken over again and again: its worker keeps dying
        reason = f"gave up after {limit} attempts: each one was interrupted (worker died or timed out)"
        log.error("asset %s: step %s %s", asset_id, name, reason)
        await processing.finish(asset_id, name, error=reason)
        return f"failed: {reason} (step {name})"
    try:
        async with asyncio.timeout(seconds):
            result = await HANDLERS[name](resources, start.asset)
    except MediaRejected as exc:
        await processing.finish(asset_id, name, error=exc.detail)
        return f"failed: {exc.detail} (step {name})"
    except TRANSIENT as exc:
        if start.step.attempts >= limit:
            reason = f"gave up after {start.step.attempts} attempts: {type(exc).__name__}: {exc}"[:500]
            log.error("asset %s: step %s %s", asset_id, name, reason)
            await processing.finish(asset_id, name, error=reason)
            return f"failed: {reason} (step {name})"
        log.warning("asset %s: step %s: transient fault (try %d/%d): %s", asset_id, name,
                    start.step.attempts, limit, exc)  # fmt: skip
        with contextlib.suppress(*TRANSIENT):
            await processing.release(asset_id, name)
        raise Retry(defer=min(60, 2**start.step.attempts)) from exc
    end = await processing.finish(asset_id, name, outputs=result.outputs, media=result.media)
    if end is None:
        return None
    return "ok"
