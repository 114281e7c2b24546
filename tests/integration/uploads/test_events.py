"""Storage events on Redis, in MinIO's shape, drive processing: exactly once in effect, nothing lost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.events.bridge import Bridge
from dam.queue import close_queue, open_queue
from dam.resources import Resources, open_resources
from dam.services.uploads import Uploads
from dam.settings import Settings
from tests.support import media
from tests.support.flows import create, json_of, put_single
from tests.support.minio_events import minio_entry


@pytest.fixture
async def bridge(api: AsyncTestClient[Any], redis: Redis, settings: Settings) -> AsyncIterator[Bridge]:
    """A bridge on this test's own events list, with services of its own (as `dam bridge` has)."""
    events_key = f"dam:test-events:{uuid.uuid4().hex}"
    async with open_resources(settings) as resources:
        b = Bridge(resources, events_key)
        yield b
    await redis.delete(events_key, b.processing_key, b.dead_key)


async def drain(bridge: Bridge) -> int:
    handled = 0
    while await bridge.step(wait=0):
        handled += 1
    return handled


async def uploaded_not_completed(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    filename: str,
    data: bytes,
    content_type: str = "image/jpeg",
) -> dict[str, Any]:
    created = await create(api, filename=filename, content_type=content_type, size=len(data))
    assert (await put_single(http, created["upload"], data)).status_code == 200
    return created


async def test_events_complete_and_process_assets(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    redis: Redis,
    settings: Settings,
    bridge: Bridge,
    run_jobs: Any,
) -> None:
    names = ["holiday photo.jpg", "Été à Zürich 日本.jpg"]
    assets = [await uploaded_not_completed(api, http, name, media.jpeg_with_exif()) for name in names]
    for asset in assets:
        entry = minio_entry(settings.s3.bucket, asset["storage_path"])
        await redis.rpush(bridge.events_key, entry, entry)  # MinIO may deliver twice
    assert await drain(bridge) == 4
    assert await redis.llen(bridge.processing_key) == 0
    assert await redis.zcard(settings.redis.queue_name) == 2  # duplicates collapsed
    worker = await run_jobs()
    assert worker.jobs_complete == 2
    for asset in assets:
        got = json_of(await api.get(f"/assets/{asset['id']}"))
        assert got["status"] == "ready", got["error"]
        assert {r["kind"] for r in got["renditions"]} == {"thumbnail", "preview"}
    # A late duplicate after processing does nothing more.
    await redis.rpush(bridge.events_key, minio_entry(settings.s3.bucket, assets[0]["storage_path"]))
    await drain(bridge)
    assert await redis.zcard(settings.redis.queue_name) == 0


async def test_foreign_and_rendition_keys_are_skipped(
    api: AsyncTestClient[Any], redis: Redis, settings: Settings, bridge: Bridge
) -> None:
    asset = uuid.uuid4()
    entries = [
        minio_entry(settings.s3.bucket, f"renditions/{asset}/thumbnail.webp"),
        minio_entry(settings.s3.bucket, "somebody/else.jpg"),
        minio_entry("other-bucket", f"originals/{asset}/a.jpg"),
        minio_entry(settings.s3.bucket, f"originals/{asset}/unknown.jpg"),
        minio_entry(settings.s3.bucket, f"originals/{asset}/a.jpg", name="s3:ObjectRemoved:Delete"),
    ]
    await redis.rpush(bridge.events_key, *entries)
    assert await drain(bridge) == len(entries)
    assert await redis.llen(bridge.dead_key) == 0
    assert await redis.zcard(settings.redis.queue_name) == 0


async def test_malformed_event_is_dead_lettered_and_the_bridge_goes_on(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings, bridge: Bridge
) -> None:
    good = await uploaded_not_completed(api, http, "fine.jpg", media.jpeg_with_exif())
    await redis.rpush(bridge.events_key, b"{not json", minio_entry(settings.s3.bucket, good["storage_path"]))
    assert await drain(bridge) == 2
    (dead,) = await redis.lrange(bridge.dead_key, 0, -1)
    letter = msgspec.json.decode(dead)
    assert "not a MinIO access-format event" in letter["reason"]
    assert letter["entry"] == "{not json"
    assert json_of(await api.get(f"/assets/{good['id']}"))["status"] == "uploaded"


async def test_unacknowledged_events_are_recovered_at_start(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings, bridge: Bridge
) -> None:
    asset = await uploaded_not_completed(api, http, "crash.jpg", media.jpeg_with_exif())
    # A previous bridge took this entry and died before acknowledging it.
    await redis.rpush(bridge.processing_key, minio_entry(settings.s3.bucket, asset["storage_path"]))
    assert await bridge.recover() == 1
    assert await drain(bridge) == 1
    assert await redis.llen(bridge.processing_key) == 0
    assert json_of(await api.get(f"/assets/{asset['id']}"))["status"] == "uploaded"
    assert await redis.zcard(settings.redis.queue_name) == 1


async def test_event_whose_job_redis_refuses_waits_in_the_outbox(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, redis: Redis, settings: Settings, bridge: Bridge
) -> None:
    from dam.services.processing import Processing
    from dam.settings import RedisSettings
    from dam_dev.devs3 import free_ports

    asset = await uploaded_not_completed(api, http, "outage.jpg", media.jpeg_with_exif())
    await redis.rpush(bridge.events_key, minio_entry(settings.s3.bucket, asset["storage_path"]))
    # The events list answers, but the job queue does not.
    (dead_port,) = free_ports(1)
    dead = open_queue(RedisSettings(url=f"redis://127.0.0.1:{dead_port}/0"))
    live = bridge.resources
    healthy, bridge.uploads = (
        bridge.uploads,
        Uploads(Resources(settings, live.pool, live.storage, dead, live.reads)),
    )
    try:
        assert await bridge.step(wait=0)  # handled: the job is recorded in PostgreSQL
    finally:
        await close_queue(dead)
        bridge.uploads = healthy
    assert await redis.llen(bridge.processing_key) == 0
    assert await redis.zcard(settings.redis.queue_name) == 0
    assert await Processing(live).drain_outbox() >= 1  # what every worker's drainer does each second
    assert await redis.zcard(settings.redis.queue_name) == 1
    assert json_of(await api.get(f"/assets/{asset['id']}"))["status"] == "uploaded"
