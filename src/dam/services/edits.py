"""Editing an asset: a JSON merge patch of its title, description, tags and metadata, applied
under its row's lock, conditional on its revision (``If-Match``), its metadata validated against
the workspace's schema when it changes, audited with what it changed."""

from __future__ import annotations

import uuid

import msgspec

from dam.db import assets as db
from dam.db import audit as audit_rows
from dam.db import enrichment as enrichment_rows
from dam.db import tags as tag_rows
from dam.domain import audit
from dam.domain import metadata as rules
from dam.domain import schema as schema_rules
from dam.domain import tags as tag_rules
from dam.domain.access import Principal
from dam.domain.assets import Asset
from dam.domain.audit import Action
from dam.domain.errors import Conflict, NotFound
from dam.domain.metadata import Edit, Editable
from dam.domain.status import HIDDEN, AssetStatus
from dam.resources import Resources
from dam.services import scoped
from dam.services.schema import schema_of
from dam.services.tags import retag
from dam.services.unit import unit
from dam.services.webhooks import emit_asset


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
            if asset.status in HIDDEN:
                raise Conflict(f"asset is {asset.status.value}; restore it from the trash to edit it"
                               if asset.status is AssetStatus.TRASHED
                               else "asset is deleted; a deleted asset cannot be edited")  # fmt: skip
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
            await emit_asset(work.conn, "asset.updated", updated)
        return updated

    async def decide(self, principal: Principal, asset_id: uuid.UUID, tag: str, *, accept: bool) -> Asset:
        """A person's answer to a model tag of the asset (its creator, or an editor): accepted, it
        becomes one of the asset's tags; rejected, it is hidden (no longer searched) and stays so
        when the model runs again. NotFound when no model tagged the asset so."""
        found = await scoped.editable(self.pool, asset_id, principal)
        key = tag_rules.key_of(tag.strip())
        async with unit(self.pool) as work:
            await tag_rows.share_lock(work.conn, found.workspace_id)
            asset = await db.lock_asset(work.conn, asset_id)
            if asset is None:
                raise scoped.not_found(asset_id)
            if asset.status in HIDDEN:
                raise Conflict(f"asset is {asset.status.value}; its suggestions cannot be answered")
            name = await enrichment_rows.model_tag(work.conn, asset_id, key)
            if name is None:
                raise NotFound(f"no model suggested the tag {tag[:100]!r} for asset {asset_id}")
            decision = "accepted" if accept else "rejected"
            await enrichment_rows.decide(work.conn, asset_id, key, decision, principal.user_id)
            entry = audit.by(
                principal, Action.ASSET_UPDATE, detail={"suggestion": name, "decision": decision}
            )
            wanted = tag_rules.merged(asset.tags, [name]) if accept else asset.tags
            if wanted != asset.tags:
                tags = await retag(work.conn, asset.workspace_id, asset.tags, wanted)
                asset = await db.edit(
                    work.conn, asset_id, msgspec.structs.replace(editable(asset), tags=tags), entry
                )
                assert asset is not None  # the row is locked
            else:
                await audit_rows.record(work.conn, msgspec.structs.replace(entry, asset_id=asset_id))
                await db.touch(work.conn, asset_id)
            work.touched(asset_id)
        return asset
