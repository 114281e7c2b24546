"""The outbox drainer: every worker queues, within about a second of Redis returning, the jobs
that ``complete``, the bridge or the reconciler recorded in PostgreSQL while Redis was down."""

from __future__ import annotations

import asyncio
import logging

from dam.domain.errors import Unavailable
from dam.resources import Resources
from dam.services.processing import Processing

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between looks at an empty outbox: one indexed query


async def drain_outbox(resources: Resources, interval: float = INTERVAL) -> None:
    """Until cancelled. Outages of Redis or PostgreSQL are logged where they are met (dam.outages)."""
    processing = Processing(resources)
    while True:
        try:
            if await processing.drain_outbox():
                continue  # there may be more
        except Unavailable:
            pass
        except Exception:  # a bug must not stop the drainer of every later outage
            log.exception("outbox: draining failed")
        await asyncio.sleep(interval)
