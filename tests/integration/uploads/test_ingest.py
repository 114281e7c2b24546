"""The ingest sequence end to end: API, presigned URLs, and the strict S3 store itself."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis
from types_aiobotocore_s3 import S3Client

from dam.domain.steps import Queue
from dam.keys import job_id
from dam.settings import MiB, Settings
from tests.support.accounts import client_of
from tests.support.flows import complete, create, jpeg_bytes, json_of, put_parts, put_single, sha256_hex


async def queued_jobs(redis: Redis, settings: Settings) -> int:
    """How many jobs wait in this test's queue."""
    return int(await redis.zcard(settings.redis.queue_name))


async def test_single_put_upload_completes_and_downloads(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    data = jpeg_bytes()
    created = await create(api, filename="red square.jpg", size=len(data), metadata={"album": "tests"})
    assert created["status"] == "pending_upload"
    assert created["storage_path"] == f"originals/{created['id']}/red square.jpg"
    assert created["upload"]["method"] == "PUT"
    assert created["upload"]["headers"]["Content-Type"] == "image/jpeg"
    assert created["download_url"] is None

    stored = await put_single(http, created["upload"], data)
    assert stored.status_code == 200, stored.text

    done = await complete(api, created["id"])
    assert done.status_code == 202, done.text
    asset = json_of(done)
    assert asset["status"] == "uploaded"
    assert asset["stored_size"] == len(data)
    assert asset["metadata"] == {"album": "tests"}

    fetched = json_of(await api.get(f"/assets/{created['id']}"))
    download = await http.get(fetched["download_url"])
    assert download.status_code == 200
    assert download.content == data
    assert await queued_jobs(redis, settings) == 1
    assert await redis.exists(f"arq:job:{job_id(Queue.MEDIA, uuid.UUID(asset['id']), asset['etag'])}")


async def test_repeated_and_racing_completes_enqueue_once(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    data = jpeg_bytes()
    created = await create(api, size=len(data))
    assert (await put_single(http, created["upload"], data)).status_code == 200
    answers = await asyncio.gather(*(complete(api, created["id"]) for _ in range(5)))
    assert [a.status_code for a in answers] == [202] * 5
    again = await complete(api, created["id"])
    assert again.status_code == 202
    assert await queued_jobs(redis, settings) == 1


async def test_store_verifies_declared_sha256(api: AsyncTestClient[Any], http: httpx.AsyncClient) -> None:
    data = jpeg_bytes()
    created = await create(api, sha256=sha256_hex(data).upper())
    upload = created["upload"]
    expected = base64.b64encode(bytes.fromhex(sha256_hex(data))).decode()
    assert upload["headers"]["x-amz-checksum-sha256"] == expected
    tampered = await put_single(http, upload, data[:-1] + bytes([data[-1] ^ 0xFF]))
    assert tampered.status_code == 400, tampered.text
    assert "BadDigest" in tampered.text
    assert (await put_single(http, upload, data)).status_code == 200


async def test_store_rejects_other_content_type(api: AsyncTestClient[Any], http: httpx.AsyncClient) -> None:
    created = await create(api)
    upload = created["upload"]
    headers = {**upload["headers"], "Content-Type": "image/png"}
    response = await http.put(upload["url"], content=jpeg_bytes(), headers=headers)
    assert response.status_code == 403


async def test_store_rejects_other_length_when_size_declared(
    api: AsyncTestClient[Any], http: httpx.AsyncClient
) -> None:
    data = jpeg_bytes()
    created = await create(api, size=len(data) + 10)
    upload = created["upload"]
    # Signed, but not among the headers to send: browsers refuse to set it.
    assert "content-length" in upload["url"].lower()
    assert "Content-Length" not in upload["headers"]
    response = await http.put(upload["url"], content=data, headers=upload["headers"])
    assert response.status_code in {400, 403}, response.text


async def test_store_rejects_tampered_url(api: AsyncTestClient[Any], http: httpx.AsyncClient) -> None:
    created = await create(api)
    url = created["upload"]["url"]
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    bad_signature = url.replace(signature, flipped)
    other_key = url.replace("photo.jpg", "other.jpg")
    for tampered in (bad_signature, other_key):
        response = await http.put(tampered, content=jpeg_bytes(), headers=created["upload"]["headers"])
        assert response.status_code == 403, response.text


async def test_renewed_upload_url_works(api: AsyncTestClient[Any], http: httpx.AsyncClient) -> None:
    data = jpeg_bytes()
    created = await create(api, size=len(data))
    renewed = await api.post(f"/assets/{created['id']}/upload")
    assert renewed.status_code == 200
    upload = json_of(renewed)
    assert upload["method"] == "PUT"
    assert (await put_single(http, upload, data)).status_code == 200
    assert (await complete(api, created["id"])).status_code == 202
    again = await api.post(f"/assets/{created['id']}/upload")
    assert again.status_code == 409
    assert json_of(again)["error"] == "conflict"


async def test_multipart_upload_of_three_parts(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings
) -> None:
    data = os.urandom(11 * MiB)
    created = await create(api, filename="clip.mp4", content_type="video/mp4", size=len(data))
    upload = created["upload"]
    assert upload["method"] == "multipart"
    assert upload["part_size"] == 5 * MiB
    assert [p["number"] for p in upload["parts"]] == [1, 2, 3]
    parts = await put_parts(http, upload, data)
    done = await complete(api, created["id"], {"parts": parts})
    assert done.status_code == 202, done.text
    asset = json_of(done)
    assert asset["stored_size"] == len(data)
    download = await http.get(asset["download_url"])
    assert sha256_hex(download.content) == sha256_hex(data)
    ranged = await http.get(asset["download_url"], headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206
    assert ranged.content == data[:10]
    assert await queued_jobs(redis, settings) == 1


async def test_multipart_resumes_with_listed_parts(
    api: AsyncTestClient[Any], http: httpx.AsyncClient
) -> None:
    data = os.urandom(12 * MiB)
    created = await create(
        api, filename="long.mov", content_type="video/quicktime", multipart=True, size=len(data)
    )
    await put_parts(http, created["upload"], data, numbers=[1])

    resumed = await api.post(f"/assets/{created['id']}/upload")
    assert resumed.status_code == 200
    upload = json_of(resumed)
    assert [p["number"] for p in upload["uploaded_parts"]] == [1]
    assert upload["uploaded_parts"][0]["size"] == 5 * MiB
    assert [p["number"] for p in upload["parts"]] == [2, 3]
    await put_parts(http, upload, data)

    only_three = json_of(await api.post(f"/assets/{created['id']}/upload", json={"part_numbers": [3]}))
    assert [p["number"] for p in only_three["parts"]] == [3]

    done = await complete(api, created["id"])  # no parts listed: the API reads them from storage
    assert done.status_code == 202, done.text
    download = await http.get(json_of(done)["download_url"])
    assert download.content == data


async def test_multipart_without_size_presigns_a_batch(api: AsyncTestClient[Any]) -> None:
    created = await create(api, multipart=True)
    upload = created["upload"]
    assert upload["part_count"] is None
    assert [p["number"] for p in upload["parts"]] == list(range(1, 17))
    more = json_of(await api.post(f"/assets/{created['id']}/upload", json={"part_numbers": [17, 40]}))
    assert [p["number"] for p in more["parts"]] == [17, 40]


async def test_complete_before_upload_is_a_conflict(api: AsyncTestClient[Any]) -> None:
    created = await create(api)
    response = await complete(api, created["id"])
    assert response.status_code == 409
    assert "upload the bytes" in json_of(response)["detail"]
    assert json_of(await api.get(f"/assets/{created['id']}"))["status"] == "pending_upload"


async def test_declared_size_mismatch_is_rejected(api: AsyncTestClient[Any], http: httpx.AsyncClient) -> None:
    data = os.urandom(6 * MiB)
    created = await create(api, content_type="video/mp4", multipart=True, size=11 * MiB)
    parts = await put_parts(http, created["upload"], data, numbers=[1, 2])
    response = await complete(api, created["id"], {"parts": parts})
    assert response.status_code == 422
    assert "declared" in json_of(response)["detail"]
    assert json_of(await api.get(f"/assets/{created['id']}"))["status"] == "pending_upload"


async def test_oversize_object_is_deleted_and_failed(
    api_key: str, make_settings: Any, http: httpx.AsyncClient, s3: S3Client
) -> None:

    settings = make_settings(DAM_MAX_UPLOAD_BYTES=6 * MiB)
    async with client_of(settings, api_key) as api:
        data = os.urandom(7 * MiB)
        created = await create(api, content_type="video/mp4", multipart=True)
        parts = await put_parts(http, created["upload"], data, numbers=[1, 2])
        response = await complete(api, created["id"], {"parts": parts})
        assert response.status_code == 422
        assert "exceeds" in json_of(response)["detail"]
        asset = json_of(await api.get(f"/assets/{created['id']}"))
        assert asset["status"] == "failed"
        assert "exceeds" in asset["error"]
        listing = await s3.list_objects_v2(Bucket=settings.s3.bucket, Prefix=f"originals/{created['id']}/")
        assert listing.get("KeyCount", 0) == 0


async def test_delete_removes_object_and_marks_deleted(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, s3: S3Client, settings: Settings
) -> None:
    data = jpeg_bytes()
    created = await create(api, size=len(data))
    await put_single(http, created["upload"], data)
    await complete(api, created["id"])
    await s3.put_object(
        Bucket=settings.s3.bucket, Key=f"renditions/{created['id']}/thumbnail.webp", Body=b"x"
    )
    response = await api.delete(f"/assets/{created['id']}", params={"permanent": "true"})
    assert response.status_code == 204
    remaining = await s3.list_objects_v2(Bucket=settings.s3.bucket)
    assert remaining.get("KeyCount", 0) == 0
    asset = json_of(await api.get(f"/assets/{created['id']}"))
    assert asset["status"] == "deleted"
    assert asset["download_url"] is None
    assert (await api.delete(f"/assets/{created['id']}")).status_code == 204
    assert (await complete(api, created["id"])).status_code == 409


async def test_delete_aborts_unfinished_multipart(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, s3: S3Client, settings: Settings
) -> None:
    data = os.urandom(5 * MiB)
    created = await create(api, content_type="audio/wav", multipart=True)
    await put_parts(http, created["upload"], data, numbers=[1])
    assert (await api.delete(f"/assets/{created['id']}")).status_code == 204
    uploads = await s3.list_multipart_uploads(Bucket=settings.s3.bucket)
    assert not uploads.get("Uploads")


async def test_get_unknown_and_malformed_ids(api: AsyncTestClient[Any]) -> None:
    unknown = await api.get("/assets/00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404
    assert json_of(unknown)["error"] == "not_found"
    malformed = await api.get("/assets/not-a-uuid")
    assert malformed.status_code == 422
    assert "UUID" in json_of(malformed)["detail"]


async def test_store_accepts_our_urls_for_unusual_names_and_rejects_expired(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, settings: Settings
) -> None:
    from datetime import UTC, datetime, timedelta

    from dam.storage.sigv4 import SigV4Presigner

    data = jpeg_bytes()
    name = "Été 2026 ~ plage + amis (1) 日本.jpg"
    created = await create(api, filename=name, size=len(data))
    assert created["filename"] == name
    assert (await put_single(http, created["upload"], data)).status_code == 200
    asset = json_of(await complete(api, created["id"]))
    assert (await http.get(asset["download_url"])).content == data

    signer = SigV4Presigner(
        endpoint_url=settings.s3.client_url,
        region=settings.s3.region,
        access_key=settings.s3.access_key,
        secret_key=settings.s3.secret_key,
    )
    key = asset["storage_path"]
    fresh = signer.presign("GET", settings.s3.bucket, key, expires=60)
    assert (await http.get(fresh)).status_code == 200
    stale = signer.presign(
        "GET", settings.s3.bucket, key, expires=60, now=datetime.now(UTC) - timedelta(minutes=5)
    )
    expired = await http.get(stale)
    assert expired.status_code == 403
    wrong_secret = SigV4Presigner(
        endpoint_url=settings.s3.client_url, region=settings.s3.region,
        access_key=settings.s3.access_key, secret_key="not-the-secret",
    ).presign("GET", settings.s3.bucket, key, expires=60)  # fmt: skip
    assert (await http.get(wrong_secret)).status_code == 403


async def test_multipart_with_part_checksums_is_verified_by_storage(
    api: AsyncTestClient[Any], http: httpx.AsyncClient
) -> None:
    import hashlib

    data = os.urandom(11 * MiB)
    created = await create(api, content_type="video/mp4", size=len(data), part_checksums=True)
    upload = created["upload"]
    assert upload["part_checksums"] is True
    assert upload["parts"] == []  # every part URL must sign its checksum: asked for with them
    chunks = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    sums = {str(n): base64.b64encode(hashlib.sha256(c).digest()).decode() for n, c in enumerate(chunks, 1)}
    urls = json_of(await api.post(f"/assets/{created['id']}/upload", json={"part_checksums": sums}))
    parts = []
    for part, chunk in zip(urls["parts"], chunks, strict=True):
        assert part["headers"] == {"x-amz-checksum-sha256": sums[str(part["number"])]}
        # The last byte flipped (random data ends in 0x00 one time in 256: setting it would change nothing).
        tampered = await http.put(
            part["url"], content=chunk[:-1] + bytes([chunk[-1] ^ 0xFF]), headers=part["headers"]
        )
        assert tampered.status_code == 400, tampered.text
        stored = await http.put(part["url"], content=chunk, headers=part["headers"])
        assert stored.status_code == 200, stored.text
        parts.append({"number": part["number"], "etag": stored.headers["etag"].strip('"')})
    without = await complete(api, created["id"], {"parts": parts})
    assert without.status_code == 422
    assert "checksum_sha256" in json_of(without)["detail"]
    with_sums = [{**p, "checksum_sha256": sums[str(p["number"])]} for p in parts]
    done = await complete(api, created["id"], {"parts": with_sums})
    assert done.status_code == 202, done.text
    assert (await http.get(json_of(done)["download_url"])).content == data
