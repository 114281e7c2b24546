"""Uploads driven the way Uppy's Companion client drives them: assets addressed by their object
key and upload id, multipart parts signed one at a time for whatever numbers and sizes the client
picks, and single files sent as S3 POST-policy forms, which the form sweep (``jobs/forms.py``)
completes once they land because no client calls complete after one.

Only what can be bounded: a form's policy holds the file to the asset's limit
(``content-length-range``); a multipart upload's part numbers stop at the last one a file within
the limit can need (``domain.uploads.part_cap``), and an upload token's parts are listed on every
signing, the upload aborted once storage holds more than the limit. Forms and part URLs never live
past the upload token they were signed for.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import msgspec

from dam.db import assets as db
from dam.domain import validation
from dam.domain.access import Principal
from dam.domain.assets import Asset
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.status import AssetStatus
from dam.domain.uploads import MAX_PARTS, MIN_PART, StoredPart, part_cap, signing_ttl
from dam.resources import Resources
from dam.services import scoped
from dam.services.uploads import Completion, Draft, PartDone, Uploads
from dam.storage.s3 import PresignedPost, PresignedPut

log = logging.getLogger(__name__)


class FormUpload(msgspec.Struct, frozen=True, kw_only=True):
    """A single-file upload as a POST-policy form, and how long the form is good for."""

    asset: Asset
    post: PresignedPost
    expires_in: int


class SignedParts(msgspec.Struct, frozen=True, kw_only=True):
    """PUT URLs for parts, and how long they are good for."""

    puts: list[PresignedPut]
    expires_in: int


class CompanionUploads:
    """The use cases behind the Companion-compatible routes (``api/companion.py``)."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.storage = resources.storage
        self.uploads = Uploads(resources)

    async def create_multipart(
        self, principal: Principal, filename: str, content_type: str, metadata: dict[str, Any]
    ) -> Asset:
        """A ``pending_upload`` asset with its multipart upload; the client's parts, its sizes."""
        draft = Draft(filename=filename, content_type=content_type, metadata=metadata, multipart=True)
        return await self.uploads.record(principal, draft)

    async def create_form(
        self, principal: Principal, filename: str, content_type: str, metadata: dict[str, Any]
    ) -> FormUpload:
        """A ``pending_upload`` asset and a POST policy for its object, which the form sweep
        looks for until the policy expires."""
        if "${filename}" in filename:
            # S3 replaces it in a form's key with the uploaded file's name: the key would differ.
            raise InvalidInput("filename must not contain '${filename}' for a form upload")
        asset = await self.uploads.record(
            principal, Draft(filename=filename, content_type=content_type, metadata=metadata)
        )
        ttl = self._ttl(principal)
        post = self.storage.presign_post(
            asset.storage_key,
            content_type=asset.content_type,
            max_bytes=self.uploads.limit_of(asset),
            expires=ttl,
        )
        await db.mark_form(self.resources.pool, asset.id, ttl)
        return FormUpload(asset=asset, post=post, expires_in=ttl)

    async def sign_parts(
        self, principal: Principal, key: str, upload_id: str, numbers: list[int]
    ) -> SignedParts:
        """PUT URLs for parts of a pending multipart upload, up to the last part a file within its
        limit can need; an upload token's upload is listed first (one ListParts), and aborted once
        storage holds more than its limit."""
        if bad := [n for n in numbers if not 1 <= n <= MAX_PARTS]:
            raise InvalidInput(f"part numbers are 1 to {MAX_PARTS}, not {bad[0]}")
        asset = await self.pending(principal, key, upload_id)
        assert asset.upload_id is not None
        limit = self.uploads.limit_of(asset)
        if asset.upload_token_id is not None:
            stored = await self.storage.list_parts(asset.storage_key, asset.upload_id) or []
            held = sum(part.size for part in stored)
            if held > limit:
                await self.uploads.refuse(
                    asset, f"storage holds {held} bytes of parts, over the upload's limit of {limit} bytes"
                )
        cap = part_cap(limit)
        if over := [n for n in numbers if n > cap]:
            await self.uploads.refuse(
                asset,
                f"part {over[0]} is past part {cap}, the last a file of at most {limit} bytes needs"
                f" (parts but the last hold at least {MIN_PART} bytes)",
            )
        await db.touch_pending(self.resources.pool, asset.id)  # in progress: not for the reconciler to end
        ttl = self._ttl(principal)
        puts = [
            self.storage.presign_part(asset.storage_key, asset.upload_id, n, expires=ttl) for n in numbers
        ]
        return SignedParts(puts=puts, expires_in=ttl)

    def _ttl(self, principal: Principal) -> int:
        """How long what is signed now may live: ``DAM_PRESIGN_TTL``, never past an upload token."""
        until = principal.limits.expires_at if principal.limits is not None else None
        return signing_ttl(self.resources.settings.s3.presign_ttl, until, time.time())

    async def stored_parts(self, principal: Principal, key: str, upload_id: str) -> list[StoredPart]:
        """The parts storage holds for the upload (none if storage no longer knows it)."""
        asset = await self.pending(principal, key, upload_id)
        assert asset.upload_id is not None
        return await self.storage.list_parts(asset.storage_key, asset.upload_id) or []

    async def complete(
        self, principal: Principal, key: str, upload_id: str, parts: list[PartDone]
    ) -> Completion:
        """Complete the multipart upload with the client's parts, as ``complete`` does."""
        asset = await self._by_key(principal, key)
        if asset.upload_id != upload_id and asset.status is AssetStatus.PENDING_UPLOAD:
            raise NotFound(f"no upload {upload_id[:64]!r} for {key[:300]!r}")
        return await self.uploads.complete(asset.id, parts, principal)

    async def abort(self, principal: Principal, key: str, upload_id: str) -> uuid.UUID:
        """The asset of a pending upload the client gives up (the caller deletes it)."""
        return (await self.pending(principal, key, upload_id)).id

    async def pending(self, principal: Principal, key: str, upload_id: str) -> Asset:
        """The pending asset of ``key`` whose multipart upload is ``upload_id``, if the principal
        may go on with it."""
        asset = await self._by_key(principal, key)
        if asset.upload_id != upload_id:
            raise NotFound(f"no upload {upload_id[:64]!r} for {key[:300]!r}")
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"asset is {asset.status.value}; its upload is over")
        return asset

    async def _by_key(self, principal: Principal, key: str) -> Asset:
        missing = NotFound(f"no asset has the key {key[:300]!r}")
        asset_id = validation.asset_of_key(key)
        if asset_id is None:
            raise missing
        try:
            asset = await scoped.uploadable(self.resources.pool, asset_id, principal)
        except NotFound:
            raise missing from None
        if asset.storage_key != key or asset.status is AssetStatus.DELETED:
            raise missing
        return asset
