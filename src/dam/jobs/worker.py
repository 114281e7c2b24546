"""An arq worker that rides out Redis outages instead of exiting.

arq's poll loop lets a Redis error escape, which ends the worker (exit code 1 within seconds of
Redis going away, again after each restart). Here each poll that meets an unavailable Redis waits
with capped backoff and tries again; jobs already running go on (their steps need PostgreSQL and
storage, not Redis), and a job whose end could not be written to Redis is run again later, finding
its steps done. The outage is logged once when it begins and once when it ends.

Between polls it does not sleep a fixed ``poll_delay`` as arq does: it waits at most that long, and
polls at once when a job is queued (``dam.queue.wake`` pushes to the queue's wake list, which a
listener of each worker pops) or when one of its own jobs ends (a slot is free for the next one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, cast

from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

from dam import keys, logs
from dam.queue import REDIS

log = logging.getLogger(__name__)
BACKOFF_START, BACKOFF_CAP = 0.25, 2.0  # seconds; the cap bounds the wait after Redis returns
LISTEN_SECONDS = 1  # one blocking pop of the wake list (well under any socket timeout)


class ResilientWorker(Worker):
    """``arq.worker.Worker`` whose poll loop survives Redis going away and coming back, and wakes
    as soon as there is a job to start."""

    _backoff = BACKOFF_START

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # arq's poll loop sleeps poll_delay_s after each poll: ours waits in _poll_iteration instead.
        self._longest_wait, self.poll_delay_s = self.poll_delay_s, 0
        self._work = asyncio.Event()
        self._listener: asyncio.Task[None] | None = None

    async def _poll_iteration(self) -> None:
        self._work.clear()  # before the poll: a wake during it means poll again
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            REDIS.failed(exc)
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_CAP)
            return
        REDIS.answered()
        self._backoff = BACKOFF_START
        await self._until_work()

    async def _until_work(self) -> None:
        """Wait until a job is queued or one of ours ends, at most the poll delay."""
        if self._longest_wait <= 0:  # tests' burst workers poll back to back
            return
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="wake-listener")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._longest_wait):
                await self._work.wait()

    async def _listen(self) -> None:
        """Pop the queue's wake list (pushed once per job queued) and wake the poll loop."""
        key = keys.wake_key(self.queue_name)
        while True:
            try:
                # redis-py types its sync and async clients as one
                popped = self.pool.blpop([key], timeout=LISTEN_SECONDS)
                woken = await cast(Awaitable[list[bytes] | None], popped)
            except (RedisError, OSError):
                await asyncio.sleep(BACKOFF_CAP)  # the poll loop logs the outage and waits it out
                continue
            if woken is not None:
                self._work.set()

    def _release_sem_dec_counter_on_complete(self) -> None:
        super()._release_sem_dec_counter_on_complete()
        self._work.set()  # a slot is free: start the next job now, not at the next poll

    async def close(self) -> None:
        """Stop the wake listener, then close as arq does."""
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        await super().close()

    async def run_job(self, job_id: str, score: int) -> None:
        # Every line of the job, arq's own included, carries its id.
        with logs.bind(job_id=job_id):
            try:
                await super().run_job(job_id, score)
            except asyncio.CancelledError:
                # Cancelled at shutdown after arq had handled the job's own cancellation (a second
                # cancel, e.g. as the job ended): let another worker take the job now, not when its
                # in-progress mark expires, and end this task quietly so the worker closes cleanly.
                with contextlib.suppress(RedisError, OSError):
                    await self.pool.delete(in_progress_key_prefix + job_id)
                log.info("job %s cut short by shutdown; it runs again elsewhere", job_id)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        # arq counts a job as started before asking Redis whether it may start it; when Redis fails
        # in between, give the slot back or the worker's capacity shrinks with every outage.
        for job_id in job_ids:
            counted, task = self.job_counter, self.tasks.get(job_id.decode())
            try:
                await super().start_jobs([job_id])
            except (RedisError, OSError):
                if self.job_counter > counted and self.tasks.get(job_id.decode()) is task:
                    self._release_sem_dec_counter_on_complete()
                raise
