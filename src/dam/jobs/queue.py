"""Enqueueing the processing job: one deterministic job id per (asset, object version)."""

from __future__ import annotations

import logging
import uuid

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool

from dam.settings import RedisSettings as DamRedisSettings

log = logging.getLogger(__name__)

PROCESS_ASSET = "process_asset"


def process_job_id(asset_id: uuid.UUID, etag: str, rerun: str = "") -> str:
    """Same asset, same bytes -> same job id, so duplicate triggers collapse into one job.

    ``rerun`` names a deliberate new run (reprocess, a dead worker's job, a lost result): the first
    job's id stays taken by its kept result, so a rerun needs an id of its own, the same for every
    trigger of that one rerun.
    """
    return f"process:{asset_id}:{etag}:{rerun}" if rerun else f"process:{asset_id}:{etag}"


def open_queue(settings: DamRedisSettings) -> ArqRedis:
    """The arq client used to enqueue jobs; it connects on first use, so Redis may start later."""
    pool = ConnectionPool.from_url(settings.url, socket_connect_timeout=3, socket_timeout=5)
    return ArqRedis(pool, default_queue_name=settings.queue_name)


async def close_queue(queue: ArqRedis) -> None:
    """Close the client and the connection pool it was given."""
    await queue.aclose()
    await queue.connection_pool.disconnect()


async def enqueue_processing(queue: ArqRedis, asset_id: uuid.UUID, etag: str, rerun: str = "") -> bool:
    """Hand an uploaded asset to the workers; False when that exact job already exists."""
    job = await queue.enqueue_job(PROCESS_ASSET, str(asset_id), _job_id=process_job_id(asset_id, etag, rerun))
    if job is None:
        log.info("processing of %s (etag %s) already queued or done", asset_id, etag)
    return job is not None
