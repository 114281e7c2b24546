"""When a dependency answers again, the steps waiting out its outage go on at once.

A step that meets an unavailable dependency retries with a doubling, capped backoff
(``DAM_RETRY_MAX_DELAY``): after a long outage each waits up to the cap, and the work would resume
only that long after the dependency's return. Instead, every worker watches the outages it has met:
while one lasts it checks the dependency every second, and when any ends (seen by the check or by
any other call) the deferred step jobs of every queue are made due now. A job deferred for another
reason (a step that ran past its time limit) only comes back early: its attempt was counted already.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from dam.db.assets import ping
from dam.db.pool import DATABASE
from dam.domain.steps import QUEUES
from dam.outages import Outage
from dam.queue import REDIS, wake_deferred
from dam.resources import Resources
from dam.storage.s3 import STORAGE

log = logging.getLogger(__name__)


class Recovery:
    """The dependencies this process watches, and the wake-up of the work that waits for them."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        # Redis has no check of its own here: the worker's poll loop asks it every few milliseconds.
        self.watched: list[tuple[Outage, Callable[[], Awaitable[object]] | None]] = [
            (STORAGE, resources.storage.ping),
            (DATABASE, lambda: ping(resources.pool)),
            (REDIS, None),
        ]
        self.seen = self._recoveries()

    def _recoveries(self) -> int:
        return sum(outage.recoveries for outage, _ in self.watched)

    async def returned(self) -> list[str]:
        """Check each dependency that is down; the names of those whose outage ended since the last
        call (by this check or any other call of this process)."""
        before = {outage.name: outage.recoveries for outage, _ in self.watched}
        for outage, check in self.watched:
            if outage.down and check is not None:
                with contextlib.suppress(Exception):
                    await check()  # a success ends the outage (the dependency's wrapper says so)
        now = self._recoveries()
        if now == self.seen:
            return []
        self.seen = now
        back = [o.name for o, _ in self.watched if o.recoveries != before[o.name]]
        return back or ["a dependency"]

    async def wake(self) -> int:
        """Make every queue's deferred step jobs due now; returns how many."""
        name = self.resources.settings.redis.queue_name
        woken = 0
        for work in QUEUES:
            try:
                woken += await wake_deferred(self.resources.queue, name, work)
            except (RedisError, OSError) as exc:
                REDIS.failed(exc)
        return woken
