"""arq worker entry point used by ``dam worker`` (and by ``workers/settings.py`` for the arq CLI).

One worker serves one queue (``dam worker --queue media``), as its spec in ``QUEUES`` says: its arq
function, concurrency and time limit; the media queue's workers also run the reconciler and the
form sweep.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings

from dam import keys
from dam.domain.steps import QUEUES, Queue
from dam.jobs.context import on_shutdown, on_startup
from dam.jobs.process import run_steps
from dam.jobs.reconcile import reconcile
from dam.jobs.watch import watch_upload
from dam.jobs.worker import ResilientWorker
from dam.queue import WATCH_FUNCTION
from dam.settings import Settings, concurrency, time_limit


def worker_options(settings: Settings, queue: str = Queue.MEDIA) -> dict[str, Any]:
    """Everything arq needs to run one queue's jobs for these settings (the queue's spec in
    ``QUEUES``: its function, concurrency and time limit)."""
    spec = QUEUES[queue]
    # Steps count their own attempts (DAM_JOB_MAX_TRIES) and retry outages until DAM_RETRY_DEADLINE;
    # arq's count of the job's tries must never be what ends the work.
    tries = 1_000_000
    # arq marks a running job in-progress for (largest timeout + 10 s): a dead worker's job is run
    # again after that, so no other function's timeout (the cron's) may exceed the processing job's.
    # Form uploads are swept by a loop of the housekeeping worker's own (jobs/forms.py), not by jobs;
    # the watch function only ends the watch jobs an earlier release queued.
    timeout = time_limit(settings, queue)
    chores = spec.housekeeping
    return {
        "functions": [
            func(run_steps, name=spec.function, timeout=timeout, max_tries=tries),
            *([func(watch_upload, name=WATCH_FUNCTION, timeout=timeout, max_tries=tries)] if chores else []),
        ],
        "cron_jobs": (
            [cron(reconcile, second=0, run_at_startup=True, unique=True, timeout=timeout)] if chores else []
        ),
        # Redis may be down when the worker starts: wait for it (about 5 minutes) rather than exit.
        "redis_settings": dataclasses.replace(
            RedisSettings.from_dsn(settings.redis.url), conn_retries=300, conn_retry_delay=1
        ),
        "queue_name": keys.queue_key(settings.redis.queue_name, queue),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {"settings": settings, "queue": queue},
        "max_jobs": concurrency(settings, queue),
        "keep_result": 24 * 3600,
        "job_timeout": timeout,
        "poll_delay": settings.worker.poll_delay,
        # SIGTERM: no new job; running ones get this long, then are cancelled and give their step back.
        "job_completion_wait": settings.worker.shutdown_grace,
    }


def build_worker(settings: Settings, queue: str = Queue.MEDIA, **overrides: Any) -> ResilientWorker:
    """A worker for these settings (tests pass burst=True, poll_delay=0...); it rides out Redis outages."""
    return ResilientWorker(**{**worker_options(settings, queue), **overrides})
