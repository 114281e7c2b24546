"""The watch every worker runs beside its jobs: when a dependency answers again, the steps waiting
out its outage resume within a second or two instead of at the end of their backoff
(``dam.services.recovery``)."""

from __future__ import annotations

import asyncio
import logging

from dam.resources import Resources
from dam.services.recovery import Recovery

log = logging.getLogger(__name__)
CHECK_EVERY = 1.0  # seconds between checks of a dependency that is down


async def wake_on_return(resources: Resources, every: float = CHECK_EVERY) -> None:
    """Run until cancelled."""
    recovery = Recovery(resources)
    while True:
        await asyncio.sleep(every)
        try:
            back = await recovery.returned()
            if back:
                woken = await recovery.wake()
                log.info("%s answers again: %d waiting step job(s) resume now", ", ".join(back), woken)
        except Exception as exc:  # the watch must outlive any one fault; the next second tries again
            log.warning("the outage watch failed (%s: %s); it goes on", type(exc).__name__, exc)
