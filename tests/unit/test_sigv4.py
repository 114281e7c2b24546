"""Our SigV4 presigner produces byte-for-byte the URLs botocore produces, for fixed time and inputs.

The reference is a plain botocore S3 client with ``Config(signature_version="s3v4",
s3={"addressing_style": "path"})`` and its clock (``botocore.auth.get_current_datetime``) frozen.
Flexible checksums do not change presigned URLs: botocore skips its default checksum for presign
requests, so ``request_checksum_calculation`` "when_supported" (the default) and "when_required"
give the same URL (asserted below). An explicit ``ChecksumSHA256`` stays a signed header
(``x-amz-checksum-sha256`` in X-Amz-SignedHeaders), it is not moved into the query string.
"""

from __future__ import annotations

import functools
import hmac
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from unittest import mock

import botocore.session
import pytest
from botocore.config import Config

from dam.storage.sigv4 import SigV4Presigner

NOW = datetime(2026, 11, 24, 12, 34, 56, tzinfo=UTC)
ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CHECKSUM = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
ENDPOINTS = [
    pytest.param("http://127.0.0.1:9000", id="http-port"),
    pytest.param("https://s3.example.com", id="https"),
    pytest.param("https://s3.example.com:443", id="https-default-port"),
    pytest.param("http://localhost:80", id="http-default-port"),
    pytest.param("http://S3.Example.COM:9000", id="mixed-case-host"),
    pytest.param("http://[::1]:9000", id="ipv6"),
]
DISPOSITION = "attachment; filename*=UTF-8''caf%C3%A9 é.jpg"
# (botocore operation, its params, our method, our query, our headers)
CASES = [
    pytest.param("get_object", {"Key": "a/b.jpg"}, "GET", {}, {}, id="get"),
    pytest.param("head_object", {"Key": "k"}, "HEAD", {}, {}, id="head"),
    pytest.param("delete_object", {"Key": "k"}, "DELETE", {}, {}, id="delete"),
    pytest.param(
        "get_object",
        {"Key": "x.jpg", "ResponseContentDisposition": 'attachment; filename="x y.jpg"'},
        "GET", {"response-content-disposition": 'attachment; filename="x y.jpg"'}, {},
        id="get-disposition",
    ),
    pytest.param(
        "get_object",
        {"Key": "x.jpg", "ResponseContentDisposition": DISPOSITION, "ResponseContentType": "image/jpeg"},
        "GET", {"response-content-disposition": DISPOSITION, "response-content-type": "image/jpeg"}, {},
        id="get-disposition-unicode-and-type",
    ),
    pytest.param(
        "put_object", {"Key": "o/1/p q.jpg", "ContentType": "image/jpeg"},
        "PUT", {}, {"Content-Type": "image/jpeg"}, id="put-type",
    ),
    pytest.param(
        "put_object",
        {"Key": "o/1/p.jpg", "ContentType": "image/jpeg", "ContentLength": 123, "ChecksumSHA256": CHECKSUM},
        "PUT", {}, {"Content-Type": "image/jpeg", "Content-Length": "123", "x-amz-checksum-sha256": CHECKSUM},
        id="put-type-length-checksum",
    ),
    pytest.param(
        "upload_part", {"Key": "o/1/big.mp4", "UploadId": "abc/def+=", "PartNumber": 3},
        "PUT", {"uploadId": "abc/def+=", "partNumber": "3"}, {}, id="upload-part",
    ),
    pytest.param(
        "upload_part", {"Key": "o/1/big.mp4", "PartNumber": 3, "UploadId": "u", "ChecksumSHA256": CHECKSUM},
        "PUT", {"partNumber": "3", "uploadId": "u"}, {"x-amz-checksum-sha256": CHECKSUM},
        id="upload-part-checksum",
    ),
    pytest.param("get_object", {"Key": "sp ace/plus+/pct%/tilde~/x"}, "GET", {}, {}, id="key-specials"),
    pytest.param("get_object", {"Key": "日本語/é/ü.mp4"}, "GET", {}, {}, id="key-unicode"),
    pytest.param("get_object", {"Key": "a/b/c/d/e.jpg"}, "GET", {}, {}, id="key-nested"),
    pytest.param("get_object", {"Key": "a//b/./../c"}, "GET", {}, {}, id="key-not-normalised"),
    pytest.param("get_object", {"Key": "q?a=1&b#frag"}, "GET", {}, {}, id="key-query-chars"),
]  # fmt: skip


Checksums = Literal["when_supported", "when_required"]


@functools.cache
def reference_client(endpoint: str, checksums: Checksums) -> Any:
    """A botocore S3 client configured as the reference (cached: building one loads the S3 model)."""
    return botocore.session.get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation=checksums,
        ),
    )


def botocore_url(
    endpoint: str,
    operation: str,
    params: dict[str, Any],
    expires: int = 900,
    now: datetime = NOW,
    checksums: Checksums = "when_supported",
) -> str:
    """The reference: botocore's own presigning, with its clock frozen at ``now``."""
    client = reference_client(endpoint, checksums)
    # botocore's query signer reads its clock only through this name (botocore.compat's, naive UTC).
    with mock.patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        url = client.generate_presigned_url(operation, Params={"Bucket": "dam", **params}, ExpiresIn=expires)
    assert f"X-Amz-Date={now:%Y%m%dT%H%M%SZ}&" in url, "botocore's clock was not frozen"
    return str(url)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(("operation", "params", "method", "query", "headers"), CASES)
def test_matches_botocore_byte_for_byte(
    endpoint: str,
    operation: str,
    params: dict[str, Any],
    method: str,
    query: dict[str, str],
    headers: dict[str, str],
) -> None:
    signer = SigV4Presigner(endpoint_url=endpoint, region="eu-west-1", access_key=ACCESS, secret_key=SECRET)
    ours = signer.presign(method, "dam", params["Key"], expires=900, query=query, headers=headers, now=NOW)
    assert ours == botocore_url(endpoint, operation, params)


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param("put_object", {"Key": "k", "ContentType": "image/jpeg"}, id="put"),
        pytest.param("put_object", {"Key": "k", "ChecksumSHA256": CHECKSUM}, id="put-checksum"),
        pytest.param("upload_part", {"Key": "k", "UploadId": "u", "PartNumber": 1}, id="upload-part"),
    ],
)
def test_flexible_checksum_setting_does_not_change_presigned_urls(
    operation: str, params: dict[str, Any]
) -> None:
    default = botocore_url("http://s3.test", operation, params)
    assert default == botocore_url("http://s3.test", operation, params, checksums="when_required")
    assert "x-amz-sdk-checksum-algorithm" not in default
    assert "x-amz-checksum" not in default.split("X-Amz-SignedHeaders=")[0]


def test_now_is_utc_whether_naive_or_in_another_zone() -> None:
    signer = SigV4Presigner(
        endpoint_url="http://s3.test", region="eu-west-1", access_key=ACCESS, secret_key=SECRET
    )
    expected = botocore_url("http://s3.test", "get_object", {"Key": "k"}, 60)
    for now in (NOW.replace(tzinfo=None), NOW.astimezone(timezone(timedelta(hours=-5)))):
        assert signer.presign("GET", "dam", "k", expires=60, now=now) == expected


def test_signing_key_is_derived_once_per_day() -> None:
    signer = SigV4Presigner(
        endpoint_url="http://s3.test", region="eu-west-1", access_key=ACCESS, secret_key=SECRET
    )
    with mock.patch("dam.storage.sigv4.hmac.digest", wraps=hmac.digest) as digest:
        for seconds in range(5):
            signer.presign("GET", "dam", "k", expires=60, now=NOW + timedelta(seconds=seconds))
        first_day = digest.call_count
        tomorrow = NOW + timedelta(days=1)
        url = signer.presign("GET", "dam", "k", expires=60, now=tomorrow)
        next_day = digest.call_count - first_day
    assert first_day == 4 + 5  # four HMACs derive the key once, then one signature per URL
    assert next_day == 4 + 1  # a new UTC day derives a new key
    assert url == botocore_url("http://s3.test", "get_object", {"Key": "k"}, 60, now=tomorrow)


def test_current_time_is_used_when_not_given() -> None:
    signer = SigV4Presigner(endpoint_url="http://s3.test", region="us-east-1", access_key="a", secret_key="b")
    before = datetime.now(UTC).replace(microsecond=0)
    url = signer.presign("GET", "dam", "k", expires=60)
    after = datetime.now(UTC)
    stamp = datetime.strptime(url.split("X-Amz-Date=")[1][:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= stamp <= after
