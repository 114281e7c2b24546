"""Settings class for the ``arq`` command line: ``arq workers.settings.WorkerSettings`` (reads DAM_*).

arq's own command runs its plain Worker, which exits when Redis goes away; ``dam worker`` runs
``ResilientWorker``, which waits for Redis to return.
"""

from __future__ import annotations

import os

from dam.settings import check_production, load_settings
from workers.main import worker_options

_settings = load_settings(os.environ)
check_production(_settings, api=False)  # as `dam worker` does: no development defaults in production
_options = worker_options(_settings)


class WorkerSettings:
    """arq reads its options from this class's attributes."""

    functions = _options["functions"]
    cron_jobs = _options["cron_jobs"]
    redis_settings = _options["redis_settings"]
    queue_name = _options["queue_name"]
    on_startup = _options["on_startup"]
    on_shutdown = _options["on_shutdown"]
    ctx = _options["ctx"]
    max_jobs = _options["max_jobs"]
    keep_result = _options["keep_result"]
    job_timeout = _options["job_timeout"]
    poll_delay = _options["poll_delay"]
