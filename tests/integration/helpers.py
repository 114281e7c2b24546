"""Client-side steps of the ingest sequence, done as a browser would: create, PUT, complete."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import httpx
from litestar.testing import AsyncTestClient
from PIL import Image

from tests.integration.conftest import json_of


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
