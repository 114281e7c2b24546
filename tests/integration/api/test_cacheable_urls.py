"""Members' media URLs are cacheable: the same thumbnail, preview or original read twice within
``DAM_PRESIGN_GET_WINDOW`` has the same URL (signed at the window's start, living the TTL past its
end), so the browser's cache answers the second read; share links' URLs end with the link."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import bearer
from tests.support.flows import ingest, json_of


def signed(url: str) -> tuple[datetime, int]:
    """The signing time and lifetime of a presigned URL."""
    query = parse_qs(urlsplit(url).query)
    at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return at, int(query["X-Amz-Expires"][0])


def urls_of(asset: dict[str, Any]) -> dict[str, str]:
    found = {r["kind"]: r["url"] for r in asset["renditions"]}
    found["download"] = asset["download_url"]
    return found


async def ready_photo(api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any) -> dict[str, Any]:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "cache.jpg", "image/jpeg")
    await run_jobs()
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    return asset


async def test_the_same_media_read_twice_has_the_same_url(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    asset = await ready_photo(api, http, run_jobs)
    again = json_of(await api.get(f"/assets/{asset['id']}"))
    first, second = urls_of(asset), urls_of(again)
    assert {"thumbnail", "preview", "download"} <= set(first)
    assert first == second
    # Every listing hands out the same thumbnail URL as the detail.
    listed = json_of(await api.get("/assets"))["items"]
    found = json_of(await api.get("/search", params={"q": "cache"}))["items"]
    assert [urls_of(i) for i in listed] == [first]
    assert [i["thumbnail_url"] for i in found] == [first["thumbnail"]]

    window, ttl = settings.s3.presign_get_window, settings.s3.presign_get_ttl
    assert window == 3600
    at, lifetime = signed(first["thumbnail"])
    assert at.timestamp() % window == 0, "signed at the start of the window"
    assert lifetime == window + ttl
    assert at.timestamp() + lifetime >= time.time() + ttl, "at least the TTL left"
    # The store accepts a URL signed at the window's start (up to an hour ago), and so does a cache.
    thumbnail = await http.get(first["thumbnail"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/webp"
    assert "immutable" in thumbnail.headers.get("cache-control", "")


async def test_a_share_links_urls_end_with_the_link_and_window_zero_signs_afresh(
    api_key: str, http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    async with AsyncTestClient(app=create_app(settings)) as api:
        api.headers.update(bearer(api_key))
        asset = await ready_photo(api, http, run_jobs)
        made = await api.post(f"/assets/{asset['id']}/shares", json={"expires_in": 120, "download": True})
        assert made.status_code == 201, made.text
        token = made.json()["url"].rsplit("/", 1)[1]
        shown = json_of(await api.get(f"/shares/{token}", headers={"Authorization": ""}))
        at, lifetime = signed(shown["preview_url"])
        assert lifetime <= 120
        assert abs(at.timestamp() - time.time()) < 60, "signed now, not at a window's start"
        assert (await http.get(shown["preview_url"])).status_code == 200

    # DAM_PRESIGN_GET_WINDOW=0: every read signed now, for the TTL (the same bucket, queue and data).
    fresh = msgspec.structs.replace(settings, s3=msgspec.structs.replace(settings.s3, presign_get_window=0))
    async with AsyncTestClient(app=create_app(fresh)) as api:
        api.headers.update(bearer(api_key))
        detail = json_of(await api.get(f"/assets/{asset['id']}"))
        at, lifetime = signed(detail["renditions"][0]["url"])
        assert lifetime == settings.s3.presign_get_ttl
        assert abs(at.timestamp() - time.time()) < 60
