"""The ``process_asset`` job: guard the status, probe and render in a thread, persist, mark ready."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

import asyncpg
import httpx
import msgspec
from arq import Retry
from redis.exceptions import RedisError

from dam.db import assets as db
from dam.domain.errors import StorageUnavailable
from dam.domain.media import MediaRejected, MediaResult, RenderedFile
from dam.domain.status import AssetStatus
from dam.domain.validation import rendition_prefix
from dam.jobs.context import JobContext
from dam.media.pipeline import analyse
from dam.storage.ranged import RangeReader

log = logging.getLogger(__name__)

# Faults of the services around us, not of the media: worth retrying with backoff.
TRANSIENT = (StorageUnavailable, OSError, asyncpg.PostgresConnectionError, RedisError, TimeoutError)


async def process_asset(ctx: dict[str, Any], asset_id: str) -> str:
    """Probe the original, make renditions, record them, mark the asset ready (or failed)."""
    deps: JobContext = ctx["deps"]
    aid = uuid.UUID(asset_id)
    try:
        return await _process(deps, aid)
    except TRANSIENT as exc:
        tries, limit = int(ctx.get("job_try", 1)), deps.settings.worker.max_tries
        if tries >= limit:
            reason = f"gave up after {tries} attempts: {type(exc).__name__}: {exc}"[:500]
            await db.transition(deps.pool, aid, AssetStatus.FAILED, error=reason)
            return f"failed: {reason}"
        log.warning("asset %s: transient fault (try %d/%d): %s", aid, tries, limit, exc)
        raise Retry(defer=min(60, 2**tries)) from exc


async def _process(deps: JobContext, aid: uuid.UUID) -> str:
    row = await db.start_processing(deps.pool, aid)
    if row is None:
        current = await db.get_asset(deps.pool, aid)
        return f"skipped: asset is {current.status.value if current else 'gone'}"
    info = await deps.storage.head(row.storage_key)
    if info is None:
        await db.transition(deps.pool, aid, AssetStatus.FAILED, error="the original is missing from storage")
        return "failed: original missing"
    url = deps.storage.presign_get(row.storage_key, internal=True)
    started = time.perf_counter()
    try:
        result = await asyncio.to_thread(
            read_media, url, info.size, row.content_type, deps.settings.worker.max_image_pixels
        )
    except MediaRejected as exc:
        await db.transition(deps.pool, aid, AssetStatus.FAILED, error=exc.detail)
        return f"failed: {exc.detail}"
    renditions = [await _store(deps, aid, r) for r in result.renditions]
    media = msgspec.to_builtins(result.info)
    done = await db.finish_processing(deps.pool, aid, media, renditions)
    if done is None:
        return "skipped: asset changed while processing (deleted?)"
    took = time.perf_counter() - started
    log.info("asset %s ready in %.2fs (%d renditions)", aid, took, len(renditions))
    return f"ready: {len(renditions)} renditions"


async def _store(deps: JobContext, aid: uuid.UUID, rendition: RenderedFile) -> db.NewRendition:
    key = f"{rendition_prefix(aid)}{rendition.kind}.{rendition.extension}"
    await deps.storage.put(key, rendition.data, rendition.content_type)
    return db.NewRendition(
        kind=rendition.kind, storage_key=key, content_type=rendition.content_type,
        width=rendition.width, height=rendition.height, bytes=len(rendition.data),
    )  # fmt: skip


def read_media(url: str, size: int, content_type: str, max_image_pixels: int) -> MediaResult:
    """Blocking: open the object through ranged reads and run the media step (in a worker thread)."""
    with httpx.Client(timeout=httpx.Timeout(30, connect=5)) as client:
        reader = RangeReader(url, size, client=client)
        try:
            result = analyse(reader, content_type, max_pixels=max_image_pixels)  # type: ignore[arg-type]
        except (ValueError, SyntaxError, EOFError, OSError) as exc:
            raise MediaRejected(f"could not read the media: {str(exc)[:300]}") from None
        result.info.bytes_read = reader.bytes_fetched
        return result
