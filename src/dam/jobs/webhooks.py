"""The webhook delivery loop: every housekeeping (media) worker runs one beside arq's, off its
queue, sending the deliveries that are due (several workers share them: each delivery is leased
by the one that sends it, an endpoint's deliveries go one at a time, oldest first)."""

from __future__ import annotations

import asyncio
import logging

from dam.resources import Resources
from dam.services.webhooks import Deliverer

log = logging.getLogger(__name__)
IDLE = 0.25  # seconds between looks while nothing is due (a commit of deliveries wakes it at once)
BACKOFF = 5.0  # seconds after the database could not be read


async def deliver_webhooks(resources: Resources) -> None:
    """Until cancelled: send what is due, look again soon."""
    deliverer = Deliverer(resources)
    try:
        while True:
            try:  # the loop outlives an outage (and the listener's): the next look retries
                if not await deliverer.once():
                    await deliverer.idle(IDLE)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhooks: deliveries not read (%s); trying again in %g s", exc, BACKOFF)
                await asyncio.sleep(BACKOFF)
    finally:
        await deliverer.close()
