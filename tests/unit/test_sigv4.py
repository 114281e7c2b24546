"""Our SigV4 presigner produces byte-for-byte the URLs botocore produces, for fixed time and inputs."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
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
]
# (botocore operation, its params, our method, our query, our headers)
CASES = [
    pytest.param("get_object", {"Key": "a/b.jpg"}, "GET", {}, {}, id="get"),
    pytest.param("head_object", {"Key": "k"}, "HEAD", {}, {}, id="head"),
    pytest.param(
        "get_object",
        {"Key": "x.jpg", "ResponseContentDisposition": 'attachment; filename="x y.jpg"'},
        "GET", {"response-content-disposition": 'attachment; filename="x y.jpg"'}, {},
        id="get-disposition",
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
    pytest.param("get_object", {"Key": "sp ace/plus+/pct%/tilde~/x"}, "GET", {}, {}, id="key-specials"),
    pytest.param("get_object", {"Key": "日本語/é/ü.mp4"}, "GET", {}, {}, id="key-unicode"),
    pytest.param("get_object", {"Key": "a//b/./../c"}, "GET", {}, {}, id="key-not-normalised"),
    pytest.param("get_object", {"Key": "q?a=1&b#frag"}, "GET", {}, {}, id="key-query-chars"),
]  # fmt: skip


def botocore_url(
    endpoint: str, operation: str, params: dict[str, Any], expires: int = 900, now: datetime = NOW
) -> str:
    """The reference: botocore's own presigning, with its clock frozen at ``now``."""
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=now.replace(tzinfo=None)):
        return str(
            client.generate_presigned_url(operation, Params={"Bucket": "dam", **params}, ExpiresIn=expires)
        )


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
