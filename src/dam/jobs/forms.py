"""The form sweep: no client calls complete after a POST-policy upload (Uppy does not), and stores
without bucket notifications (SeaweedFS, AWS without a queue) say nothing. So every media worker
runs one loop, beside arq's and off its queue (it takes no job slot and never waits behind a
transcode), that looks for the objects of the pending form uploads about once a second: a form
signed in the last minute at every sweep, older ones less often, until the form has expired. A
found object is completed exactly as the client's complete would complete it (idempotent with a
MinIO event and the reconciler for the same object; refused and deleted when its upload token was
revoked meanwhile).

Several media workers share the work through a lease in Redis (one sweep a second in all); while
Redis is down each sweeps on its own. Past its form's expiry an upload is the reconciler's.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import Counter

from redis.exceptions import RedisError

from dam import keys
from dam.domain.assets import Asset
from dam.domain.errors import DamError, Unavailable
from dam.resources import Resources
from dam.services.backlog import Backlog
from dam.services.uploads import Uploads

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between sweeps
GRACE = 30.0  # seconds past a form's expiry it is still looked for (a POST that began in time)
LOOKS = 16  # objects looked for at once
# (age in seconds, look every n-th sweep): fresh forms at every sweep, then every 5 s, then 15 s.
CADENCE = ((60.0, 1), (600.0, 5), (math.inf, 15))


def due(asset: Asset, sweep: int, now: float) -> bool:
    """Whether this sweep looks for the asset's object: always while its form is young, then on
    one sweep in n (spread over the assets by their ids)."""
    age = now - asset.created_at.timestamp()
    every = next(n for limit, n in CADENCE if age < limit)
    return (sweep + asset.id.int) % every == 0


async def sweep_forms(resources: Resources, interval: float = INTERVAL) -> None:
    """Until cancelled (a task of the media worker, started with it). Outages of PostgreSQL,
    storage or Redis are logged where they are met; the next sweep goes on."""
    owner = uuid.uuid4().hex
    while True:
        started = time.monotonic()
        try:
            if await _lease(resources, owner, interval):
                counts = await sweep_once(resources, int(time.time() / interval))
                if counts["completed"] or counts["refused"]:
                    log.info("form sweep: %s", dict(counts))
        except Unavailable:
            pass
        except Exception:  # a bug must not stop the sweep of every later form
            log.exception("form sweep failed")
        await asyncio.sleep(max(0.05, interval - (time.monotonic() - started)))


async def sweep_once(resources: Resources, sweep: int = 0) -> Counter[str]:
    """One sweep: look for the objects of the pending forms due now; complete those that landed."""
    counts: Counter[str] = Counter()
    now = time.time()
    waiting = await Backlog(resources).pending_forms(grace_seconds=GRACE)
    pending = [a for a in waiting if due(a, sweep, now)]
    gate = asyncio.Semaphore(LOOKS)
    uploads = Uploads(resources)

    async def look(asset: Asset) -> None:
        async with gate:
            counts[await _look(resources, uploads, asset)] += 1

    await asyncio.gather(*(look(asset) for asset in pending))
    return counts


async def _look(resources: Resources, uploads: Uploads, asset: Asset) -> str:
    """What became of one form upload: ``waiting`` while its object has not landed."""
    try:
        if await resources.storage.head(asset.storage_key) is None:
            return "waiting"
        await uploads.complete(asset.id)
    except Unavailable:
        return "waiting"  # looked for again at a later sweep
    except DamError as exc:  # refused (over a limit, its token revoked), or settled by another path
        log.info("form upload of %s not completed: %s", asset.id, exc.detail)
        return "refused"
    log.info("form upload of %s landed; completed", asset.id)
    return "completed"


async def _lease(resources: Resources, owner: str, interval: float) -> bool:
    """Whether this worker sweeps now: it holds the lease for one interval (or Redis is down)."""
    key = keys.form_sweep_key(resources.settings.redis.queue_name)
    try:
        return bool(await resources.queue.set(key, owner, nx=True, px=max(1, int(interval * 1000 * 0.9))))
    except (RedisError, OSError):
        return True
