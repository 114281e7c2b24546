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
import msgspec
from arq import Retry
from redis.exceptions import RedisError

from dam.db import steps as step_rows
from dam.domain.assets import Asset
from dam.domain.errors import MediaRejected, Unavailable
from dam.domain.status import AssetStatus
from dam.domain.steps import STEPS, Queue, runnable
from dam.jobs.steps import HANDLERS
from dam.resources import Resources
from dam.services.processing import Processing, StepEnd

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


class _Ran(msgspec.Struct, frozen=True, kw_only=True):
    """One step's run: where the asset stands after it, and why it failed for good (if it did)."""

    asset: Asset
    end: StepEnd
    failure: str | None = None


async def run_queue(resources: Resources, queue: Queue, asset_id: uuid.UUID) -> str:
    """Every runnable step of ``queue``, in plan order, until none is left or the asset is done."""
    processing = Processing(resources)
    started = time.perf_counter()
    ran: list[str] = []
    last: _Ran | None = None
    states = await step_rows.states(resources.pool, asset_id)
    while todo := runnable(states, queue, resume=True):
        last = await _run_step(resources, processing, asset_id, todo[0])
        if last is None:
            return f"skipped: {todo[0]} is not waiting to run (asset changed?)"
        if last.failure is not None:
            return last.failure
        ran.append(todo[0])
        states = last.end.states
    if last is None:
        return "skipped: no step waiting on this queue"
    if last.end.status is AssetStatus.PROCESSING:
        await processing.hand_over(last.asset, states=states)  # steps of other queues
    log.info("asset %s: %s in %.2fs", asset_id, ", ".join(ran), time.perf_counter() - started)
    return f"{last.end.status.value}: {', '.join(ran)}"


async def _run_step(
    resources: Resources, processing: Processing, asset_id: uuid.UUID, name: str
) -> _Ran | None:
    settings = resources.settings.worker
    seconds = min(STEPS[name].timeout, settings.job_timeout)
    start = await processing.begin(asset_id, name, stale_after=seconds)
    if start is None:
        return None
    attempts, limit = start.step.attempts, settings.max_tries
    if attempts > limit:  # taken over again and again: its worker keeps dying
        reason = f"gave up after {limit} attempts: each one was interrupted (worker died or timed out)"
        return await _fail(processing, start.asset, name, reason, give_up=True)
    try:
        async with asyncio.timeout(seconds):
            result = await HANDLERS[name](resources, start.asset)
    except MediaRejected as exc:
        return await _fail(processing, start.asset, name, exc.detail)
    except TRANSIENT as exc:
        if attempts >= limit:
            reason = f"gave up after {attempts} attempts: {type(exc).__name__}: {exc}"[:500]
            return await _fail(processing, start.asset, name, reason, give_up=True)
        log.warning(
            "asset %s: step %s: transient fault (try %d/%d): %s", asset_id, name, attempts, limit, exc
        )
        with contextlib.suppress(*TRANSIENT):
            await processing.release(asset_id, name)
        raise Retry(defer=min(60, 2**attempts)) from exc
    end = await processing.finish(asset_id, name, outputs=result.outputs, media=result.media)
    return None if end is None else _Ran(asset=start.asset, end=end)


async def _fail(
    processing: Processing, asset: Asset, name: str, reason: str, *, give_up: bool = False
) -> _Ran | None:
    """The step failed for good: record it (the asset fails with it)."""
    if give_up:
        log.error("asset %s: step %s %s", asset.id, name, reason)
    end = await processing.finish(asset.id, name, error=reason)
    return None if end is None else _Ran(asset=asset, end=end, failure=f"failed: {reason} (step {name})")
