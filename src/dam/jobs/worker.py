"""An arq worker that rides out Redis outages instead of exiting.

arq's poll loop lets a Redis error escape, which ends the worker (exit code 1 within seconds of
Redis going away, again after each restart). Here each poll that meets an unavailable Redis waits
with capped backoff and tries again; jobs already running go on (their steps need PostgreSQL and
storage, not Redis), and a job whose end could not be written to Redis is run again later, finding
its steps done. The outage is logged once when it begins and once when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.exceptions import RedisError

from dam import logs
from dam.queue import REDIS

log = logging.getLogger(__name__)
BACKOFF_START, BACKOFF_CAP = 0.25, 2.0  # seconds; the cap bounds the wait after Redis returns


class ResilientWorker(Worker):
    """``arq.worker.Worker`` whose poll loop survives Redis going away and coming back."""

    _backoff = BACKOFF_START

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisError, OSError) as exc:
            REDIS.failed(exc)
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_CAP)
            return
        REDIS.answered()
        self._backoff = BACKOFF_START

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
