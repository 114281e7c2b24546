"""What the reconciler and the form sweep look for: assets that have waited too long in a status."""

from __future__ import annotations

from dam.db import assets as db
from dam.domain.assets import Asset
from dam.domain.status import AssetStatus
from dam.resources import Resources


class Backlog:
    """Reads of assets that wait, the oldest first."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool

    async def in_status(self, status: AssetStatus, *, older_than_seconds: float) -> list[Asset]:
        """Assets that have been in ``status`` without progress for longer than that."""
        return await db.assets_in_status(self.pool, status, older_than_seconds=older_than_seconds)

    async def ready_with_unfinished_steps(self, *, older_than_seconds: float) -> list[Asset]:
        """Ready assets whose background steps have waited without progress for longer than that."""
        return await db.ready_with_unfinished_steps(self.pool, older_than_seconds=older_than_seconds)

    async def pending_forms(self, *, grace_seconds: float) -> list[Asset]:
        """Pending form uploads whose form has not expired (or did so within ``grace_seconds``)."""
        return await db.pending_forms(self.pool, grace_seconds=grace_seconds)
