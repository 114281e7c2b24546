"""Processing use cases: hand an asset's steps to their queues, begin and finish one step.

A step's row and the asset's status change in one transaction, with the asset's row locked, so an
asset is never ``ready`` while a step still runs and two steps ending together cannot both miss
that they were the last.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from redis.exceptions import RedisError

from dam.db import assets as db
from dam.db import audit as audit_rows
from dam.db import enrichment as found_rows
from dam.db import outbox
from dam.db import steps as step_rows
from dam.db import streams as stream_rows
from dam.db import tags as tag_rows
from dam.db.pool import Connection
from dam.domain import tags as tag_rules
from dam.domain.assets import Asset, StepRecord
from dam.domain.audit import Entry
from dam.domain.errors import Conflict, InvalidInput, NotFound, QueueUnavailable, Unavailable
from dam.domain.outputs import Found, Hashes, MediaFacts, Output, Placeholder, Renditions, Tags
from dam.domain.status import AssetStatus
from dam.domain.steps import (
    ENRICH_KINDS,
    QUEUES,
    STEPS,
    Released,
    StepName,
    StepState,
    chosen_steps,
    enabled_steps,
    in_background,
    outcome,
    plan,
    queues_of,
    runnable,
)
from dam.domain.webhooks import event_asset
from dam.queue import REDIS, enqueue_steps, mark_given_back, take_given_back
from dam.resources import Resources
from dam.services.tags import retag
from dam.services.unit import unit
from dam.services.webhooks import emit, emit_asset
from dam.settings import Settings, time_limit

log = logging.getLogger(__name__)
_PAGE = 200  # assets ``rerun_everywhere`` reads at a time
_ACTIVE = {AssetStatus.UPLOADED, AssetStatus.PROCESSING}
# A background step (the stream) also runs, and ends, once its asset is ready.
_ACTIVE_BACKGROUND = {*_ACTIVE, AssetStatus.READY}


class StepStart(msgspec.Struct, frozen=True, kw_only=True):
    """A step that has begun an attempt, and its asset."""

    asset: Asset
    step: StepRecord


class StepEnd(msgspec.Struct, frozen=True, kw_only=True):
    """Where the asset stands once a step ended, and the step of the same queue its transaction
    began for the same job (``Chain``), if any."""

    status: AssetStatus
    states: dict[str, StepState]
    next: StepStart | None = None


class Chain(msgspec.Struct, frozen=True, kw_only=True):
    """A finish that also begins the queue's next runnable step for the same job, in the same
    transaction: one transaction between two steps instead of two."""

    queue: str
    runner: str


def step_time_limit(settings: Settings, name: str) -> float:
    """How long one attempt of a step may run: its own limit, within its queue's job limit."""
    return min(STEPS[name].timeout, time_limit(settings, STEPS[name].queue))


async def _renditions(
    conn: Connection, asset_id: uuid.UUID, out: Renditions, enabled: frozenset[str]
) -> None:
    if out.items:
        await db.put_renditions(conn, asset_id, out.items)


async def _media(conn: Connection, asset_id: uuid.UUID, out: MediaFacts, enabled: frozenset[str]) -> None:
    # Facts plan the steps they call for, of the steps this deployment runs.
    await db.set_media(conn, asset_id, out.info)
    await step_rows.add(conn, asset_id, plan(out.info, enabled))


async def _tags(conn: Connection, asset_id: uuid.UUID, out: Tags, enabled: frozenset[str]) -> None:
    # The finish took the workspace's tag lock before the asset's row (``db/tags.py``).
    asset = await db.lock_asset(conn, asset_id)
    assert asset is not None  # the finish holds its row
    wanted = tag_rules.merged(asset.tags, out.names)
    if wanted != asset.tags:
        await db.set_tags(conn, asset_id, await retag(conn, asset.workspace_id, asset.tags, wanted))


async def _placeholder(
    conn: Connection, asset_id: uuid.UUID, out: Placeholder, enabled: frozenset[str]
) -> None:
    await db.set_thumbhash(conn, asset_id, out.thumbhash)


async def _found(conn: Connection, asset_id: uuid.UUID, out: Found, enabled: frozenset[str]) -> None:
    await found_rows.put(
        conn, asset_id, step=out.kind, kind=out.kind, model=out.model, model_version=out.model_version,
        result=out.result, text=out.text, flags=out.flags, tags=out.tags,
    )  # fmt: skip


async def _hashes(conn: Connection, asset_id: uuid.UUID, out: Hashes, enabled: frozenset[str]) -> None:
    await found_rows.put_hashes(conn, asset_id, out.model, out.values)


# Each kind of output, and what persists it in the step's finish transaction.
_PERSIST: dict[type[Any], Callable[[Connection, uuid.UUID, Any, frozenset[str]], Awaitable[None]]] = {
    Renditions: _renditions,
    MediaFacts: _media,
    Tags: _tags,
    Placeholder: _placeholder,
    Found: _found,
    Hashes: _hashes,
}


class Processing:
    """Steps of assets: queue them, run their bookkeeping."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.pool = resources.pool
        # Checked when the settings were loaded (DAM_STEPS_DISABLED and DAM_ENRICH name known ones).
        settings = resources.settings
        self.enabled = enabled_steps(settings.worker.steps_disabled, settings.enrich.enabled)

    async def states(self, asset_id: uuid.UUID) -> dict[str, StepState]:
        """Every planned step of an asset and its state, in plan order."""
        return await step_rows.states(self.pool, asset_id)

    async def hand_over(
        self,
        asset: Asset,
        *,
        rerun: str = "",
        only: str | None = None,
        states: dict[str, StepState] | None = None,
    ) -> int:
        """Queue a job on every queue that has runnable steps (``states``: as just read, if known);
        returns how many were new. While Redis is down the jobs are recorded in the outbox instead
        (queued by a drainer within seconds of its return); QueueUnavailable when they could be
        neither queued nor recorded.
        """
        assert asset.etag is not None
        if states is None:
            states = await step_rows.states(self.pool, asset.id)
        wanted = [w for w in queues_of(states) if only is None or w == only]
        new, waiting = 0, []
        for work in wanted:
            try:
                new += await enqueue_steps(
                    self.resources.queue, self.resources.settings.redis.queue_name, work, asset.id,
                    asset.etag, rerun,
                )  # fmt: skip
            except (RedisError, OSError) as exc:
                REDIS.failed(exc)
                waiting = wanted[wanted.index(work) :]
                break
            REDIS.answered()
        if waiting:
            try:
                await outbox.add(self.pool, asset.id, waiting, rerun)
            except Unavailable as exc:
                raise QueueUnavailable(f"could neither queue nor record the jobs of {asset.id}") from exc
            log.info("asset %s: Redis is down; its %s job waits in the outbox", asset.id, waiting[0])
            new += len(waiting)
        return new

    async def drain_outbox(self, limit: int = 100) -> int:
        """Queue jobs recorded while Redis was down; returns how many. QueueUnavailable while it
        still is (they stay recorded)."""
        settings = self.resources.settings.redis
        async with unit(self.pool) as work:
            conn = work.conn
            jobs = await outbox.take(conn, limit)
            for job in jobs:
                if job.etag is None or job.queue not in QUEUES:
                    continue  # nothing stored, or a queue this version no longer has: nothing to run
                try:
                    await enqueue_steps(
                        self.resources.queue, settings.queue_name, job.queue, job.asset_id,
                        job.etag, job.rerun,
                    )  # fmt: skip
                except (RedisError, OSError) as exc:
                    REDIS.failed(exc)
                    raise QueueUnavailable(f"the outbox waits for Redis: {exc}") from exc
            if jobs:
                await outbox.remove(conn, jobs)
        if jobs:
            REDIS.answered()
            log.info("outbox: queued %d job(s) recorded while Redis was down", len(jobs))
        return len(jobs)

    async def give_back(self, runner: str) -> None:
        """Job ``runner`` gives its steps back after a dependency fault it could not record in the
        database: remembered in Redis for its next try (best effort; without it, that try counts
        an attempt for a step left running, as after a dead worker)."""
        try:
            await mark_given_back(self.resources.queue, self.resources.settings.redis.queue_name, runner)
        except (RedisError, OSError) as exc:
            REDIS.failed(exc)

    async def given_back(self, runner: str) -> bool:
        """Whether job ``runner``'s previous try gave its steps back after a dependency fault."""
        try:
            return await take_given_back(
                self.resources.queue, self.resources.settings.redis.queue_name, runner
            )
        except (RedisError, OSError) as exc:
            REDIS.failed(exc)
            return False

    async def release(self, asset_id: uuid.UUID, name: str, *, fault: str | None) -> Released | None:
        """Give a running step back so that a retry can start it again: after a transient ``fault``
        (not counted as an attempt), or after it overran its time limit (``fault=None``: counted)."""
        return await step_rows.release(self.pool, asset_id, name, fault=fault)

    async def give_back_step(self, asset_id: uuid.UUID, name: str, *, runner: str) -> bool:
        """Give back a running step its worker stops before it ends (shutting down): not counted."""
        return await step_rows.give_back(self.pool, asset_id, name, runner=runner)

    async def advance(self, asset_id: uuid.UUID, name: str, progress: float) -> bool:
        """A running step finished a part of its work and waits for its next job."""
        advanced = await step_rows.advance(self.pool, asset_id, name, progress)
        if advanced:
            async with unit(self.pool) as work:
                await db.touch(work.conn, asset_id)  # progress, not a change: nothing touched
        return advanced

    async def park(self, asset_id: uuid.UUID, name: str, reason: str) -> None:
        """A step whose retries ran out of time waits for the reconciler to resume it."""
        await step_rows.park(self.pool, asset_id, name, reason)

    async def begin(
        self, asset_id: uuid.UUID, name: str, *, stale_after: float, runner: str, resumed: bool = False
    ) -> StepStart | None:
        """Start an attempt of a step for the job ``runner``; None when the asset or the step is not
        waiting for it (another job runs it, or it ran already). ``resumed``: the job's previous try
        gave its steps back after a dependency fault (see ``db.steps.begin``)."""
        async with unit(self.pool) as work:
            conn = work.conn
            asset = await db.lock_asset(conn, asset_id)
            if asset is None or asset.status not in (_ACTIVE_BACKGROUND if in_background(name) else _ACTIVE):
                return None
            step = await step_rows.begin(
                conn, asset_id, name, stale_after=stale_after, runner=runner, resumed=resumed
            )
            if step is None:
                return None
            if asset.status is AssetStatus.UPLOADED:
                asset = await db.start_processing(conn, asset_id)
                assert asset is not None  # the row is locked
                work.touched(asset_id)
            else:
                await db.touch(conn, asset_id)
        return StepStart(asset=asset, step=step)

    async def finish(
        self,
        asset_id: uuid.UUID,
        name: str,
        *,
        outputs: Sequence[Output] = (),
        error: str | None = None,
        chain: Chain | None = None,
    ) -> StepEnd | None:
        """End a running step (done, or failed for good with ``error``); None if it was not running.

        Each of the step's outputs is persisted in the same transaction, by its own ``db`` function;
        a step that records media facts plans the steps those facts call for. With ``chain``, the
        queue's next step (if it waits to run and the asset is still processing) begins for the
        same job in that transaction too.
        """
        async with unit(self.pool) as work:
            conn = work.conn
            if any(isinstance(out, Tags) for out in outputs):
                await tag_rows.share_lock_of_asset(conn, asset_id)
            asset = await db.lock_asset(conn, asset_id)
            allowed = (
                {AssetStatus.PROCESSING, AssetStatus.READY}
                if in_background(name)
                else {AssetStatus.PROCESSING}
            )
            if asset is None or asset.status not in allowed:
                return None
            state = StepState.FAILED if error is not None else StepState.DONE
            made = [r for out in outputs if isinstance(out, Renditions) for r in out.items]
            if not await step_rows.finish(conn, asset_id, name, state=state, outputs=made, error=error):
                return None
            work.touched(asset_id)  # the step's outcome, its outputs, maybe the asset's status
            for out in outputs:
                await _PERSIST[type(out)](conn, asset_id, out, self.enabled)
            if state is StepState.DONE:
                await _announce(conn, asset, name)
            states = await step_rows.states(conn, asset_id)
            result = outcome(states)
            if asset.status is not AssetStatus.PROCESSING:  # a background step of a ready asset
                await db.touch(conn, asset_id)
                return StepEnd(status=asset.status, states=states)
            if result in (AssetStatus.READY, AssetStatus.FAILED):
                await _settle(conn, asset_id, result, f"{name}: {error}" if error else f"{name} failed")
            elif chain is not None and error is None:
                return await self._begin_next(conn, asset_id, states, chain)
            else:
                await db.touch(conn, asset_id)
        return StepEnd(status=result or AssetStatus.PROCESSING, states=states)

    async def _begin_next(
        self, conn: Connection, asset_id: uuid.UUID, states: dict[str, StepState], chain: Chain
    ) -> StepEnd:
        """Inside the finish transaction of a step of a processing asset: begin the step the job
        would run next (a pending one; one left running needs the job's own checks), note progress."""
        todo = runnable(states, chain.queue, resume=True)
        began = None
        if todo and states[todo[0]] is StepState.PENDING:
            stale_after = step_time_limit(self.resources.settings, todo[0])
            began = await step_rows.begin(
                conn, asset_id, todo[0], stale_after=stale_after, runner=chain.runner
            )
        asset = await db.touched(conn, asset_id)
        assert asset is not None  # the row is locked
        if began is None:
            return StepEnd(status=AssetStatus.PROCESSING, states=states)
        states = {**states, began.name: began.state}
        return StepEnd(status=AssetStatus.PROCESSING, states=states, next=StepStart(asset=asset, step=began))

    async def restart(
        self, asset_id: uuid.UUID, requested: list[str] | None, entry: Entry | None = None
    ) -> Asset:
        """Reprocess a ``ready`` or ``failed`` asset: the named steps, or all of them."""
        async with unit(self.pool) as work:
            conn = work.conn
            asset = await db.lock_asset(conn, asset_id)
            if asset is None:
                raise NotFound(f"asset {asset_id} not found")
            if asset.status not in {AssetStatus.READY, AssetStatus.FAILED}:
                raise Conflict(
                    f"asset is {asset.status.value}; only ready or failed assets can be reprocessed"
                )
            if asset.etag is None:
                raise Conflict("nothing was uploaded for this asset; upload it again as a new asset")
            planned = tuple(await step_rows.states(conn, asset_id)) or plan(None)
            chosen = chosen_steps(requested, planned, self.enabled)
            if requested and asset.status is AssetStatus.READY and all(n in ENRICH_KINDS for n in chosen):
                # Enrichment runs again beside a ready asset: it stays ready (and listed) meanwhile.
                await step_rows.rerun(conn, asset_id, chosen)
                if entry is not None:
                    await audit_rows.record(conn, msgspec.structs.replace(entry, asset_id=asset_id))
                await db.touch(conn, asset_id)
                work.touched(asset_id)
                return asset
            if StepName.LADDER in chosen:
                await stream_rows.reset(conn, asset_id)
            if not requested:
                await step_rows.replan(conn, asset_id, plan(None))
            else:
                await step_rows.rerun(conn, asset_id, chosen)
            moved = await db.restart(conn, asset_id, entry)
            assert moved is not None  # the row is locked and was ready or failed
            work.touched(asset_id)
        return moved

    async def rerun_everywhere(
        self,
        kind: str,
        *,
        workspace: str | None = None,
        limit: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Run enrichment ``kind`` again for every ready asset that planned it (a model upgrade), of
        one workspace (its slug) or all, at most ``limit``, a page at a time; ``progress`` hears the
        count so far. Returns how many were queued."""
        if kind not in ENRICH_KINDS or kind not in STEPS:
            raise InvalidInput(f"{kind!r} is not a kind of enrichment this version runs")
        if kind not in self.enabled:
            raise InvalidInput(f"{kind!r} is not in DAM_ENRICH here: its worker would not run it")
        done, seen, after = 0, 0, None
        while limit is None or seen < limit:
            want = _PAGE if limit is None else min(_PAGE, limit - seen)
            page = await step_rows.ready_with_step(self.pool, kind, after, want, workspace)
            if not page:
                break
            for asset_id in page:
                try:
                    moved = await self.restart(asset_id, [kind])
                except (Conflict, NotFound):
                    continue  # changed since the page was read (deleted, reprocessing): left as it is
                await self.hand_over(moved, rerun=f"re:{kind}:{int(moved.updated_at.timestamp() * 1000)}")
                done += 1
            seen, after = seen + len(page), page[-1]
            if progress is not None:
                progress(done)
        return done


async def _settle(conn: Connection, asset_id: uuid.UUID, result: AssetStatus, error: str) -> None:
    """Inside the step's finish: the asset ready (or failed with ``error``), its event emitted."""
    if result is AssetStatus.READY:
        settled = await db.mark_ready(conn, asset_id)
    else:
        settled = await db.mark_failed(conn, asset_id, error)
    if settled is not None:
        await emit_asset(conn, f"asset.{settled.status.value}", settled)


async def _announce(conn: Connection, asset: Asset, step: str) -> None:
    """Inside a step's finish: the events of a step done (its stream ready, an enrichment kind's
    findings stored)."""
    if step == StepName.LADDER:
        await emit_asset(conn, "stream.ready", asset)
    elif step in ENRICH_KINDS:
        await emit(conn, asset.workspace_id, "enrichment.done", {"asset": event_asset(asset), "kind": step})
