"""SigV4 query-string presigning for S3 path-style URLs, with the signing key cached per day.

botocore's ``generate_presigned_url`` resolves the endpoint and rebuilds a request for every URL
(~400 µs, on the event loop). The URL itself is a few HMACs: this signer produces the same bytes as
botocore for the same inputs and time, at a small fraction of the cost.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

_ALGORITHM = "AWS4-HMAC-SHA256"
_UNSIGNED = "UNSIGNED-PAYLOAD"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _enc(value: str) -> str:
    """RFC 3986 encoding, as SigV4 (and botocore's percent_encode) does it."""
    return quote(value, safe="-_.~")


class SigV4Presigner:
    """Presigns S3 requests with SigV4 query parameters, signing key cached per day."""

    def __init__(
        self, *, endpoint_url: str, region: str, access_key: str, secret_key: str, service: str = "s3"
    ) -> None:
        parts = urlsplit(endpoint_url.rstrip("/"))
        self._base_origin = f"{parts.scheme}://{parts.netloc}"
        self._base_path = parts.path
        # botocore signs the host without a default port, and without any userinfo.
        if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
            self._host = parts.hostname or ""
        else:
            self._host = parts.netloc.rpartition("@")[2]
        self._region = region
        self._service = service
        self._access_key = access_key
        self._secret = ("AWS4" + secret_key).encode()
        self._key_day = ""
        self._key = b""

    def _signing_key(self, day: str) -> bytes:
        if day != self._key_day:
            key = self._secret
            for part in (day, self._region, self._service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._key, self._key_day = key, day
        return self._key

    def presign(
        self,
        method: str,
        bucket: str,
        key: str,
        *,
        expires: int,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> str:
        """A presigned URL; the client must send exactly ``headers`` with it."""
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        stamp = moment.strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        signed = {"host": self._host}
        for name, value in (headers or {}).items():
            signed[name.lower()] = " ".join(value.split())
        names = sorted(signed)
        signed_headers = ";".join(names)
        scope = f"{day}/{self._region}/{self._service}/aws4_request"
        # Operation parameters first, then the auth parameters, each in botocore's order.
        pairs = [(_enc(k), _enc(v)) for k, v in (query or {}).items()]
        pairs += [
            ("X-Amz-Algorithm", _ALGORITHM),
            ("X-Amz-Credential", _enc(f"{self._access_key}/{scope}")),
            ("X-Amz-Date", stamp),
            ("X-Amz-Expires", str(int(expires))),
            ("X-Amz-SignedHeaders", _enc(signed_headers)),
        ]
        query_string = "&".join(f"{k}={v}" for k, v in pairs)
        # S3 paths are signed as sent, not normalised: the key keeps '/' and '~' as they are.
        path = f"{self._base_path}/{quote(bucket, safe='')}/{quote(key, safe='/~')}"
        canonical = "\n".join(
            (
                method.upper(),
                path,
                "&".join(f"{k}={v}" for k, v in sorted(pairs)),
                "".join(f"{n}:{signed[n]}\n" for n in names),
                signed_headers,
                _UNSIGNED,
            )
        )
        to_sign = f"{_ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self._base_origin}{path}?{query_string}&X-Amz-Signature={signature}"
