"""The job queue (arq on Redis): open it, and hand an asset's steps to the workers of a queue."""

from __future__ import annotations

import logging
import uuid

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

from dam import keys
from dam.domain.steps import Queue
from dam.outages import Outage
from dam.settings import RedisSettings

log = logging.getLogger(__name__)
REDIS = Outage("Redis")

# The arq function that runs a queue's steps; the media queue's keeps its historic name.
JOB_FUNCTIONS = {Queue.MEDIA: "process_asset", Queue.TRANSCODE: "transcode_asset"}


def open_queue(settings: RedisSettings) -> ArqRedis:
    """The arq client used to enqueue jobs; it connects on first use, so Redis may start later."""
    pool = ConnectionPool.from_url(settings.url, socket_connect_timeout=3, socket_timeout=5)
    return ArqRedis(pool, default_queue_name=keys.queue_key(settings.queue_name, Queue.MEDIA))


async def close_queue(queue: ArqRedis) -> None:
    """Close the client and the connection pool it was given."""
    await queue.aclose()
    await queue.connection_pool.disconnect()


async def enqueue_steps(
    queue: ArqRedis, queue_name: str, work: Queue, asset_id: uuid.UUID, etag: str, rerun: str = ""
) -> bool:
    """Queue the job that runs ``work``'s runnable steps of an asset; False when that job exists."""
    job = await queue.enqueue_job(
        JOB_FUNCTIONS[work],
        str(asset_id),
        _job_id=keys.job_id(work, asset_id, etag, rerun),
        _queue_name=keys.queue_key(queue_name, work),
    )
    if job is None:
        log.info("%s job of %s (etag %s) already queued or done", work.value, asset_id, etag)
    return job is not None


WATCH_FUNCTION = "watch_upload"
"""Form uploads were watched by one job each, queued under this name by an earlier release; the
media worker still knows the name and ends such a job at once (``jobs/watch.py``)."""
