"""The watch of a form upload: no client calls complete after a POST-policy upload (Uppy does not),
and stores without bucket notifications (SeaweedFS, AWS without a queue) say nothing. So the job
looks for the object soon after the form is signed, backing off, until the form has expired; when
it is there, the asset is completed exactly as the client's complete would (idempotent with the
reconciler and with a MinIO event for the same object).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from arq import Retry

from dam.db import assets as db
from dam.domain.errors import Unavailable, UploadRejected
from dam.domain.status import AssetStatus
from dam.resources import Resources
from dam.services.uploads import Uploads

log = logging.getLogger(__name__)
FIRST_DELAY = 0.5
MAX_DELAY = 10.0


def next_look(job_try: int) -> float:
    """Seconds before the next look: from half a second, growing by half each time, at most 10."""
    return float(min(MAX_DELAY, FIRST_DELAY * 1.5 ** max(0, job_try - 1)))


async def watch_upload(ctx: dict[str, Any], asset_id: str, until: float) -> str:
    """Complete a pending form upload whose object has landed; look again later if it has not."""
    try:
        outcome = await _look(ctx["resources"], uuid.UUID(asset_id))
    except Unavailable:
        outcome = None  # storage or the database is out: look again like for a missing object
    if outcome is not None:
        return outcome
    if time.time() > until:
        return "expired"  # the form can no longer be used; the reconciler fails the asset later
    raise Retry(defer=next_look(ctx.get("job_try", 1)))


async def _look(resources: Resources, asset_id: uuid.UUID) -> str | None:
    """What became of the form upload; None while its object has not landed."""
    asset = await db.get_asset(resources.pool, asset_id)
    if asset is None or asset.status is not AssetStatus.PENDING_UPLOAD:
        return "settled"  # completed by an event, the reconciler or a client; or deleted
    if await resources.storage.head(asset.storage_key) is None:
        return None
    try:
        await Uploads(resources).complete(asset_id)
    except UploadRejected as exc:
        log.info("form upload of %s refused: %s", asset_id, exc.detail)
        return "rejected"
    log.info("form upload of %s landed; completed", asset_id)
    return "completed"
