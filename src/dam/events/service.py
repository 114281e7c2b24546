"""The bridge process: open its resources, run until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal

from redis.asyncio import Redis

from dam.db.pool import create_pool
from dam.events.bridge import Bridge
from dam.ingest import Ingest
from dam.jobs.queue import close_queue, open_queue
from dam.settings import Settings
from dam.storage.s3 import open_storage


async def run_bridge(settings: Settings) -> None:
    """Serve until a stop signal; leaves no entry half-handled."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pool = await create_pool(settings.db)
    queue = open_queue(settings.redis)
    redis = Redis.from_url(settings.redis.url)
    try:
        async with open_storage(settings.s3) as storage:
            bridge = Bridge(redis, Ingest(settings, pool, storage, queue), settings.worker.events_key)
            await bridge.run(stop)
    finally:
        await redis.aclose()
        await close_queue(queue)
        await pool.close()
