"""``dam bridge``: MinIO notifications on a Redis list -> the processing job, losing nothing.

Each entry is moved atomically to a processing list (BLMOVE), handled, and only then removed
(acknowledged). Entries left in the processing list by a crash are moved back at start-up.
Malformed entries go to a dead-letter list with the reason; they never stop the bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from dam.domain.errors import Conflict, InvalidInput, NotFound, Unavailable, UploadRejected
from dam.domain.validation import asset_of_key
from dam.events.minio import MalformedEvent, parse_entry
from dam.keys import bridge_keys
from dam.queue import REDIS
from dam.resources import Resources
from dam.services.uploads import Uploads

log = logging.getLogger(__name__)
BACKOFF_START, BACKOFF_CAP = 0.25, 2.0  # seconds


class DeadLetter(msgspec.Struct):
    """What the dead-letter list keeps about an entry."""

    reason: str
    entry: str
    at: float


class Bridge:
    """Moves storage events into processing jobs."""

    def __init__(self, resources: Resources, events_key: str | None = None) -> None:
        self.resources = resources
        self.redis: Redis = resources.queue
        self.uploads = Uploads(resources)
        self.events_key: str = events_key or resources.settings.worker.events_key
        self.processing_key, self.dead_key = bridge_keys(self.events_key)
        self.handled = 0

    async def recover(self) -> int:
        """Put entries a previous run took but did not acknowledge back at the head of the list."""
        moved = 0
        while await self.redis.lmove(self.processing_key, self.events_key, "RIGHT", "LEFT") is not None:
            moved += 1
        if moved:
            log.info("bridge: recovered %d unacknowledged event(s)", moved)
        return moved

    async def step(self, wait: int = 1) -> bool:
        """Take one entry (waiting up to ``wait`` seconds), handle it, acknowledge it; False if none came."""
        if wait > 0:
            raw = await self.redis.blmove(self.events_key, self.processing_key, wait, "LEFT", "RIGHT")
        else:  # BLMOVE with 0 would block forever
            raw = await self.redis.lmove(self.events_key, self.processing_key, "LEFT", "RIGHT")
        if raw is None:
            return False
        await self.handle(raw)
        await self.redis.lrem(self.processing_key, 1, raw)  # type: ignore[misc]
        self.handled += 1
        return True

    async def handle(self, raw: bytes) -> None:
        """Complete the assets whose originals the entry reports; transient faults propagate."""
        try:
            events = parse_entry(raw)
        except MalformedEvent as exc:
            await self.dead_letter(raw, str(exc))
            return
        bucket = self.resources.storage.bucket
        for event in events:
            asset_id = asset_of_key(event.key)
            if not event.name.startswith("s3:ObjectCreated:") or event.bucket != bucket or asset_id is None:
                log.debug("bridge: skipping %s %s/%s", event.name, event.bucket, event.key)
                continue
            try:
                # Unavailable propagates: the entry stays unacknowledged and is handled again later.
                await self.uploads.complete(asset_id)
            except (NotFound, Conflict, UploadRejected, InvalidInput) as exc:
                log.info(
                    "bridge: %s for asset %s not processed: %s", event.name, asset_id, exc.detail,
                    extra={"asset_id": str(asset_id)},
                )  # fmt: skip

    async def dead_letter(self, raw: bytes, reason: str) -> None:
        """Keep an unusable entry, with why, for a human to look at."""
        entry = DeadLetter(reason=reason, entry=raw.decode("utf-8", "replace")[:65536], at=time.time())
        await self.redis.rpush(self.dead_key, msgspec.json.encode(entry))  # type: ignore[misc]
        log.warning("bridge: dead-lettered an event: %s", reason)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; outages back off (capped at a few seconds, so the bridge is back
        soon after its dependency) and are logged once; no entry is lost."""
        delay = BACKOFF_START
        while not stop.is_set():
            try:
                await self.recover()
                while not stop.is_set():
                    await self.step(wait=1)
                    REDIS.answered()
                    delay = BACKOFF_START
            except (RedisError, OSError) as exc:
                REDIS.failed(exc)
            except Unavailable as exc:  # PostgreSQL, storage, or Redis for the job: logged where met
                log.debug("bridge: %s; retrying in %.1fs", exc.detail, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, BACKOFF_CAP)
