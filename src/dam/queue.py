"""The job queue (arq on Redis): open it, and hand an asset's steps to the workers of a queue."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from dam import keys
from dam.domain.steps import QUEUES, Queue
from dam.outages import Outage
from dam.settings import RedisSettings

log = logging.getLogger(__name__)
REDIS = Outage("Redis")


def open_queue(settings: RedisSettings) -> ArqRedis:
    """The arq client used to enqueue jobs; it connects on first use, so Redis may start later."""
    pool = ConnectionPool.from_url(settings.url, socket_connect_timeout=3, socket_timeout=5)
    return ArqRedis(pool, default_queue_name=keys.queue_key(settings.queue_name, Queue.MEDIA))


async def close_queue(queue: ArqRedis) -> None:
    """Close the client and the connection pool it was given."""
    await queue.aclose()
    await queue.connection_pool.disconnect()


async def enqueue_steps(
    queue: ArqRedis, queue_name: str, work: str, asset_id: uuid.UUID, etag: str, rerun: str = ""
) -> bool:
    """Queue the job that runs ``work``'s runnable steps of an asset (the queue's arq function, from
    ``QUEUES``); False when that job exists."""
    job = await queue.enqueue_job(
        QUEUES[work].function,
        str(asset_id),
        _job_id=keys.job_id(work, asset_id, etag, rerun),
        _queue_name=keys.queue_key(queue_name, work),
    )
    if job is None:
        log.info("%s job of %s (etag %s) already queued or done", work, asset_id, etag)
        return False
    await wake(queue, keys.queue_key(queue_name, work))
    return True


WAKE_TOKENS = 64  # at most this many wake-ups wait in a queue's list (one per job queued)


async def wake(queue: ArqRedis, queue_key: str) -> None:
    """Wake an idle worker of the queue (arq's key ``queue_key``): it polls at once instead of at
    its next poll. Best effort: the job is queued already, and a worker's poll finds it anyway."""
    with contextlib.suppress(RedisError, OSError):
        async with queue.pipeline(transaction=False) as pipe:
            key = keys.wake_key(queue_key)
            pipe.lpush(key, b"1")
            pipe.ltrim(key, 0, WAKE_TOKENS - 1)
            pipe.publish(keys.wake_channel(queue_key), b"1")
            await pipe.execute()


GIVEN_BACK_TTL = 24 * 3600  # seconds: longer than any retry's deferral


async def mark_given_back(queue: ArqRedis, queue_name: str, runner: str) -> None:
    """Record that job ``runner`` gave its steps back after a dependency fault (its next try takes
    a step it left running back without counting an attempt)."""
    await queue.set(keys.given_back_key(queue_name, runner), b"1", ex=GIVEN_BACK_TTL)


async def take_given_back(queue: ArqRedis, queue_name: str, runner: str) -> bool:
    """Whether job ``runner``'s previous try gave its steps back after a dependency fault (the mark
    is removed: it speaks for one try)."""
    return await queue.getdel(keys.given_back_key(queue_name, runner)) is not None


async def wake_deferred(queue: ArqRedis, queue_name: str, work: str) -> int:
    """Make ``work``'s deferred step jobs due now (those waiting out a retry's backoff); returns how
    many. arq runs a queued job once its score (epoch ms) has passed."""
    key = keys.queue_key(queue_name, work)
    now = int(time.time() * 1000)
    prefix = f"{QUEUES[work].prefix}:".encode()
    later = await queue.zrangebyscore(key, now + 1, "+inf")
    due = [job for job in later if job.startswith(prefix)]
    if due:
        await queue.zadd(key, dict.fromkeys(due, now), xx=True)
        await wake(queue, key)
    return len(due)


WATCH_FUNCTION = "watch_upload"
"""Form uploads were watched by one job each, queued under this name by an earlier release; the
media worker still knows the name and ends such a job at once (``jobs/watch.py``)."""
