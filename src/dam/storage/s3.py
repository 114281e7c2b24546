"""Object storage operations. Presigning is local and cheap; everything else is an S3 call."""

from __future__ import annotations

import base64
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aioboto3
import httpx
import msgspec
from aiobotocore.config import AioConfig
from botocore.exceptions import BotoCoreError, ClientError

from dam.domain.errors import Conflict, StorageUnavailable, UploadRejected
from dam.domain.uploads import StoredPart
from dam.outages import Outage
from dam.settings import S3Settings
from dam.storage.direct import Direct
from dam.storage.sigv4 import SigV4Presigner

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_s3.type_defs import CompletedPartTypeDef, CORSRuleTypeDef, LifecycleRuleTypeDef

log = logging.getLogger(__name__)


class ObjectInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What a HEAD tells about a stored object."""

    size: int
    etag: str
    content_type: str | None


class PresignedPut(msgspec.Struct, frozen=True, kw_only=True):
    """A single-request upload: the URL and the headers its signature covers."""

    url: str
    headers: dict[str, str]


class PresignedPost(msgspec.Struct, frozen=True, kw_only=True):
    """A browser form upload: POST ``fields`` and then the file to ``url``."""

    url: str
    fields: dict[str, str]


STORAGE = Outage("object storage")
# The bucket's lifecycle rule for uploads nobody finishes (a page closed mid-upload, a token's upload
# past its limit): the store aborts them, and frees their parts, a day after they began.
ABORT_RULE: LifecycleRuleTypeDef = {
    "ID": "dam-abort-incomplete-multipart-uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
}
_IMMUTABLE = "public, max-age=31536000, immutable"  # what renditions are stored with
_MISSING = {"404", "NoSuchKey", "NotFound"}
_SIGV4_MAX_EXPIRES = 7 * 24 * 3600  # the longest a SigV4 query signature may live
_CLIENT_FAULT_PARTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def _translate(action: str) -> Any:
    """Turn transport faults and 5xx answers into StorageUnavailable; leave 4xx to the caller."""
    try:
        yield
    except ClientError as exc:
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if status >= 500:
            STORAGE.failed(f"{status} {_code(exc)} to {action}")
            raise StorageUnavailable(f"object storage failed to {action}: {_code(exc)}") from exc
        STORAGE.answered()
        raise
    except BotoCoreError as exc:
        STORAGE.failed(exc)
        raise StorageUnavailable(f"object storage unreachable while trying to {action}: {exc}") from exc
    STORAGE.answered()


class Storage:
    """One bucket: local presigning plus the S3 calls the service makes."""

    def __init__(self, settings: S3Settings, client: S3Client, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self._client = client
        self._signer = SigV4Presigner(
            endpoint_url=settings.client_url,
            region=settings.region,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
        )
        # Workers read objects from inside the deployment: sign for the endpoint the service uses
        # (``minio:9000`` in compose), not the one browsers use (``localhost:9000``).
        self._internal_signer = SigV4Presigner(
            endpoint_url=settings.endpoint_url,
            region=settings.region,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
        )
        # The calls made for every asset go without botocore when an HTTP client is given.
        self._direct = Direct(self._internal_signer, self.bucket, http, STORAGE) if http else None

    # -- presigning (no I/O) -------------------------------------------------------------------

    def presign_put(
        self, key: str, *, content_type: str, size: int | None, sha256_hex: str | None
    ) -> PresignedPut:
        """A PUT URL; the signature covers the type, and the length and checksum when declared.

        The headers to send leave ``Content-Length`` out: browsers refuse to set it (they send the
        body's own length, which the signature still holds to the declared size)."""
        headers = {"Content-Type": content_type}
        if sha256_hex is not None:
            headers["x-amz-checksum-sha256"] = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
        signed = {**headers, "Content-Length": str(size)} if size is not None else headers
        url = self._signer.presign("PUT", self.bucket, key, expires=self.settings.presign_ttl, headers=signed)
        return PresignedPut(url=url, headers=headers)

    def presign_post(
        self, key: str, *, content_type: str, max_bytes: int, expires: int | None = None
    ) -> PresignedPost:
        """A POST-policy form upload: key and type fixed, at most ``max_bytes``, short-lived (for
        ``expires`` seconds when given, at most ``DAM_PRESIGN_TTL``)."""
        url, fields = self._signer.post_policy(
            self.bucket,
            key,
            content_type=content_type,
            max_bytes=max_bytes,
            expires=self._upload_ttl(expires),
        )
        return PresignedPost(url=url, fields=fields)

    def presign_part(
        self,
        key: str,
        upload_id: str,
        number: int,
        checksum: str | None = None,
        *,
        expires: int | None = None,
    ) -> PresignedPut:
        """A PUT URL for one part; with ``checksum`` (base64 SHA-256) storage verifies the bytes.
        ``expires`` shortens its life below ``DAM_PRESIGN_TTL``."""
        headers = {"x-amz-checksum-sha256": checksum} if checksum else {}
        url = self._signer.presign(
            "PUT",
            self.bucket,
            key,
            expires=self._upload_ttl(expires),
            query={"uploadId": upload_id, "partNumber": str(number)},  # botocore's order
            headers=headers,
        )
        return PresignedPut(url=url, headers=headers)

    def _upload_ttl(self, expires: int | None) -> int:
        ttl = self.settings.presign_ttl
        return ttl if expires is None else max(1, min(expires, ttl))

    def presign_get(
        self, key: str, *, internal: bool = False, expires: int | None = None, disposition: str | None = None
    ) -> str:
        """A GET URL for a stored object, for clients (default) or for the service's own reads;
        ``expires`` shortens its life below ``DAM_PRESIGN_GET_TTL``, ``disposition`` is the
        ``Content-Disposition`` the store answers with.

        A client URL of the default lifetime is cacheable: signed at the start of the current
        ``DAM_PRESIGN_GET_WINDOW`` and valid ``DAM_PRESIGN_GET_TTL`` past its end, it is the same
        URL for every read within the window (at least the TTL left whenever it is handed out)."""
        settings = self.settings
        query = {"response-content-disposition": disposition} if disposition else None
        if internal:
            return self._internal_signer.presign(
                "GET", self.bucket, key, expires=settings.presign_get_ttl, query=query
            )
        if expires is None and settings.presign_get_window:
            window = settings.presign_get_window
            start = int(time.time()) // window * window
            return self._signer.presign(
                "GET", self.bucket, key, query=query,
                expires=min(window + settings.presign_get_ttl, _SIGV4_MAX_EXPIRES),
                now=datetime.fromtimestamp(start, UTC),
            )  # fmt: skip
        ttl = settings.presign_get_ttl if expires is None else max(1, min(expires, settings.presign_get_ttl))
        return self._signer.presign("GET", self.bucket, key, expires=ttl, query=query)

    # -- S3 calls ------------------------------------------------------------------------------

    async def head(self, key: str) -> ObjectInfo | None:
        """Size, ETag and type of an object; None when it does not exist."""
        if self._direct is not None:
            headers = await self._direct.head(key)
            if headers is None:
                return None
            return ObjectInfo(
                size=int(headers["Content-Length"]),
                etag=headers.get("ETag", "").strip('"'),
                content_type=headers.get("Content-Type"),
            )
        try:
            with _translate("read object metadata"):
                reply = await self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return ObjectInfo(
            size=int(reply["ContentLength"]),
            etag=str(reply["ETag"]).strip('"'),
            content_type=reply.get("ContentType"),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store a small object (a rendition)."""
        if self._direct is not None:
            headers = {"Content-Type": content_type, "Cache-Control": _IMMUTABLE}
            await self._direct.put(key, data, headers)
            return
        with _translate("store an object"):
            await self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                CacheControl=_IMMUTABLE,
            )  # fmt: skip

    async def put_file(self, key: str, path: str, content_type: str) -> None:
        """Store a large object from a local file, in parts (a rendition too big for memory)."""
        with _translate("store an object"):
            extra = {"ContentType": content_type, "CacheControl": _IMMUTABLE}
            await self._client.upload_file(path, self.bucket, key, ExtraArgs=extra)

    async def create_multipart(self, key: str, content_type: str, *, checksums: bool = False) -> str:
        """Start a multipart upload (with per-part SHA-256 checksums if asked); returns its upload id."""
        with _translate("start a multipart upload"):
            if checksums:
                reply = await self._client.create_multipart_upload(
                    Bucket=self.bucket, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
                )
            else:
                reply = await self._client.create_multipart_upload(
                    Bucket=self.bucket, Key=key, ContentType=content_type
                )
        return reply["UploadId"]

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart] | None:
        """Parts already stored for an upload; None when the upload no longer exists."""
        parts: list[StoredPart] = []
        marker = 0
        while True:
            try:
                with _translate("list uploaded parts"):
                    reply = await self._client.list_parts(
                        Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
                    )
            except ClientError as exc:
                if _code(exc) == "NoSuchUpload":
                    return None
                raise
            for part in reply.get("Parts", []):
                parts.append(
                    StoredPart(
                        number=int(part["PartNumber"]),
                        etag=str(part["ETag"]).strip('"'),
                        size=int(part["Size"]),
                    )
                )
            if not reply.get("IsTruncated"):
                return parts
            marker = int(reply["NextPartNumberMarker"])

    async def complete_multipart(
        self, key: str, upload_id: str, parts: Iterable[tuple[int, str, str | None]]
    ) -> None:
        """Assemble the object from its parts (number, ETag, base64 SHA-256 or None)."""
        ordered: list[CompletedPartTypeDef] = []
        for number, etag, checksum in sorted(parts):
            part: CompletedPartTypeDef = {"PartNumber": number, "ETag": f'"{etag.strip(chr(34))}"'}
            if checksum:
                part["ChecksumSHA256"] = checksum
            ordered.append(part)
        try:
            with _translate("complete the multipart upload"):
                await self._client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": ordered}
                )
        except ClientError as exc:
            code = _code(exc)
            if code == "NoSuchUpload":
                raise Conflict("the multipart upload no longer exists in storage") from exc
            if code in _CLIENT_FAULT_PARTS:
                message = exc.response.get("Error", {}).get("Message", code)
                raise UploadRejected(f"storage refused the parts list: {code}: {message}") from exc
            raise

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort an unfinished upload; an upload already gone (or its whole bucket) is fine."""
        try:
            with _translate("abort the multipart upload"):
                await self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as exc:
            if _code(exc) not in {"NoSuchUpload", "NoSuchBucket", *_MISSING}:
                raise

    async def delete(self, key: str) -> None:
        """Delete one object (absent is fine, as in S3)."""
        with _translate("delete an object"):
            await self._client.delete_object(Bucket=self.bucket, Key=key)

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under a prefix; returns how many were deleted."""
        deleted = 0
        async for keys in self._keys(prefix):
            with _translate("delete objects"):
                await self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
                )
            deleted += len(keys)
        return deleted

    async def _keys(self, prefix: str) -> AsyncIterator[list[str]]:
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                kwargs["ContinuationToken"] = token
            with _translate("list objects"):
                reply = await self._client.list_objects_v2(**kwargs)
            keys = [str(item["Key"]) for item in reply.get("Contents", [])]
            if keys:
                yield keys
            if not reply.get("IsTruncated"):
                return
            token = str(reply["NextContinuationToken"])

    async def ping(self) -> None:
        """Check the bucket answers."""
        with _translate("reach the bucket"):
            await self._client.head_bucket(Bucket=self.bucket)

    async def ensure_bucket(self, cors_origins: tuple[str, ...], *, any_origin_reads: bool = False) -> None:
        """Create the bucket if missing and apply browser CORS rules where the store supports them
        (``any_origin_reads``: GET and HEAD from any origin too, as players following the stream's
        302 send ``Origin: null``; the objects still need a presigned URL)."""
        try:
            with _translate("reach the bucket"):
                await self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in {"404", "NoSuchBucket", "NotFound"}:
                raise
            with _translate("create the bucket"):
                await self._client.create_bucket(Bucket=self.bucket)
            log.info("created bucket %s", self.bucket)
        await self._apply_cors(cors_origins, any_origin_reads)
        await self._apply_lifecycle()

    async def _apply_lifecycle(self) -> None:
        """Have the store abort multipart uploads left incomplete for a day (``ABORT_RULE``), beside
        any rules of the bucket's own; a store that answers NotImplemented (or refuses the rule) is
        logged and left as it is: the reconciler still aborts the service's own expired uploads."""
        try:
            try:
                reply = await self._client.get_bucket_lifecycle_configuration(Bucket=self.bucket)
                rules: list[Any] = list(reply.get("Rules", []))
            except ClientError as exc:
                if _code(exc) != "NoSuchLifecycleConfiguration":
                    raise
                rules = []
            if ABORT_RULE in rules:
                return
            others = [rule for rule in rules if rule.get("ID") != ABORT_RULE["ID"]]
            await self._client.put_bucket_lifecycle_configuration(
                Bucket=self.bucket, LifecycleConfiguration={"Rules": [*others, ABORT_RULE]}
            )
        except (ClientError, BotoCoreError) as exc:
            log.warning(
                "bucket lifecycle rule not applied (%s): the store will not abort incomplete multipart"
                " uploads after a day by itself; configure that on the store",
                _code(exc) if isinstance(exc, ClientError) else exc,
            )
        else:
            log.info("bucket %s aborts multipart uploads left incomplete for a day", self.bucket)

    async def _apply_cors(self, origins: tuple[str, ...], any_origin_reads: bool) -> None:
        rules: list[CORSRuleTypeDef] = [
            {
                "AllowedOrigins": list(origins),
                "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag", "Content-Length", "Content-Range", "x-amz-checksum-sha256"],
                "MaxAgeSeconds": 3600,
            }
        ]
        if any_origin_reads:
            rules.append({
                "AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
                "ExposeHeaders": ["Content-Length", "Content-Range", "ETag"], "MaxAgeSeconds": 3600,
            })  # fmt: skip
        try:
            with _translate("set bucket CORS"):
                await self._client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": rules})
        except (ClientError, StorageUnavailable) as exc:
            # MinIO's community edition answers NotImplemented and uses MINIO_API_CORS_ALLOW_ORIGIN.
            log.warning(
                "bucket CORS not applied (%s); configure the store's own CORS setting for %s",
                _code(exc.__cause__) if isinstance(exc.__cause__, ClientError) else exc,
                ", ".join(origins),
            )
        else:
            log.info("bucket %s allows browser uploads from %s", self.bucket, ", ".join(origins))


def client_config() -> AioConfig:
    """botocore settings for the store: path-style, bounded retries and timeouts."""
    return AioConfig(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


@contextlib.asynccontextmanager
async def open_storage(settings: S3Settings) -> AsyncIterator[Storage]:
    """Open the process's S3 client and wrap it."""
    session = aioboto3.Session()
    async with (
        session.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            config=client_config(),
        ) as client,
        httpx.AsyncClient(timeout=httpx.Timeout(30, connect=5)) as http,
    ):
        yield Storage(settings, client, http)
