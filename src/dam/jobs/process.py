"""The job that runs an asset's steps of one queue (every queue's arq function, named in
``QUEUES``: ``process_asset`` for the media queue).

The job takes the asset's runnable steps of its queue one after the other (short steps of one
queue run in sequence inside one job: one queue round trip per asset instead of one per step).
Each step is its own unit: begun and finished in its own transaction, retried on its own, taken
over after a dead worker, recorded in ``asset_steps``. Steps of other queues are handed over to
those queues when the job ends.

Faults, by cause:
- the media is unusable (``MediaRejected``): the step fails for good, and the asset with it;
- a dependency is unavailable (storage, database, Redis, a network timeout): the attempt does not
  count; the job retries with capped, jittered exponential backoff until ``DAM_RETRY_DEADLINE``,
  then leaves the step waiting for the reconciler, which resumes it. Transient is never permanent;
- the attempt was cut short (its worker died, or the step ran past its time limit): it counts, and
  after ``DAM_JOB_MAX_TRIES`` such attempts the step fails for good.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from typing import Any

import asyncpg
import msgspec
from arq import Retry
from redis.exceptions import RedisError

from dam import logs
from dam.domain.assets import Asset
from dam.domain.errors import DamError, MediaRejected, Unavailable
from dam.domain.status import AssetStatus
from dam.domain.steps import STEPS, StepState, in_background, retry_delay, runnable
from dam.jobs.registry import RUNNERS
from dam.jobs.runner import StepContext
from dam.resources import Resources
from dam.services.processing import Chain, Processing, StepEnd, StepStart, step_time_limit

log = logging.getLogger(__name__)

# Faults of the services around us, not of the media: retried, never the asset's end.
TRANSIENT = (Unavailable, OSError, asyncpg.PostgresConnectionError, RedisError, TimeoutError)


async def run_steps(ctx: dict[str, Any], asset_id: str) -> str:
    """Run the asset's steps of the worker's queue (``ctx["queue"]``); the result says how the asset
    ended (or why nothing ran)."""
    resources: Resources = ctx["resources"]
    context = StepContext(resources=resources, queue=ctx["queue"], tools=ctx.get("tools") or {})
    runner = str(ctx.get("job_id") or uuid.uuid4())
    tries = int(ctx.get("job_try", 1))
    try:
        with logs.bind(asset_id=asset_id, job_id=ctx.get("job_id")):
            return await run_queue(context, uuid.UUID(asset_id), runner=runner)
    except TRANSIENT as exc:
        # Between steps (the database or Redis failed while a step began or ended): nothing to record
        # it in, so the job's own try count paces the retries; a step left running is this job's to
        # take back, without an attempt counted.
        await Processing(resources).give_back(runner)
        delay = _delay(resources, tries)
        log.warning(
            "asset %s: %s between steps; retry %d in %.1fs", asset_id, _say(exc), tries, delay,
            extra={"asset_id": asset_id, "job_id": ctx.get("job_id")},
        )  # fmt: skip
        raise Retry(defer=delay) from None


class _Next(msgspec.Struct, frozen=True, kw_only=True):
    """A step ended and the job goes on: where the asset stands now."""

    asset: Asset
    end: StepEnd


class _Stop(msgspec.Struct, frozen=True, kw_only=True):
    """The job ends here (a step failed for good, or waits for the reconciler), and why."""

    reason: str


_Ran = _Next | _Stop


async def run_queue(context: StepContext, asset_id: uuid.UUID, *, runner: str) -> str:
    """Every runnable step of the context's queue, in plan order, until none is left or the asset
    is done."""
    processing = Processing(context.resources)
    started = time.perf_counter()
    ran: list[str] = []
    last: _Next | None = None
    states = await processing.states(asset_id)
    while todo := runnable(states, context.queue, resume=True):
        # The previous step's finish may have begun this one already, for this job.
        chained = last.end.next if last is not None else None
        if chained is not None and chained.step.name != todo[0]:
            chained = None  # cannot happen: the finish began the step this loop would run next
        # arq runs a job again under the same id both after a Retry and after its worker died: for
        # a step left running, only the mark a try leaves when it gives its steps back after a
        # dependency fault tells the two apart (read only then: no Redis round trip otherwise).
        resumed = (
            chained is None and states[todo[0]] is StepState.RUNNING and await processing.given_back(runner)
        )
        with logs.bind(step=todo[0]):
            began = time.perf_counter()
            step = await _run_step(context, processing, asset_id, todo[0], runner, resumed, chained)
            log.info("asset %s: step %s ran for %.2fs", asset_id, todo[0], time.perf_counter() - began)
        if step is None:
            return f"skipped: {todo[0]} is not waiting to run (asset changed?)"
        if isinstance(step, _Stop):
            return step.reason
        last = step
        ran.append(todo[0])
        states = last.end.states
    if last is None:
        return "skipped: no step waiting on this queue"
    if last.end.status is not AssetStatus.FAILED:
        await processing.hand_over(last.asset, states=states)  # steps of other queues
    log.info("asset %s: %s in %.2fs", asset_id, ", ".join(ran), time.perf_counter() - started)
    return f"{last.end.status.value}: {', '.join(ran)}"


async def _run_step(
    context: StepContext,
    processing: Processing,
    asset_id: uuid.UUID,
    name: str,
    runner: str,
    resumed: bool,
    start: StepStart | None = None,
) -> _Ran | None:
    """One step: begun here (or by the previous step's finish: ``start``), run, finished; the
    finish begins the queue's next step for this job in its transaction."""
    resources = context.resources
    settings = resources.settings.worker
    seconds = step_time_limit(resources.settings, name)
    if start is None:
        start = await processing.begin(asset_id, name, stale_after=seconds, runner=runner, resumed=resumed)
    if start is None:
        return None
    attempts, limit = start.step.attempts, settings.max_tries
    if attempts > limit:  # taken over again and again: its worker keeps dying
        reason = f"gave up after {limit} attempts: each one was interrupted (worker died or timed out)"
        return await _fail(processing, start.asset, name, reason, give_up=True)
    timer = asyncio.timeout(seconds)
    try:
        async with timer:
            result = await RUNNERS[name](context, start.asset)
    except asyncio.CancelledError:  # the worker shuts down and its grace is over
        await _give_back(processing, asset_id, name, runner)
        raise
    except MediaRejected as exc:
        return await _fail(processing, start.asset, name, exc.detail)
    except TRANSIENT as exc:
        if timer.expired():
            return await _overran(resources, processing, start.asset, name, attempts, seconds)
        return await _retry_later(resources, processing, start.asset, name, _say(exc))
    if result.more is not None:
        return await _continue(processing, start.asset, name, result.more, result.progress or 0.0)
    chain = Chain(queue=context.queue, runner=runner)
    end = await processing.finish(asset_id, name, outputs=result.outputs, chain=chain)
    if end is None:
        return None
    return _Next(asset=end.next.asset if end.next is not None else start.asset, end=end)


async def _give_back(processing: Processing, asset_id: uuid.UUID, name: str, runner: str) -> None:
    """The step was cut short by its worker's shutdown: it waits again, no attempt counted, and arq
    runs the job again on another worker. If the database cannot say so now, the step is taken
    back once its time limit has passed, as after a dead worker."""
    try:
        given = await asyncio.shield(processing.give_back_step(asset_id, name, runner=runner))
    except (*TRANSIENT, asyncio.CancelledError) as exc:
        log.warning("asset %s: step %s not given back at shutdown: %s", asset_id, name, _say(exc))
        return
    if given:
        log.info("asset %s: step %s given back at shutdown (no attempt counted)", asset_id, name)


async def _continue(
    processing: Processing, asset: Asset, name: str, job: str, progress: float
) -> _Ran | None:
    """Part of the step is done (a chunk): it waits for the job that does the next part, queued now
    (one job per part, so each fits the time limit and a retry costs one part)."""
    if not await processing.advance(asset.id, name, progress):
        return None
    await processing.hand_over(asset, rerun=job, only=STEPS[name].queue)
    return _Stop(reason=f"{name}: {progress:.0%} done, continued by job {job}")


async def _retry_later(
    resources: Resources, processing: Processing, asset: Asset, name: str, fault: str
) -> _Ran | None:
    """A dependency was unavailable: retry after a backoff, or, past the deadline, wait for the
    reconciler. Raises arq's Retry."""
    released = await processing.release(asset.id, name, fault=fault)
    if released is None:
        return None
    deadline = resources.settings.worker.retry_deadline
    if released.retrying_for > deadline:
        reason = (
            f"retried {released.retries} times over {released.retrying_for:.0f}s of transient faults"
            f" (last: {fault}); waiting for the reconciler to resume it"
        )[:500]
        await processing.park(asset.id, name, reason)
        log.error("asset %s: step %s gave up: %s", asset.id, name, reason)
        return _Stop(reason=f"waiting: {reason} (step {name})")
    delay = _delay(resources, released.retries)
    log.warning("asset %s: step %s: %s; retry %d in %.1fs", asset.id, name, fault, released.retries, delay)
    raise Retry(defer=delay)


async def _overran(
    resources: Resources, processing: Processing, asset: Asset, name: str, attempts: int, seconds: float
) -> _Ran | None:
    """The step ran past its time limit: that attempt counts; after the last one the step fails."""
    limit = resources.settings.worker.max_tries
    if attempts >= limit:
        reason = f"gave up after {attempts} attempts: each ran past the step's time limit of {seconds:g}s"
        return await _fail(processing, asset, name, reason, give_up=True)
    if await processing.release(asset.id, name, fault=None) is None:
        return None
    delay = _delay(resources, attempts)
    log.warning(
        "asset %s: step %s ran past its time limit of %gs (attempt %d/%d); again in %.1fs",
        asset.id, name, seconds, attempts, limit, delay,
    )  # fmt: skip
    raise Retry(defer=delay)


async def _fail(
    processing: Processing, asset: Asset, name: str, reason: str, *, give_up: bool = False
) -> _Ran | None:
    """The step failed for good: record it (the asset fails with it)."""
    if give_up:
        log.error("asset %s: step %s %s", asset.id, name, reason)
    end = await processing.finish(asset.id, name, error=reason)
    if end is None:
        return None
    if in_background(name):  # the asset goes on without it: so do the queue's other steps
        log.warning("asset %s: background step %s failed: %s", asset.id, name, reason)
        return _Next(asset=asset, end=end)
    return _Stop(reason=f"failed: {reason} (step {name})")


def _delay(resources: Resources, retry: int) -> float:
    return retry_delay(retry, resources.settings.worker.retry_max_delay, random.uniform(0.5, 1.0))


def _say(exc: BaseException) -> str:
    """A fault in one line: the service's own words where it has them."""
    text = exc.detail if isinstance(exc, DamError) else f"{type(exc).__name__}: {exc}"
    return text[:300]
