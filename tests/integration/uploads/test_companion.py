"""The Companion-compatible routes, driven over HTTP exactly as ``@uppy/aws-s3``'s CompanionS3 drives
them, against the real store: POST-policy forms the store enforces, multipart with the client's
own part sizes, resume, abort, and assets that become ready with nobody calling complete.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.settings import MiB, Settings
from tests.support import media
from tests.support.accounts import client_of
from tests.support.flows import json_of, wait_for_status
from tests.support.processes import ServiceProcess, dam, env_of

ORIGIN = "http://app.example.test"  # DAM_CORS_ORIGINS of the test settings


@pytest.fixture
async def worker(settings: Settings, process_logs: Path, redis: Redis) -> AsyncIterator[ServiceProcess]:
    """A real worker: form uploads are noticed by a deferred job, not by a client's complete."""
    async with dam("worker", env=env_of(settings), log_dir=process_logs, log_level="info") as process:
        yield process


async def _form(api: AsyncTestClient[Any], filename: str, content_type: str, **meta: str) -> dict[str, Any]:
    query = {"filename": filename, "type": content_type, **{f"metadata[{k}]": v for k, v in meta.items()}}
    answer = await api.get("/s3/params", params=query)
    assert answer.status_code == 200, answer.text
    params: dict[str, Any] = json_of(answer)
    return params


async def _post_form(
    http: httpx.AsyncClient, params: dict[str, Any], data: bytes, **changes: str
) -> httpx.Response:
    fields = {**params["fields"], **changes}
    return await http.post(params["url"], data=fields, files={"file": ("blob", data)})


async def test_a_form_upload_becomes_ready_with_no_complete_call(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, worker: ServiceProcess
) -> None:
    data = media.jpeg_with_exif()
    params = await _form(api, "photo.jpg", "image/jpeg", name="photo.jpg", caption="a b")
    assert params["method"] == "POST"
    assert params["expires"] > 0
    assert params["fields"]["key"].startswith("originals/")
    stored = await _post_form(http, params, data)
    assert stored.status_code in {200, 201, 204}, stored.text
    asset_id = params["fields"]["key"].split("/")[1]  # the key is ours: originals/{asset id}/{name}
    assert json_of(await api.get(f"/assets/{asset_id}"))["storage_path"] == params["fields"]["key"]
    ready = await wait_for_status(api, asset_id, "ready", within=60, watch=[worker])
    assert ready["metadata"] == {"name": "photo.jpg", "caption": "a b"}
    original = await http.get(ready["download_url"])
    assert hashlib.sha256(original.content).hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        pytest.param({"key": "originals/elsewhere.jpg"}, {403}, id="other-key"),
        pytest.param({"Content-Type": "text/html"}, {403}, id="other-type"),
        pytest.param({"policy": "e30="}, {403}, id="other-policy"),
    ],
)
async def test_the_store_refuses_a_form_that_breaks_its_policy(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, change: dict[str, str], refused: set[int]
) -> None:
    params = await _form(api, "photo.jpg", "image/jpeg")
    answer = await _post_form(http, params, media.jpeg_with_exif(), **change)
    assert answer.status_code in refused, answer.text


async def test_the_store_refuses_a_form_file_over_the_upload_limit(
    api_key: str, make_settings: Callable[..., Settings], http: httpx.AsyncClient
) -> None:
    settings = make_settings(DAM_MAX_UPLOAD_BYTES=str(1 * MiB))
    async with client_of(settings, api_key) as api:
        params = await _form(api, "big.jpg", "image/jpeg")
        answer = await _post_form(http, params, os.urandom(1 * MiB + 1))
        assert answer.status_code in {400, 403}, answer.text
        assert "EntityTooLarge" in answer.text or "Policy" in answer.text


async def test_multipart_with_the_clients_part_sizes_resumes_and_completes(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, worker: ServiceProcess
) -> None:
    data = media.noisy_mp4(frames=40)
    assert len(data) > 5 * MiB + 1
    created = await api.post(
        "/s3/multipart", json={"filename": "clip.mp4", "type": "video/mp4", "metadata": {}}
    )
    assert created.status_code == 200, created.text
    upload = json_of(created)
    assert set(upload) == {"key", "uploadId", "bucket"}
    base, key = f"/s3/multipart/{quote(upload['uploadId'], safe='')}", {"key": upload["key"]}
    chunk = 5 * MiB  # the client's choice, not the API's
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    sent = []
    for number, piece in enumerate(pieces, start=1):
        signed = await api.get(f"{base}/{number}", params=key)
        assert signed.status_code == 200, signed.text
        assert set(json_of(signed)) == {"url", "expires"}
        put = await http.put(json_of(signed)["url"], content=piece)
        assert put.status_code == 200, put.text
        sent.append({"PartNumber": number, "ETag": put.headers["etag"]})
        if number == 1:  # a reload here: the client asks what storage holds
            listed = json_of(await api.get(base, params=key))
            assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, len(piece))]
            assert listed[0]["ETag"].strip('"') == put.headers["etag"].strip('"')
    done = await api.post(f"{base}/complete", params=key, json={"parts": sent})
    assert done.status_code == 200, done.text
    body = json_of(done)
    assert body["key"] == upload["key"]
    assert body["location"].endswith(quote(upload["key"], safe="/"))
    asset_id = upload["key"].split("/")[1]
    ready = await wait_for_status(api, asset_id, "ready", within=90, watch=[worker])
    assert ready["stored_size"] == len(data)
    again = await api.post(f"{base}/complete", params=key, json={"parts": sent})
    assert again.status_code == 200, again.text  # idempotent, as complete is


async def test_abort_deletes_the_asset_and_its_upload(api: AsyncTestClient[Any]) -> None:
    upload = json_of(await api.post("/s3/multipart", json={"filename": "x.mp4", "type": "video/mp4"}))
    base, key = f"/s3/multipart/{quote(upload['uploadId'], safe='')}", {"key": upload["key"]}
    aborted = await api.delete(base, params=key)
    assert aborted.status_code == 200, aborted.text
    assert json_of(aborted) == {}
    asset_id = upload["key"].split("/")[1]
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "deleted"
    assert (await api.get(f"{base}/1", params=key)).status_code == 404


async def test_unknown_keys_uploads_and_bad_part_numbers_are_refused(api: AsyncTestClient[Any]) -> None:
    upload = json_of(await api.post("/s3/multipart", json={"filename": "x.mp4", "type": "video/mp4"}))
    base, key = f"/s3/multipart/{quote(upload['uploadId'], safe='')}", {"key": upload["key"]}
    unknown_key = {"key": "originals/5b0c7bbf-3c37-4c1d-9ab4-bb5d1b1f5a7e/x.mp4"}
    assert (await api.get(f"{base}/1", params=unknown_key)).status_code == 404
    assert (await api.get(f"{base}/1", params={"key": "../../etc/passwd"})).status_code == 404
    assert (await api.get("/s3/multipart/other-upload/1", params=key)).status_code == 404
    for bad in ("0", "10001", "1e2", "-1", "01"):
        answer = await api.get(f"{base}/{bad}", params=key)
        assert answer.status_code in {400, 422}, (bad, answer.text)
    assert (await api.get(f"{base}/1")).status_code == 400  # no key
    refused = await api.post("/s3/multipart", json={"filename": "x.exe", "type": "application/x-msdownload"})
    assert refused.status_code == 422
    assert "allowed" in json_of(refused)["detail"]


async def test_api_cors_lets_the_configured_origin_in(api: AsyncTestClient[Any]) -> None:
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = await api.options("/s3/multipart", headers=preflight)
    assert allowed.status_code in {200, 204}, allowed.text
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "content-type" in allowed.headers["access-control-allow-headers"].lower()
    simple = await api.get(
        "/s3/params", params={"filename": "a.jpg", "type": "image/jpeg"}, headers={"Origin": ORIGIN}
    )
    assert simple.headers["access-control-allow-origin"] == ORIGIN
    other = await api.options("/s3/multipart", headers={**preflight, "Origin": "http://evil.example"})
    assert other.headers.get("access-control-allow-origin") != "http://evil.example"
