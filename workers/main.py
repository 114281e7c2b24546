"""arq worker entry point used by ``dam worker`` (and by ``workers/settings.py`` for the arq CLI)."""

from __future__ import annotations

from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker

from dam.jobs.context import on_shutdown, on_startup
from dam.jobs.process import process_asset
from dam.jobs.queue import PROCESS_ASSET
from dam.jobs.reconcile import reconcile
from dam.settings import Settings


def worker_options(settings: Settings) -> dict[str, Any]:
    """Everything arq needs to run our jobs for these settings."""
    # arq marks a running job in-progress for (largest timeout + 10 s): a dead worker's job is run
    # again after that, so the cron's timeout must not exceed the processing job's.
    return {
        "functions": [
            func(
                process_asset,
                name=PROCESS_ASSET,
                timeout=settings.worker.job_timeout,
                max_tries=settings.worker.max_tries,
            )
        ],
        "cron_jobs": [
            cron(reconcile, second=0, run_at_startup=True, unique=True, timeout=settings.worker.job_timeout)
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis.url),
        "queue_name": settings.redis.queue_name,
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "ctx": {"settings": settings},
        "max_jobs": settings.worker.concurrency,
        "keep_result": 24 * 3600,
        "job_timeout": settings.worker.job_timeout,
    }


def build_worker(settings: Settings, **overrides: Any) -> Worker:
    """A worker for these settings (tests pass burst=True, poll_delay=0...)."""
    return Worker(**{**worker_options(settings), **overrides})
