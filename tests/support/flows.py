"""Client-side steps of the ingest sequence, done as a browser would, and waits on their outcome."""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from dam.settings import Settings
from dam_dev.devs3 import free_ports

if TYPE_CHECKING:
    from tests.support.processes import ServiceProcess


def json_of(response: httpx.Response) -> Any:
    """Decode a JSON answer, failing loudly with the body when it is not JSON."""
    try:
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        pytest.fail(f"not JSON ({response.status_code}): {response.text[:500]}")


def jpeg_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A small real JPEG."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256."""
    return hashlib.sha256(data).hexdigest()


async def create(api: AsyncTestClient[Any], **body: Any) -> dict[str, Any]:
    """POST /assets, asserting 201."""
    body.setdefault("filename", "photo.jpg")
    body.setdefault("content_type", "image/jpeg")
    response = await api.post("/assets", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = json_of(response)
    return created


async def put_single(http: httpx.AsyncClient, upload: dict[str, Any], data: bytes) -> httpx.Response:
    """PUT the bytes to the presigned URL with exactly the headers the API listed."""
    assert upload["method"] == "PUT"
    return await http.put(upload["url"], content=data, headers=upload["headers"])


async def put_parts(
    http: httpx.AsyncClient, upload: dict[str, Any], data: bytes, numbers: list[int] | None = None
) -> list[dict[str, Any]]:
    """PUT the given parts (all presigned ones by default); returns [{number, etag}]."""
    size = upload["part_size"]
    urls = {p["number"]: p["url"] for p in upload["parts"]}
    done = []
    for number in numbers or sorted(urls):
        chunk = data[(number - 1) * size : number * size]
        response = await http.put(urls[number], content=chunk)
        assert response.status_code == 200, response.text
        done.append({"number": number, "etag": response.headers["etag"].strip('"')})
    return done


async def complete(api: AsyncTestClient[Any], asset_id: str, body: Any = None) -> httpx.Response:
    """POST /assets/{id}/complete."""
    if body is None:
        return await api.post(f"/assets/{asset_id}/complete")
    return await api.post(f"/assets/{asset_id}/complete", json=body)


async def ingest(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, data: bytes, filename: str, content_type: str
) -> str:
    """Create, upload and complete one asset; returns its id."""
    created = await create(api, filename=filename, content_type=content_type, size=len(data))
    assert (await put_single(http, created["upload"], data)).status_code == 200
    assert (await complete(api, created["id"])).status_code == 202
    return str(created["id"])


async def wait_for_status(
    api: AsyncTestClient[Any],
    asset_id: str,
    status: str,
    within: float,
    watch: Sequence[ServiceProcess] = (),
) -> dict[str, Any]:
    """Poll an asset until it has ``status``; fail at the deadline, or as soon as a watched process dies."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
        if asset["status"] == status:
            return asset
        for process in watch:
            process.assert_running(f"while asset {asset_id} was to reach {status}")
        await asyncio.sleep(0.05)
    pytest.fail(f"asset {asset_id} did not reach {status} within {within}s (is {asset['status']})")


async def first_part_stored(api: str, filename: str, key: str, within: float = 60) -> str:
    """Wait until a pending upload of ``filename`` has at least one part in storage; return its id."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as client:
        while time.monotonic() < deadline:
            page = (await client.get(f"{api}/assets?status=pending_upload&limit=10")).json()
            for item in page["items"]:
                if item["filename"] == filename:
                    renewed = (await client.post(f"{api}/assets/{item['id']}/upload")).json()
                    if renewed.get("uploaded_parts"):
                        return str(item["id"])
            await asyncio.sleep(0.1)
    pytest.fail(f"no part of {filename} reached storage within {within}s")


def storage_down(make_settings: Callable[..., Settings], settings: Settings, **extra: Any) -> Settings:
    """The same bucket and queue, with storage at a port where nothing listens."""
    (dead,) = free_ports(1)
    return make_settings(
        DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{dead}",
        DAM_S3_BUCKET=settings.s3.bucket,
        DAM_QUEUE_NAME=settings.redis.queue_name,
        **extra,
    )
