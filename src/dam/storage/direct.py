"""The S3 calls made on every asset (HEAD of an original, PUT of a rendition) as plain HTTP requests
through URLs our own signer presigns, on one pooled async client: botocore builds, signs and parses
each call in Python (milliseconds of CPU per call); this is one signature and one request."""

from __future__ import annotations

import httpx

from dam.domain.errors import StorageUnavailable
from dam.outages import Outage
from dam.storage.sigv4 import SigV4Presigner

_TTL = 300  # seconds: the URL is used at once


class Direct:
    """HEAD and PUT of single objects of one bucket."""

    def __init__(
        self, signer: SigV4Presigner, bucket: str, client: httpx.AsyncClient, outage: Outage
    ) -> None:
        self._signer = signer
        self._bucket = bucket
        self._client = client
        self._outage = outage

    async def head(self, key: str) -> httpx.Headers | None:
        """The headers a HEAD of the object answered; None when it does not exist."""
        url = self._signer.presign("HEAD", self._bucket, key, expires=_TTL)
        response = await self._send("read object metadata", "HEAD", url, {}, None)
        return None if response.status_code == 404 else response.headers

    async def put(self, key: str, data: bytes, headers: dict[str, str]) -> None:
        """Store a small object with these headers (each covered by the signature)."""
        url = self._signer.presign("PUT", self._bucket, key, expires=_TTL, headers=headers)
        await self._send("store an object", "PUT", url, headers, data)

    async def _send(
        self, action: str, method: str, url: str, headers: dict[str, str], body: bytes | None
    ) -> httpx.Response:
        """One request; StorageUnavailable when the store is unreachable or answers 5xx, OSError
        for another answer than 2xx or a HEAD's 404 (a refused signature: our configuration)."""
        try:
            response = await self._client.request(method, url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            self._outage.failed(exc)
            raise StorageUnavailable(f"object storage unreachable while trying to {action}: {exc}") from exc
        if response.status_code >= 500:
            self._outage.failed(f"{response.status_code} to {action}")
            raise StorageUnavailable(f"object storage failed to {action}: {response.status_code}")
        self._outage.answered()
        if response.status_code >= 300 and not (method == "HEAD" and response.status_code == 404):
            raise OSError(f"object storage answered {response.status_code} when asked to {action}")
        return response
