"""The reconciler (arq cron, every minute): catch what events and clients missed.

- ``pending_upload`` whose object exists (client never called complete, store sent no event):
  completed as if the client had called complete.
- ``uploaded`` for over a minute (the enqueue was lost, e.g. Redis was down): enqueued again.
- ``processing`` for longer than the job timeout (its worker died): enqueued again.
- ``pending_upload`` older than the URL lifetime plus a grace period with no object: ``failed``
  ("upload never arrived"), its multipart upload aborted.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from dam.db import assets as db
from dam.domain.errors import DamError
from dam.domain.status import AssetStatus
from dam.ingest import Ingest
from dam.jobs.context import JobContext
from dam.jobs.queue import enqueue_processing, process_job_id

log = logging.getLogger(__name__)
SETTLE_SECONDS = 60.0


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """One pass; returns what it did, by kind."""
    deps: JobContext = ctx["deps"]
    queue: ArqRedis = ctx["redis"]
    ingest = Ingest(deps.settings, deps.pool, deps.storage, queue)
    counts = {"completed": 0, "requeued": 0, "restarted": 0, "expired": 0}
    await _pending(deps, ingest, counts)
    for row in await db.assets_in_status(deps.pool, AssetStatus.UPLOADED, older_than_seconds=SETTLE_SECONDS):
        if row.etag and await _requeue(queue, row.id, row.etag, int(row.updated_at.timestamp())):
            counts["requeued"] += 1
    stale_after = deps.settings.worker.job_timeout + SETTLE_SECONDS
    for row in await db.assets_in_status(deps.pool, AssetStatus.PROCESSING, older_than_seconds=stale_after):
        # A new id per stale episode: the dead job's id is still taken by its kept result.
        if await enqueue_processing(
            queue, row.id, row.etag or "", rerun=f"stale:{int(row.updated_at.timestamp())}"
        ):
            counts["restarted"] += 1
    if any(counts.values()):
        log.info("reconciler: %s", counts)
    return counts


async def _requeue(queue: ArqRedis, asset_id: uuid.UUID, etag: str, episode: int) -> bool:
    """Enqueue again; if the usual job id is held by a finished (or expired) job, use a new one."""
    if await enqueue_processing(queue, asset_id, etag):
        return True
    status = await Job(process_job_id(asset_id, etag), queue, _queue_name=queue.default_queue_name).status()
    if status not in {JobStatus.complete, JobStatus.not_found}:
        return False  # queued or running: nothing to do
    return await enqueue_processing(queue, asset_id, etag, rerun=f"requeue:{episode}")


async def _pending(deps: JobContext, ingest: Ingest, counts: dict[str, int]) -> None:
    expiry = deps.settings.s3.presign_ttl + deps.settings.worker.upload_grace
    for row in await db.assets_in_status(
        deps.pool, AssetStatus.PENDING_UPLOAD, older_than_seconds=SETTLE_SECONDS
    ):
        exists = row.upload_id is None and await deps.storage.head(row.storage_key) is not None
        age = (datetime.now(UTC) - row.created_at).total_seconds()
        if exists:
            try:
                await ingest.complete(row.id, None)
                counts["completed"] += 1
            except DamError as exc:
                log.info("reconciler: asset %s not completed: %s", row.id, exc.detail)
        elif age > expiry:
            if row.upload_id is not None:
                await deps.storage.abort_multipart(row.storage_key, row.upload_id)
            reason = "upload never arrived: no object in storage before the upload URLs expired"
            if await db.transition(deps.pool, row.id, AssetStatus.FAILED, error=reason):
                counts["expired"] += 1
