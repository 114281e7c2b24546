"""What the job dashboard shows, read from arq's own Redis data and the assets table."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

import msgspec
from arq.connections import ArqRedis
from arq.jobs import Job, JobDef, JobResult
from redis.exceptions import RedisError

from dam import keys
from dam.db import assets as db
from dam.db import steps as step_rows
from dam.domain.assets import Asset
from dam.domain.errors import QueueUnavailable
from dam.domain.status import AssetStatus
from dam.domain.steps import QUEUES
from dam.keys import bridge_keys, in_progress_key_prefix, result_key_prefix
from dam.queue import REDIS
from dam.resources import Resources

MAX_LISTED = 100
MAX_RESULT_KEYS = 2000


class JobOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One job, queued, running or finished."""

    job_id: str
    function: str
    args: list[str]
    enqueued_at: datetime
    queue: str | None = None  # the work queue (media, transcode, enrich...)
    tries: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float | None = None
    success: bool | None = None
    result: str | None = None


class FailedAsset(msgspec.Struct, kw_only=True):
    """A failed asset, with why: the page can re-run it."""

    id: str
    workspace_id: str  # the page re-runs it in its own workspace (an operator's may be any)
    filename: str
    error: str | None
    updated_at: datetime


class Overview(msgspec.Struct, kw_only=True):
    """``GET /api/jobs``."""

    queue: str
    queues: dict[str, dict[str, int]]  # each work queue's jobs waiting and running
    queued: list[JobOut]
    in_progress: list[JobOut]
    recent: list[JobOut]
    counts: dict[str, dict[str, int]]
    bridge: dict[str, int]
    dead_letters: list[str]
    assets: dict[str, int]
    failed_assets: list[FailedAsset]
    steps: list[step_rows.StepStats]
    step_failures: list[step_rows.StepFailure]


def _job(info: JobDef, job_id: str, queue: str | None) -> JobOut:
    out = JobOut(
        job_id=job_id, function=info.function, args=[str(a) for a in info.args],
        enqueued_at=info.enqueue_time, queue=queue, tries=info.job_try,
    )  # fmt: skip
    if isinstance(info, JobResult):
        out.started_at, out.finished_at, out.success = info.start_time, info.finish_time, info.success
        out.seconds = round((info.finish_time - info.start_time).total_seconds(), 3)
        out.result = str(info.result)[:500]
    return out


async def _results(queue: ArqRedis, queue_names: dict[str, str]) -> list[JobOut]:
    keys = []
    async for key in queue.scan_iter(match=result_key_prefix + "*", count=500):
        keys.append(key)
        if len(keys) >= MAX_RESULT_KEYS:
            break
    ids = [k.decode()[len(result_key_prefix) :] for k in keys]
    infos = await asyncio.gather(*(Job(i, queue).result_info() for i in ids))
    done = [(i, r) for i, r in zip(ids, infos, strict=True) if r is not None and r.queue_name in queue_names]
    done.sort(key=lambda pair: pair[1].finish_time, reverse=True)
    return [_job(r, i, queue_names[r.queue_name]) for i, r in done]


async def overview(resources: Resources, workspace_id: uuid.UUID | None = None) -> Overview:
    """Everything the dashboard shows, in one read: of one workspace's assets, or (``None``, for
    operators) of all, with the event bridge's state. QueueUnavailable while Redis does not answer."""
    try:
        found = await _overview(resources)
        if workspace_id is not None:
            found = await _of_workspace(resources, found, workspace_id)
    except (RedisError, OSError) as exc:
        REDIS.failed(exc)
        raise QueueUnavailable(f"the job queue (Redis) is unavailable: {exc}"[:300]) from exc
    REDIS.answered()
    return found


async def _overview(resources: Resources) -> Overview:
    queue, pool, events_key = resources.queue, resources.pool, resources.settings.worker.events_key
    name = queue.default_queue_name
    # Every work queue's jobs (the queues of the registry).
    names = {keys.queue_key(resources.settings.redis.queue_name, work): work for work in QUEUES}
    queued: list[JobOut] = []
    in_progress: list[JobOut] = []
    queues: dict[str, dict[str, int]] = {}
    for queue_name, work in names.items():
        queued_ids = [i.decode() for i in await queue.zrange(queue_name, 0, MAX_LISTED - 1)]
        running = await asyncio.gather(*(queue.exists(in_progress_key_prefix + i) for i in queued_ids))
        infos = await asyncio.gather(*(Job(i, queue, _queue_name=queue_name).info() for i in queued_ids))
        for job_id, info, busy in zip(queued_ids, infos, running, strict=True):
            if info is not None:
                (in_progress if busy else queued).append(_job(info, job_id, work))
        # A job stays in its queue's set until it finishes: the running ones are among the first listed.
        busy_count = sum(1 for busy in running if busy)
        queues[work] = {"queued": await queue.zcard(queue_name) - busy_count, "in_progress": busy_count}
    recent = await _results(queue, names)
    counts: dict[str, dict[str, int]] = {}
    for job in recent:
        slot = counts.setdefault(job.function, {"succeeded": 0, "failed": 0})
        slot["succeeded" if job.success else "failed"] += 1
    processing_key, dead_key = bridge_keys(events_key)
    async with queue.pipeline(transaction=False) as pipe:
        for key in (events_key, processing_key, dead_key):
            pipe.llen(key)
        pipe.lrange(dead_key, -10, -1)
        backlog, unacked, dead, tail = await pipe.execute()
    letters = [d.decode("utf-8", "replace") for d in tail]
    failed = await db.list_assets(pool, status=AssetStatus.FAILED, content_type=None, limit=20, after=None)
    return Overview(
        queue=name, queues=queues, queued=queued, in_progress=in_progress, recent=recent[:MAX_LISTED],
        counts=counts,
        bridge={"backlog": backlog, "unacknowledged": unacked, "dead_letters": dead},
        dead_letters=letters, assets=await db.count_by_status(pool),
        failed_assets=[_failed(a) for a in failed],
        steps=await step_rows.stats(pool), step_failures=await step_rows.failures(pool),
    )  # fmt: skip


async def _of_workspace(resources: Resources, everything: Overview, workspace_id: uuid.UUID) -> Overview:
    """The overview cut down to the jobs and assets of one workspace (its admins' view); the
    event bridge is the deployment's, not theirs."""
    pool = resources.pool
    jobs = [*everything.queued, *everything.in_progress, *everything.recent]
    ids = {a for job in jobs if (a := _asset_arg(job)) is not None}
    mine = await db.in_workspace(pool, sorted(ids), workspace_id) if ids else set()

    def keep(listed: list[JobOut]) -> list[JobOut]:
        return [job for job in listed if _asset_arg(job) in mine]

    recent = keep(everything.recent)
    queued, in_progress = keep(everything.queued), keep(everything.in_progress)
    queues = {work: {"queued": 0, "in_progress": 0} for work in everything.queues}
    for listed, state in ((queued, "queued"), (in_progress, "in_progress")):
        for job in listed:
            if job.queue in queues:
                queues[job.queue][state] += 1
    counts: dict[str, dict[str, int]] = {}
    for job in recent:
        slot = counts.setdefault(job.function, {"succeeded": 0, "failed": 0})
        slot["succeeded" if job.success else "failed"] += 1
    failed = await db.list_assets(
        pool, status=AssetStatus.FAILED, content_type=None, limit=20, after=None, workspace_id=workspace_id
    )
    return Overview(
        queue=everything.queue, queues=queues, queued=queued, in_progress=in_progress,
        recent=recent, counts=counts, bridge={}, dead_letters=[],
        assets=await db.count_by_status(pool, workspace_id), failed_assets=[_failed(a) for a in failed],
        steps=await step_rows.stats(pool, workspace_id),
        step_failures=await step_rows.failures(pool, workspace_id),
    )  # fmt: skip


def _asset_arg(job: JobOut) -> uuid.UUID | None:
    """The asset a job works on (its first argument, for every job the service queues)."""
    try:
        return uuid.UUID(job.args[0]) if job.args else None
    except ValueError:
        return None


def _failed(row: Asset) -> FailedAsset:
    return FailedAsset(
        id=str(row.id),
        workspace_id=str(row.workspace_id),
        filename=row.filename,
        error=row.error,
        updated_at=row.updated_at,
    )
