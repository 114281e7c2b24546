"""Ingest use cases: create, (re)issue upload URLs, complete, read, list, delete.

The API's controllers validate and shape; this module orchestrates database, storage and queue.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from arq.connections import ArqRedis

from dam.api import schemas as s
from dam.db import assets as db
from dam.db.pool import Pool
from dam.domain import uploads, validation
from dam.domain.errors import Conflict, InvalidInput, NotFound, UploadRejected
from dam.domain.status import AssetStatus
from dam.jobs.queue import enqueue_processing
from dam.settings import Settings
from dam.storage.s3 import Storage, StoredPart

log = logging.getLogger(__name__)
_DONE = {AssetStatus.UPLOADED, AssetStatus.PROCESSING, AssetStatus.READY}


class Ingest:
    """The service behind the asset endpoints."""

    def __init__(self, settings: Settings, pool: Pool, storage: Storage, queue: ArqRedis) -> None:
        self.settings = settings
        self.pool = pool
        self.storage = storage
        self.queue = queue

    # -- create ----------------------------------------------------------------------------------

    async def create(self, body: s.CreateAsset) -> s.CreatedAsset:
        """Record a ``pending_upload`` asset and presign its upload."""
        limits = self.settings.upload
        filename = validation.clean_filename(body.filename)
        content_type = validation.clean_content_type(body.content_type, limits.allowed_content_types)
        sha256 = validation.clean_sha256(body.sha256) if body.sha256 is not None else None
        if body.size is not None and body.size > limits.max_upload_bytes:
            raise InvalidInput(f"size {body.size} exceeds the limit of {limits.max_upload_bytes} bytes")
        asset_id = uuid.uuid4()
        key = validation.storage_key(asset_id, filename)
        upload_id = part_size = None
        multipart = uploads.use_multipart(body.size, body.multipart, limits.multipart_threshold)
        checksums = multipart and body.part_checksums
        if multipart:
            part_size = uploads.part_size_for(body.size, limits.part_size)
            upload_id = await self.storage.create_multipart(key, content_type, checksums=checksums)
        new = db.NewAsset(
            id=asset_id, filename=filename, content_type=content_type, size=body.size, sha256=sha256,
            storage_key=key, upload_id=upload_id, part_size=part_size, part_checksums=checksums,
            metadata=body.metadata or {},
        )  # fmt: skip
        try:
            row = await db.insert_asset(self.pool, new)
        except BaseException:
            if upload_id is not None:
                with contextlib.suppress(Exception):
                    await self.storage.abort_multipart(key, upload_id)
            raise
        upload = self._instructions(row, stored=[], requested=None, checksums=None)
        return s.CreatedAsset(**msgspec.structs.asdict(self._out(row, [])), upload=upload)

    # -- upload URLs -----------------------------------------------------------------------------

    async def renew_upload(self, asset_id: uuid.UUID, body: s.RenewUpload | None) -> s.UploadInstructions:
        """Fresh upload URLs; for multipart, the parts storage holds and URLs for the rest."""
        row = await self._pending(asset_id, "upload URLs")
        checksums = _part_checksums(body)
        if row.upload_id is None:
            if body is not None and (body.part_numbers or checksums):
                raise InvalidInput("part_numbers and part_checksums only apply to multipart uploads")
            return self._instructions(row, stored=[], requested=None, checksums=None)
        if checksums and not row.part_checksums:
            raise InvalidInput("part_checksums only applies to assets created with part_checksums: true")
        stored = await self.storage.list_parts(row.storage_key, row.upload_id)
        if stored is None:
            # The upload was aborted or expired in storage: start a new one so the client can go on.
            new_id = await self.storage.create_multipart(
                row.storage_key, row.content_type, checksums=row.part_checksums
            )
            replaced = await db.replace_upload_id(self.pool, asset_id, row.upload_id, new_id)
            if replaced is None:
                await self.storage.abort_multipart(row.storage_key, new_id)
                raise Conflict("the asset changed while renewing its upload; retry")
            row, stored = replaced, []
        requested = sorted(checksums) if checksums else (body.part_numbers if body else None)
        return self._instructions(row, stored=stored, requested=requested, checksums=checksums)

    def _instructions(
        self,
        row: db.AssetRow,
        *,
        stored: list[StoredPart],
        requested: list[int] | None,
        checksums: dict[int, str] | None,
    ) -> s.UploadInstructions:
        expires_at = datetime.now(UTC) + timedelta(seconds=self.settings.s3.presign_ttl)
        if row.upload_id is None:
            put = self.storage.presign_put(
                row.storage_key, content_type=row.content_type, size=row.size, sha256_hex=row.sha256
            )
            return s.SingleUpload(url=put.url, headers=put.headers, expires_at=expires_at)
        assert row.part_size is not None
        total = uploads.part_count(row.size, row.part_size)
        numbers = uploads.parts_to_presign(total, {p.number for p in stored}, requested)
        if row.part_checksums and not checksums:
            numbers = []  # each part URL must sign its checksum: the client asks with part_checksums
        parts = []
        for n in numbers:
            put = self.storage.presign_part(row.storage_key, row.upload_id, n, (checksums or {}).get(n))
            parts.append(s.PartUrl(number=n, url=put.url, headers=put.headers))
        return s.MultipartUpload(
            upload_id=row.upload_id,
            part_size=row.part_size,
            part_count=total,
            part_checksums=row.part_checksums,
            parts=parts,
            uploaded_parts=[s.StoredPartOut(number=p.number, etag=p.etag, size=p.size) for p in stored],
            expires_at=expires_at,
        )

    # -- complete --------------------------------------------------------------------------------

    async def complete(
        self, asset_id: uuid.UUID, body: s.CompleteUpload | None, *, strict_enqueue: bool = False
    ) -> s.AssetOut:
        """Check the stored object and hand the asset to processing; repeated calls do nothing more.

        ``strict_enqueue`` lets an enqueue failure propagate (the event bridge must not acknowledge
        an event whose job was not queued); the API instead leaves that to the reconciler.
        """
        row = await self._get(asset_id)
        if row.status is AssetStatus.UPLOADED:
            # Uploaded but maybe never queued (Redis was down): the same job id makes this a no-op
            # when the job exists.
            await self._hand_over(row, strict=strict_enqueue)
        if row.status in _DONE:
            return await self.read(asset_id)
        if row.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"asset is {row.status.value}; only a pending upload can be completed")
        if row.upload_id is not None:
            await self._complete_multipart(row, body)
        elif body is not None and body.parts:
            raise InvalidInput("parts only applies to multipart uploads")
        info = await self.storage.head(row.storage_key)
        if info is None:
            raise Conflict("no object in storage yet: upload the bytes before completing")
        limit = self.settings.upload.max_upload_bytes
        if info.size > limit:
            await self.storage.delete(row.storage_key)
            reason = f"object of {info.size} bytes exceeds the limit of {limit} bytes and was deleted"
            await db.transition(self.pool, asset_id, AssetStatus.FAILED, error=reason)
            raise UploadRejected(reason, status_code=422)
        if row.size is not None and info.size != row.size:
            raise UploadRejected(
                f"stored object has {info.size} bytes but {row.size} were declared; upload it again"
            )
        updated = await db.mark_uploaded(self.pool, asset_id, etag=info.etag, stored_size=info.size)
        if updated is not None:
            await self._hand_over(updated, strict=strict_enqueue)
        return await self.read(asset_id)

    async def _complete_multipart(self, row: db.AssetRow, body: s.CompleteUpload | None) -> None:
        assert row.upload_id is not None
        if body is not None and body.parts:
            numbers = [p.number for p in body.parts]
            if len(set(numbers)) != len(numbers):
                raise InvalidInput("parts lists a part number more than once")
            parts = [(p.number, p.etag, p.checksum_sha256) for p in body.parts]
            if row.part_checksums and any(p.checksum_sha256 is None for p in body.parts):
                raise InvalidInput("this upload has part checksums: give checksum_sha256 for every part")
        else:
            if row.part_checksums:
                raise InvalidInput(
                    "this upload has part checksums: list the parts with their checksum_sha256"
                )
            stored = await self.storage.list_parts(row.storage_key, row.upload_id)
            parts = [(p.number, p.etag, None) for p in stored or []]
            if not parts:
                raise Conflict("no parts in storage yet: upload the parts before completing")
        try:
            await self.storage.complete_multipart(row.storage_key, row.upload_id, parts)
        except Conflict:
            # A concurrent complete may have assembled the object already; the HEAD below decides.
            if await self.storage.head(row.storage_key) is None:
                raise

    async def _hand_over(self, row: db.AssetRow, *, strict: bool = False) -> None:
        """The processing hook: enqueue once per (asset, etag); the reconciler covers a Redis outage."""
        assert row.etag is not None
        try:
            await enqueue_processing(self.queue, row.id, row.etag)
        except Exception:
            if strict:
                raise
            log.exception("could not enqueue processing of %s; the reconciler will retry", row.id)

    async def reprocess(self, asset_id: uuid.UUID) -> s.AssetOut:
        """Run the pipeline again for a ``ready`` or ``failed`` asset."""
        row = await self._get(asset_id)
        if row.status not in {AssetStatus.READY, AssetStatus.FAILED}:
            raise Conflict(f"asset is {row.status.value}; only ready or failed assets can be reprocessed")
        if row.etag is None:
            raise Conflict("nothing was uploaded for this asset; upload it again as a new asset")
        moved = await db.transition(self.pool, asset_id, AssetStatus.UPLOADED)
        if moved is None:
            raise Conflict("the asset changed meanwhile; retry")
        # The earlier job's result still holds its id: a new id per reprocess request.
        await enqueue_processing(
            self.queue, row.id, row.etag, rerun=f"re:{int(moved.updated_at.timestamp() * 1000)}"
        )
        return await self.read(asset_id)

    # -- read ------------------------------------------------------------------------------------

    async def read(self, asset_id: uuid.UUID) -> s.AssetOut:
        """One asset with renditions and a download URL."""
        row = await self._get(asset_id)
        renditions = await db.list_renditions(self.pool, [row.id])
        return self._out(row, renditions)

    async def page(
        self,
        *,
        status: AssetStatus | None,
        content_type: str | None,
        limit: int,
        cursor: str | None,
        sha256: str | None = None,
    ) -> s.AssetPage:
        """A page of assets, newest first."""
        after = decode_cursor(cursor) if cursor else None
        digest = validation.clean_sha256(sha256) if sha256 is not None else None
        rows = await db.list_assets(
            self.pool, status=status, content_type=content_type, limit=limit + 1, after=after, sha256=digest
        )
        page, more = rows[:limit], len(rows) > limit
        by_asset: dict[uuid.UUID, list[db.RenditionRow]] = {}
        for rendition in await db.list_renditions(self.pool, [r.id for r in page]):
            by_asset.setdefault(rendition.asset_id, []).append(rendition)
        return s.AssetPage(
            items=[self._out(r, by_asset.get(r.id, [])) for r in page],
            next_cursor=encode_cursor(page[-1]) if more else None,
        )

    def _out(self, row: db.AssetRow, renditions: list[db.RenditionRow]) -> s.AssetOut:
        live = row.status is not AssetStatus.DELETED
        has_object = live and row.status is not AssetStatus.PENDING_UPLOAD
        return s.AssetOut(
            id=row.id, status=row.status, filename=row.filename, content_type=row.content_type,
            size=row.size, sha256=row.sha256, storage_path=row.storage_key, metadata=row.metadata,
            media=row.media, error=row.error, etag=row.etag, stored_size=row.stored_size,
            created_at=row.created_at, updated_at=row.updated_at, uploaded_at=row.uploaded_at,
            renditions=[
                s.RenditionOut(
                    kind=r.kind, content_type=r.content_type, width=r.width, height=r.height,
                    bytes=r.bytes, url=self.storage.presign_get(r.storage_key),
                )
                for r in renditions
                if live
            ],
            download_url=self.storage.presign_get(row.storage_key) if has_object else None,
        )  # fmt: skip

    # -- delete ----------------------------------------------------------------------------------

    async def delete(self, asset_id: uuid.UUID) -> None:
        """Remove the original and renditions from storage, then mark the asset deleted."""
        row = await self._get(asset_id)
        if row.status is AssetStatus.DELETED:
            return
        if row.upload_id is not None:
            await self.storage.abort_multipart(row.storage_key, row.upload_id)
        await self.storage.delete(row.storage_key)
        await self.storage.delete_prefix(validation.rendition_prefix(row.id))
        await db.transition(self.pool, asset_id, AssetStatus.DELETED)

    # -- helpers ---------------------------------------------------------------------------------

    async def _get(self, asset_id: uuid.UUID) -> db.AssetRow:
        row = await db.get_asset(self.pool, asset_id)
        if row is None:
            raise NotFound(f"asset {asset_id} not found")
        return row

    async def _pending(self, asset_id: uuid.UUID, what: str) -> db.AssetRow:
        row = await self._get(asset_id)
        if row.status is not AssetStatus.PENDING_UPLOAD:
            raise Conflict(f"asset is {row.status.value}; {what} are only issued while pending_upload")
        return row


def encode_cursor(row: db.AssetRow) -> str:
    """Opaque cursor: the last item's (created_at, id)."""
    raw = f"{row.created_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """Inverse of ``encode_cursor``; a malformed cursor is the client's error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        created = datetime.fromisoformat(stamp)
        if created.tzinfo is None:
            raise ValueError("naive timestamp")
        return created, uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API issued") from None


def _part_checksums(body: s.RenewUpload | None) -> dict[int, str] | None:
    """``{"3": "<b64>"}`` from the request as ``{3: "<b64>"}``; a key that is not a part number is refused."""
    if body is None or not body.part_checksums:
        return None
    try:
        return {int(number): checksum for number, checksum in body.part_checksums.items()}
    except ValueError:
        raise InvalidInput("part_checksums keys must be part numbers") from None
