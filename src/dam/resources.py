"""One place that opens and closes a process's resources: the database pool, the object store
client and the job queue. The API, workers, the bridge, the CLI and the tests all use it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from arq.connections import ArqRedis

from dam.db.generations import Generations
from dam.db.pool import Pool, create_pool
from dam.queue import close_queue, open_queue
from dam.settings import Settings
from dam.storage.s3 import Storage, open_storage


class Resources:
    """What a process opened once at start-up, passed to every service it runs."""

    def __init__(
        self,
        settings: Settings,
        pool: Pool,
        storage: Storage,
        queue: ArqRedis,
        reads: httpx.Client,
        generations: Generations | None = None,
    ) -> None:
        self.settings = settings
        self.pool = pool
        self.storage = storage
        self.queue = queue
        # Ranged reads of originals from worker threads: one pooled client per process (a new one per
        # job cost ~45 ms of CPU for its TLS context alone).
        self.reads = reads
        # Stream-token generations, remembered once per process (it listens for their bumps).
        self.generations = generations or Generations(pool, settings.db.url)


@contextlib.asynccontextmanager
async def open_resources(settings: Settings, *, queue: ArqRedis | None = None) -> AsyncIterator[Resources]:
    """Open the pool, the S3 client and (unless one is given, as arq gives workers) the queue."""
    async with contextlib.AsyncExitStack() as stack:
        pool = await create_pool(settings.db)
        stack.push_async_callback(pool.close)
        storage = await stack.enter_async_context(open_storage(settings.s3))
        if queue is None:
            queue = open_queue(settings.redis)
            stack.push_async_callback(close_queue, queue)
        reads = stack.enter_context(httpx.Client(timeout=httpx.Timeout(30, connect=5)))
        generations = Generations(pool, settings.db.url)
        stack.push_async_callback(generations.close)
        yield Resources(settings, pool, storage, queue, reads, generations)
