"""Editing an asset: a JSON merge patch of its title, description, tags and metadata, applied
under its row's lock, conditional on its revision (``If-Match``), its metadata validated against
the workspace's schema when it changes, audited with what it changed."""

from __future__ import annotations

import uuid

import msgspec

from dam.db import assets as db
from dam.db import tags as tag_rows
from dam.domain import audit
from dam.domain import metadata as rules
from dam.domain import schema as schema_rules
from dam.domain.access import Principal
from dam.domain.assets import Asset
from dam.domain.audit import Action
from dam.domain.errors import Conflict
from dam.domain.metadata import Edit, Editable
from dam.domain.status import AssetStatus
from dam.resources import Resources
from dam.services import scoped
from dam.services.schema import schema_of
from dam.services.tags import retag
from dam.services.unit import unit


def editable(asset: Asset) -> Editable:
    """An asset's editable fields as they are."""
    return Editable(
        title=asset.title, description=asset.description, tags=asset.tags, metadata=asset.metadata
    )


class Edits:
    """Changing what people say about an asset."""

    def __init__(self, resources: Resources) -> None:
        self.pool = resources.pool

    async def edit(
        self, principal: Principal, asset_id: uuid.UUID, edit: Edit, if_match: str | None = None
    ) -> Asset:
        """Apply ``edit`` (its creator, or an editor); with ``if_match``, only if the asset is still
        at that revision (``PreconditionFailed``). An edit that changes nothing leaves the
        revision as it is; any other raises it by one. Returns the asset as it now is."""
        found = await scoped.editable(self.pool, asset_id, principal)
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, found.workspace_id)
            asset = await db.lock_asset(work.conn, asset_id)
            if asset is None:
                raise scoped.not_found(asset_id)
            if asset.status is AssetStatus.DELETED:
                raise Conflict("asset is deleted; a deleted asset cannot be edited")
            before = editable(asset)
            after = rules.apply(before, edit)  # an unusable edit is 422 whatever the revision
            if after.metadata != before.metadata:
                schema = await schema_of(work.conn, asset.workspace_id)
                schema_rules.validate(schema, after.metadata, before=before.metadata)
            rules.precondition(if_match, asset.revision)
            if after.tags != before.tags:
                tags = await retag(work.conn, asset.workspace_id, before.tags, after.tags)
                after = msgspec.structs.replace(after, tags=tags)
            changed = rules.changes(before, after)
            if not changed:
                return asset
            entry = audit.by(principal, Action.ASSET_UPDATE, detail=changed)
            updated = await db.edit(work.conn, asset_id, after, entry)
            assert updated is not None  # the row is locked
            work.touched(asset_id)
        return updated
