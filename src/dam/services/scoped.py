"""What a principal can see: assets of its workspace; for an upload token, only the uploads of
upload tokens of its workspace (a page that reloads mid-upload resumes with the token of its new
page view: the object key and the storage's upload id it resumes with are the capability).
Anything else is answered exactly as an unknown id is: no existence oracle."""

from __future__ import annotations

import uuid

from dam.db import assets as db
from dam.db.pool import Pool
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset
from dam.domain.errors import NotFound


def not_found(asset_id: uuid.UUID) -> NotFound:
    """The one answer for an unknown asset and for another workspace's."""
    return NotFound(f"asset {asset_id} not found")


async def find(pool: Pool, asset_id: uuid.UUID, principal: Principal | None) -> Asset:
    """The asset, if ``principal`` may see it (``None``: the system, which sees every asset)."""
    if principal is None:
        asset = await db.get_asset(pool, asset_id)
    elif principal.workspace_id is None:
        asset = None
    else:
        asset = await db.get_asset(pool, asset_id, principal.workspace_id)
        if asset is not None and principal.kind == "upload_token" and asset.upload_token_id is None:
            asset = None  # a token reaches only uploads that pages made with tokens
    if asset is None:
        raise not_found(asset_id)
    return asset


async def editable(pool: Pool, asset_id: uuid.UUID, principal: Principal | None) -> Asset:
    """The asset, if ``principal`` may see it and change it (its own, or any as an editor)."""
    asset = await find(pool, asset_id, principal)
    if principal is not None:
        require(principal, Scope.EDIT_OWN, asset.owner)
    return asset


async def uploadable(pool: Pool, asset_id: uuid.UUID, principal: Principal | None) -> Asset:
    """The asset, if ``principal`` may go on with its upload: the one who created it, an editor,
    or, for an upload made by a page, an upload token of the workspace (a reloaded page holds a
    new one)."""
    if principal is not None and principal.kind == "upload_token":
        return await find(pool, asset_id, principal)  # a token sees only what tokens uploaded
    return await editable(pool, asset_id, principal)
