"""Upload use cases: create an asset and presign its upload, re-issue URLs (resume), complete."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import msgspec

from dam.db import assets as db
from dam.db import tags as tag_rows
from dam.db import webhooks as webhook_rows
from dam.domain import audit, uploads, validation
from dam.domain import metadata as meta_rules
from dam.domain import schema as schema_rules
from dam.domain.access import Principal, Scope, require
from dam.domain.assets import Asset, NewAsset
from dam.domain.audit import Action
from dam.domain.errors import Conflict, InvalidInput, UploadRejected
from dam.domain.metadata import Edit, Editable
from dam.domain.status import AssetStatus
from dam.domain.steps import FIRST, StepState
from dam.domain.uploads import MultipartUpload, PartUrl, SingleUpload, StoredPart, UploadInstructions
from dam.resources import Resources
from dam.services import scoped
from dam.services.processing import Processing
from dam.services.schema import recent_schema_of
from dam.services.tags import retag
from dam.services.unit import unit
from dam.services.upload_tokens import UploadTokens
from dam.services.webhooks import emit_asset
from dam.storage.s3 import ObjectInfo

log = logging.getLogger(__name__)
_DONE = {AssetStatus.UPLOADED, AssetStatus.PROCESSING, AssetStatus.READY}
ASSEMBLY_WAIT = 10.0
"""Seconds a ``complete`` that finds the multipart upload gone waits for another caller's
assembly to show the object, before answering that nothing was uploaded."""


CREATED = "asset.created"


class Draft(msgspec.Struct, frozen=True, kw_only=True):
    """What a client says about a file it is about to upload."""

    filename: str
    content_type: str
    size: int | None = None
    sha256: str | None = None
    metadata: dict[str, Any] | None = None
    multipart: bool = False
    part_checksums: bool = False
    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None


class PartDone(msgspec.Struct, frozen=True, kw_only=True):
    """An uploaded part as the client reports it."""

    number: int
    etag: str
    checksum_sha256: str | None = None


class Completion(msgspec.Struct, frozen=True, kw_only=True):
    """The asset after ``complete``; its processing is durably queued: in Redis, or, while Redis
    is down, in the outbox (``complete`` raises ``QueueUnavailable`` when it could be neither)."""

    asset: Asset


class Uploads:
    """Creating assets and getting their bytes into storage."""

    def __init__(self, resources: Resources) -> None:
        self.settings = resources.settings
        self.pool = resources.pool
        self.storage = resources.storage
        self.processing = Processing(resources)
        self.tokens = UploadTokens(resources)

    async def create(self, principal: Principal, draft: Draft) -> tuple[Asset, UploadInstructions]:
        """Record a ``pending_upload`` asset in the principal's workspace and presign its upload."""
        asset = await self.record(principal, draft)
        return asset, self._instructions(asset, stored=[], requested=None, checksums=None)

    async def record(self, principal: Principal, draft: Draft) -> Asset:
        """Check a draft and record its ``pending_upload`` asset (with its multipart upload, if any),
        within the deployment's limits and the principal's (an upload token's rate per address,
        types, size per file, files in all and bytes in all)."""
        require(principal, Scope.UPLOAD)
        assert principal.workspace_id is not None
        if principal.kind == "upload_token":
            await self.tokens.check_rate(principal)
        limits = self.settings.upload
        token = principal.limits
        filename = validation.clean_filename(draft.filename)
        content_type = validation.clean_content_type(draft.content_type, limits.allowed_content_types)
        if token is not None and token.content_types is not None:
            content_type = validation.clean_content_type(content_type, token.content_types)
        sha256 = validation.clean_sha256(draft.sha256) if draft.sha256 is not None else None
        max_bytes = (
            min(limits.max_upload_bytes, token.max_bytes or limits.max_upload_bytes) if token else None
        )
        limit = max_bytes or limits.max_upload_bytes
        if draft.size is not None and draft.size > limit:
            raise InvalidInput(f"size {draft.size} exceeds the limit of {limit} bytes")
        metadata = meta_rules.check(validation.clean_metadata(draft.metadata or {}))
        described = meta_rules.apply(
            Editable(title=None, description=None, tags=[], metadata=metadata),
            Edit(title=draft.title, description=draft.description, tags=draft.tags or []),
        )
        schema_rules.validate(await recent_schema_of(self.pool, principal.workspace_id), metadata)
        if principal.token_id is not None:
            # One of the token's files; what is left of its total bytes caps this one too.
            taken = await self.tokens.take_file(principal.token_id)
            if taken.bytes_left is not None and max_bytes is not None:
                max_bytes = min(max_bytes, taken.bytes_left)
        try:
            return await self._insert(principal, draft, filename, content_type, sha256, described, max_bytes)
        except BaseException:
            if principal.token_id is not None:
                await self.tokens.give_back(principal.token_id)
            raise

    async def _insert(
        self,
        principal: Principal,
        draft: Draft,
        filename: str,
        content_type: str,
        sha256: str | None,
        described: Editable,
        max_bytes: int | None,
    ) -> Asset:
        assert principal.workspace_id is not None
        limits = self.settings.upload
        asset_id = uuid.uuid4()
        key = validation.storage_key(asset_id, filename)
        upload_id = part_size = None
        multipart = uploads.use_multipart(draft.size, draft.multipart, limits.multipart_threshold)
        checksums = multipart and draft.part_checksums
        if multipart:
            part_size = uploads.part_size_for(draft.size, limits.part_size)
            upload_id = await self.storage.create_multipart(key, content_type, checksums=checksums)
        new = NewAsset(
            id=asset_id, filename=filename, content_type=content_type, size=draft.size, sha256=sha256,
            storage_key=key, upload_id=upload_id, part_size=part_size, part_checksums=checksums,
            metadata=described.metadata, workspace_id=principal.workspace_id,
            created_by=principal.user_id, created_by_key=principal.key_id, upload_token_id=principal.token_id,
            max_bytes=max_bytes, title=described.title, description=described.description,
        )  # fmt: skip
        try:
            # The hottest write: one statement on a plain connection, unless the asset has tags or
            # an endpoint of the workspace takes asset.created (then its event commits with it).
            hooked = await webhook_rows.subscribed(self.pool, principal.workspace_id, CREATED)
            async with unit(self.pool, one_statement=not described.tags and not hooked) as work:
                work.touched(asset_id)
                if described.tags:
                    await tag_rows.share_lock(work.conn, principal.workspace_id)
                    tags = await retag(work.conn, principal.workspace_id, [], described.tags)
                    new = msgspec.structs.replace(new, tags=tags)
                made = await db.insert_asset(work.conn, new, audit.by(principal, Action.ASSET_CREATE))
                if hooked:
                    await emit_asset(work.conn, CREATED, made)
                return made
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self.storage.abort_multipart(key, upload_id)
            raise

    def limit_of(self, asset: Asset) -> int:
        """The most bytes the asset's object may hold: the deployment's limit, or the tighter one
        its upload token set when the asset was created."""
        deployment = self.settings.upload.max_upload_bytes
        return min(deployment, asset.max_bytes or deployment)

    async def renew(
        self,
        principal: Principal,
        asset_id: uuid.UUID,
        part_numbers: list[int] | None,
        part_checksums: dict[str, str] | None,
    ) -> UploadInstructions:
        """Fresh upload URLs; for multipart, the parts storage holds and URLs for the rest."""
        asset = await self._pending(asset_id, principal)
        checksums = _part_checksums(part_checksums)
        await db.touch_pending(self.pool, asset_id)  # in progress: not for the reconciler to end
        if asset.upload_id is None:
            if part_numbers or checksums:
                raise InvalidInput("part_numbers and part_checksums only apply to multipart uploads")
            return self._instructions(asset, stored=[], requested=None, checksums=None)
        if checksums and not asset.part_checksums:
            raise InvalidInput("part_checksums only applies to assets created with part_checksums: true")
        stored = await self.storage.list_parts(asset.storage_key, asset.upload_id)
        if stored is None:
            # The upload was aborted or expired in storage: start a new one so the client can go on.
            new_id = await self.storage.create_multipart(
                asset.storage_key, asset.content_type, checksums=asset.part_checksums
            )
            replaced = await db.replace_upload_id(self.pool, asset_id, asset.upload_id, new_id)
            if replaced is None:
                await self.storage.abort_multipart(asset.storage_key, new_id)
                raise Conflict("the asset changed while renewing its upload; retry")
            asset, stored = replaced, []
        requested = sorted(checksums) if checksums else part_numbers
        return self._instructions(asset, stored=stored, requested=requested, checksums=checksums)

    def _instructions(
        self,
        asset: Asset,
        *,
        stored: list[StoredPart],
        requested: list[int] | None,
        checksums: dict[int, str] | None,
    ) -> UploadInstructions:
        expires_at = datetime.now(UTC) + timedelta(seconds=self.settings.s3.presign_ttl)
        if asset.upload_id is None:
            put = self.storage.presign_put(
                asset.storage_key, content_type=asset.content_type, size=asset.size, sha256_hex=asset.sha256
            )
            return SingleUpload(url=put.url, headers=put.headers, expires_at=expires_at)
        assert asset.part_size is not None
        total = uploads.part_count(asset.size, asset.part_size)
        numbers = uploads.parts_to_presign(total, {p.number for p in stored}, requested)
        if asset.part_checksums and not checksums:
            numbers = []  # each part URL must sign its checksum: the client asks with part_checksums
        parts = []
        for n in numbers:
            put = self.storage.presign_part(asset.storage_key, asset.upload_id, n, (checksums or {}).get(n))
            parts.append(PartUrl(number=n, url=put.url, headers=put.headers))
        return MultipartUpload(
            upload_id=asset.upload_id, part_size=asset.part_size, part_count=total,
            part_checksums=asset.part_checksums, parts=parts, uploaded_parts=stored, expires_at=expires_at,
        )  # fmt: skip

    async def complete(
        self, asset_id: uuid.UUID, parts: list[PartDone] | None = None, principal: Principal | None = None
    ) -> Completion:
        """Check the stored object and hand the asset to processing; repeated calls do nothing more.
        ``principal`` is who asks (None: the event bridge, the reconciler, the form sweep). An
        upload whose maker may no longer upload, or over its limits, is refused: deleted, and its
        asset failed with the reason."""
        asset = await scoped.uploadable(self.pool, asset_id, principal)
        if asset.status is AssetStatus.UPLOADED:
            # Uploaded but maybe never queued (Redis was down): the same job id makes this a no-op
            # when the job exists.
            await self.processing.hand_over(asset)
            return Completion(asset=asset)
        if asset.status in _DONE:
            return Completion(asset=asset)
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"asset is {asset.status.value}; only a pending upload can be completed")
        if asset.upload_id is not None:
            await self._refuse_if_stopped(asset)  # before the parts become an object
            await self._complete_multipart(asset, parts)
            info = _stored(await self.storage.head(asset.storage_key))
        elif parts:
            raise InvalidInput("parts only applies to multipart uploads")
        else:
            info = await self._stored_unless_stopped(asset)
        updated = await self._accept(asset, info, principal)
        if updated is None:  # another caller completed it first
            return Completion(asset=await scoped.find(self.pool, asset_id, None))
        # Its one planned step, as marking it uploaded left it: no need to read them back.
        await self.processing.hand_over(updated, states={FIRST: StepState.PENDING})
        return Completion(asset=updated)

    async def _stored_unless_stopped(self, asset: Asset) -> ObjectInfo:
        """The stored object of a single-request upload, refused (deleted, the asset failed) when
        whoever made it may no longer upload: the HEAD and the check run together, one round trip
        instead of two; the object must be there (Conflict) before a refusal can delete it."""
        head, refusal = await asyncio.gather(
            self.storage.head(asset.storage_key), db.upload_refusal(self.pool, asset.id),
            return_exceptions=True,
        )  # fmt: skip
        if isinstance(head, BaseException):
            raise head
        info = _stored(head)
        if isinstance(refusal, BaseException):
            raise refusal
        if refusal is not None:
            await self.refuse(asset, f"upload refused: {refusal}")
        return info

    async def _accept(self, asset: Asset, info: ObjectInfo, principal: Principal | None) -> Asset | None:
        """Hold the stored object to the asset's limits and mark it uploaded (its bytes counted
        against the upload token it came with); None when another caller marked it first."""
        limit = self.limit_of(asset)
        if info.size > limit:
            await self.refuse(asset, f"object of {info.size} bytes exceeds the limit of {limit} bytes")
        if asset.size is not None and info.size != asset.size:
            raise UploadRejected(
                f"stored object has {info.size} bytes but {asset.size} were declared; upload it again"
            )
        try:
            async with unit(self.pool) as work:
                moved = await db.mark_uploaded(
                    work.conn, asset.id, etag=info.etag, stored_size=info.size,
                    audit=audit.by(principal, Action.ASSET_COMPLETE, detail={"bytes": info.size}),
                )  # fmt: skip
                if moved is not None:
                    work.touched(asset.id)
                    await emit_asset(work.conn, "asset.uploaded", moved)
            return moved
        except db.OverBudget:
            await self.refuse(
                asset, f"object of {info.size} bytes would take its upload token past its max_total_bytes"
            )

    async def _refuse_if_stopped(self, asset: Asset) -> None:
        """Refuse the upload when whoever made it may no longer upload: its upload token revoked,
        its key revoked, its user removed from the workspace or made a viewer."""
        reason = await db.upload_refusal(self.pool, asset.id)
        if reason is not None:
            await self.refuse(asset, f"upload refused: {reason}")

    async def refuse(self, asset: Asset, reason: str) -> NoReturn:
        """End a pending upload for good: its parts and its object are deleted, the asset fails
        with ``reason``; raises ``UploadRejected``."""
        if asset.upload_id is not None:
            await self.storage.abort_multipart(asset.storage_key, asset.upload_id)
        await self.storage.delete(asset.storage_key)
        reason = f"{reason}; the upload was deleted"
        await self.fail(asset.id, reason)
        raise UploadRejected(reason)

    async def fail(self, asset_id: uuid.UUID, reason: str) -> Asset | None:
        """``pending_upload -> failed`` with ``reason``; None when the asset had moved on."""
        async with unit(self.pool) as work:
            failed = await db.fail_upload(work.conn, asset_id, reason)
            if failed is not None:
                work.touched(asset_id)
                await emit_asset(work.conn, "asset.failed", failed)
        return failed

    async def _complete_multipart(self, asset: Asset, parts: list[PartDone] | None) -> None:
        assert asset.upload_id is not None
        if parts:
            numbers = [p.number for p in parts]
            if len(set(numbers)) != len(numbers):
                raise InvalidInput("parts lists a part number more than once")
            if asset.part_checksums and any(p.checksum_sha256 is None for p in parts):
                raise InvalidInput("this upload has part checksums: give checksum_sha256 for every part")
            listed = [(p.number, p.etag, p.checksum_sha256) for p in parts]
        else:
            if asset.part_checksums:
                raise InvalidInput(
                    "this upload has part checksums: list the parts with their checksum_sha256"
                )
            stored = await self.storage.list_parts(asset.storage_key, asset.upload_id)
            listed = [(p.number, p.etag, None) for p in stored or []]
            if not listed:
                # Gone from storage, or emptied while being assembled: a concurrent complete may
                # have assembled it (a HEAD at once when parts were never listed at all).
                if await self._assembled(asset, wait=stored is None):
                    return
                raise Conflict("no parts in storage yet: upload the parts before completing")
        try:
            await self.storage.complete_multipart(asset.storage_key, asset.upload_id, listed)
        except Conflict:
            # A concurrent complete may have assembled the object already, or be assembling it.
            if not await self._assembled(asset):
                raise

    async def _assembled(self, asset: Asset, *, wait: bool = True) -> bool:
        """Whether the object is (or, within a few seconds, becomes) whole in storage: another
        caller's CompleteMultipartUpload ends the upload before its object can be read."""
        deadline = time.monotonic() + (ASSEMBLY_WAIT if wait else 0)
        delay = 0.05
        while True:
            if await self.storage.head(asset.storage_key) is not None:
                return True
            now = await db.get_asset(self.pool, asset.id)
            if now is not None and now.status is not AssetStatus.PENDING_UPLOAD:
                return True  # another caller completed it (what happens next is its answer's to give)
            if time.monotonic() + delay > deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)

    async def _pending(self, asset_id: uuid.UUID, principal: Principal) -> Asset:
        asset = await scoped.uploadable(self.pool, asset_id, principal)
        if asset.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"asset is {asset.status.value}; upload URLs are only issued while pending_upload")
        return asset


def _stored(info: ObjectInfo | None) -> ObjectInfo:
    if info is None:
        raise Conflict("no object in storage yet: upload the bytes before completing")
    return info


def _part_checksums(raw: dict[str, str] | None) -> dict[int, str] | None:
    """``{"3": "<b64>"}`` from the request as ``{3: "<b64>"}``; a key that is not a part number is refused."""
    if not raw:
        return None
    try:
        return {int(number): checksum for number, checksum in raw.items()}
    except ValueError:
        raise InvalidInput("part_checksums keys must be part numbers") from None
