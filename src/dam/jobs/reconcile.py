"""The reconciler (arq cron, every minute): catch what events and clients missed.

- ``pending_upload`` whose object exists (client never called complete, store sent no event):
  completed as if the client had called complete.
- jobs recorded in the outbox while Redis was down (the drainer in every worker does this within
  seconds; the pass does it too).
- ``uploaded`` for over a minute (the enqueue was lost, e.g. Redis lost its data): its steps queued again.
- ``processing`` with no progress for longer than the time limit of the queues its steps run on
  (its worker died): its unfinished steps queued again.
- ``ready`` with a background step (the stream) that made no progress for longer than the time
  limit of the queues background steps run on (its job was lost): queued again.
- ``pending_upload`` whose client has not asked for URLs for longer than the URL lifetime plus a
  grace period, with no object: ``failed`` ("upload never arrived"), its multipart upload aborted.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from arq.jobs import Job, JobStatus

from dam import keys
from dam.domain.assets import Asset
from dam.domain.errors import DamError, Unavailable
from dam.domain.status import AssetStatus
from dam.domain.steps import queues_of, stale_after
from dam.resources import Resources
from dam.services.assets import Assets
from dam.services.backlog import Backlog
from dam.services.processing import Processing
from dam.services.uploads import Uploads
from dam.settings import Settings

log = logging.getLogger(__name__)
SETTLE_SECONDS = 60.0


PURGES_PER_PASS = 500  # trashed assets purged by one pass at most (the next pass goes on)


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """One pass; returns what it did, by kind. A dependency that is down ends the pass early (the
    next minute's pass goes on); the outage itself is logged where it was met."""
    counts = {"completed": 0, "requeued": 0, "restarted": 0, "expired": 0, "drained": 0, "purged": 0}
    try:
        await _pass(ctx["resources"], counts)
    except Unavailable as exc:
        log.warning("reconciler: pass cut short (%s); the next one goes on", exc.detail)
    if any(counts.values()):
        log.info("reconciler: %s", counts)
    return counts


def _limit(settings: Settings, *, background: bool) -> float:
    """The longest time limit of the queues that run (non-)background steps, and a margin."""
    return max((float(settings.value(env)) for env in stale_after(background=background)), default=0.0) + (
        SETTLE_SECONDS
    )


async def _pass(resources: Resources, counts: dict[str, int]) -> None:
    processing = Processing(resources)
    with contextlib.suppress(Unavailable):  # Redis still down: the drainer goes on trying
        counts["drained"] = await processing.drain_outbox()
    await _pending(resources, counts)
    # Trashed assets whose DAM_TRASH_DAYS are up leave storage; their rows stay as tombstones.
    counts["purged"] = await Assets(resources).purge_due(at_most=PURGES_PER_PASS)
    backlog = Backlog(resources)
    for asset in await backlog.in_status(AssetStatus.UPLOADED, older_than_seconds=SETTLE_SECONDS):
        if asset.etag and await _requeue(resources, processing, asset):
            counts["requeued"] += 1
    stale = _limit(resources.settings, background=False)
    for asset in await backlog.in_status(AssetStatus.PROCESSING, older_than_seconds=stale):
        # A new id per stale episode: the dead job's id is still taken by its kept result.
        if asset.etag and await processing.hand_over(
            asset, rerun=f"stale:{int(asset.updated_at.timestamp())}"
        ):
            counts["restarted"] += 1
    stale_background = _limit(resources.settings, background=True)
    for asset in await backlog.ready_with_unfinished_steps(older_than_seconds=stale_background):
        # A ready asset's runnable steps are background ones: hand_over finds their queues.
        if asset.etag and await processing.hand_over(
            asset, rerun=f"stale:{int(asset.updated_at.timestamp())}"
        ):
            counts["restarted"] += 1


async def _requeue(resources: Resources, processing: Processing, asset: Asset) -> bool:
    """Queue again; where the usual job id is held by a finished (or expired) job, use a new one."""
    assert asset.etag is not None
    if await processing.hand_over(asset):
        return True
    states = await processing.states(asset.id)
    queued = False
    for work in queues_of(states):
        job = Job(keys.job_id(work, asset.id, asset.etag), resources.queue,
                  _queue_name=keys.queue_key(resources.settings.redis.queue_name, work))  # fmt: skip
        if await job.status() in {JobStatus.complete, JobStatus.not_found}:
            episode = f"requeue:{int(asset.updated_at.timestamp())}"
            queued |= await processing.hand_over(asset, rerun=episode, only=work) > 0
    return queued


async def _pending(resources: Resources, counts: dict[str, int]) -> None:
    settings = resources.settings
    uploads = Uploads(resources)
    expiry = settings.s3.presign_ttl + settings.worker.upload_grace
    for asset in await Backlog(resources).in_status(
        AssetStatus.PENDING_UPLOAD, older_than_seconds=SETTLE_SECONDS
    ):
        exists = asset.upload_id is None and await resources.storage.head(asset.storage_key) is not None
        # From the last time its client asked for URLs (a long multipart upload signs part after
        # part), not from its creation.
        age = (datetime.now(UTC) - asset.updated_at).total_seconds()
        if exists:
            try:
                await uploads.complete(asset.id)
                counts["completed"] += 1
            except DamError as exc:
                log.info("reconciler: asset %s not completed: %s", asset.id, exc.detail)
        elif age > expiry:
            if asset.upload_id is not None:
                await resources.storage.abort_multipart(asset.storage_key, asset.upload_id)
            reason = "upload never arrived: no object in storage before the upload URLs expired"
            if await uploads.fail(asset.id, reason):
                counts["expired"] += 1
