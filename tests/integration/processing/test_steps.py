"""Processing as chained steps: per-step status in the API, failures that name their step,
reprocessing one step only."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import httpx
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.domain.steps import Queue
from dam.keys import given_back_key, job_id, queue_key, wake_key
from dam.queue import WAKE_TOKENS, close_queue, enqueue_steps, open_queue
from dam.settings import Settings
from tests.support import media
from tests.support.flows import ingest, json_of


def steps_of(asset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in asset["steps"]}


async def test_steps_are_shown_with_their_state(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "steps.jpg", "image/jpeg")
    queued = json_of(await api.get(f"/assets/{asset_id}"))
    assert [(s["name"], s["state"], s["attempts"]) for s in queued["steps"]] == [("probe", "pending", 0)]
    await run_jobs()
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    assert [s["name"] for s in asset["steps"]] == ["probe", "stills"]
    for step in asset["steps"]:
        assert step["state"] == "done"
        assert step["attempts"] == 1
        assert step["error"] is None
        assert step["started_at"] <= step["finished_at"]
    assert steps_of(asset)["probe"]["finished_at"] <= steps_of(asset)["stills"]["started_at"]


async def test_a_step_failing_for_good_names_itself_and_keeps_earlier_outputs(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    # The header is intact (probe succeeds), the pixel data is cut short (stills cannot decode it).
    asset_id = await ingest(api, http, media.corrupt_jpeg(), "cut.jpg", "image/jpeg")
    await run_jobs()
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "failed"
    assert asset["error"].startswith("stills: ")
    assert "corrupt" in asset["error"]
    steps = steps_of(asset)
    assert steps["probe"]["state"] == "done"
    assert steps["stills"]["state"] == "failed"
    assert steps["stills"]["error"] in asset["error"]
    # What the probe found stays recorded.
    assert asset["media"]["kind"] == "image"
    assert (asset["media"]["width"], asset["media"]["height"]) == (400, 300)
    assert asset["media"]["camera"]["make"] == "TestCam"
    assert asset["renditions"] == []
    dashboard = json_of(await api.get("/api/jobs"))
    assert any(f["asset_id"] == asset_id and f["step"] == "stills" for f in dashboard["step_failures"])
    stats = {s["step"]: s for s in dashboard["steps"]}
    assert stats["stills"]["states"]["failed"] >= 1
    assert stats["probe"]["states"]["done"] >= 1
    assert stats["probe"]["mean_seconds"] >= 0


async def test_reprocess_of_one_step_reruns_only_it(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(), "again.png", "image/png")
    await run_jobs()
    before = json_of(await api.get(f"/assets/{asset_id}"))
    assert before["status"] == "ready", before["error"]
    response = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": ["stills"]})
    assert response.status_code == 202, response.text
    queued = json_of(response)
    assert queued["status"] == "uploaded"
    assert steps_of(queued)["stills"]["state"] == "pending"
    assert steps_of(queued)["probe"] == steps_of(before)["probe"]
    worker = await run_jobs()
    assert worker.jobs_complete == 1
    after = json_of(await api.get(f"/assets/{asset_id}"))
    assert after["status"] == "ready", after["error"]
    assert steps_of(after)["probe"] == steps_of(before)["probe"]  # not run again
    assert steps_of(after)["stills"]["attempts"] == 1
    assert steps_of(after)["stills"]["started_at"] > steps_of(before)["stills"]["finished_at"]
    assert {r["kind"] for r in after["renditions"]} == {"thumbnail", "preview"}
    for rendition in after["renditions"]:
        assert (await http.get(rendition["url"])).status_code == 200


async def test_reprocess_refuses_steps_the_asset_does_not_have(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(), "steps.png", "image/png")
    await run_jobs()
    for steps, reason in ((["poster"], "not part of this asset"), (["nonsense"], "unknown step")):
        response = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": steps})
        assert response.status_code == 422
        assert reason in json_of(response)["detail"]
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"


async def test_openapi_shows_media_steps_and_errors_with_their_fields(api: AsyncTestClient[Any]) -> None:
    schemas = json_of(await api.get("/docs/openapi.json"))["components"]["schemas"]
    assert {"kind", "width", "height", "streams", "camera"} <= set(schemas["MediaInfo"]["properties"])
    assert {"make", "model", "gps"} <= set(schemas["Camera"]["properties"])
    assert set(schemas["StepOut"]["properties"]) == {
        "name", "state", "attempts", "started_at", "finished_at", "error", "retries", "last_fault",
        "retrying_since", "progress",
    }  # fmt: skip
    assert {"status_code", "detail", "error"} <= set(schemas["ErrorBody"]["properties"])


async def test_a_live_step_is_not_taken_over_by_a_duplicate_job(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Any, database_url: str
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "busy.jpg", "image/jpeg")
    conn = await asyncpg.connect(database_url)
    queue = open_queue(settings.redis)
    try:
        # Another worker is running the probe right now.
        await conn.execute("UPDATE assets SET status = 'processing' WHERE id = $1::uuid", asset_id)
        await conn.execute(
            "UPDATE asset_steps SET state = 'running', attempts = 1, started_at = now()"
            " WHERE asset_id = $1::uuid AND step = 'probe'",
            asset_id,
        )
        # A duplicate trigger with an id of its own (a rerun, an expired result) does nothing.
        assert await enqueue_steps(
            queue, settings.redis.queue_name, Queue.MEDIA, uuid.UUID(asset_id), "x", "dup"
        )
        await run_jobs()
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "processing"
        assert (steps_of(asset)["probe"]["state"], steps_of(asset)["probe"]["attempts"]) == ("running", 1)
        # Its worker died long ago: the next job (the reconciler's) takes the step over.
        await conn.execute(
            "UPDATE asset_steps SET started_at = now() - interval '1 hour' WHERE asset_id = $1::uuid",
            asset_id,
        )
        assert await enqueue_steps(
            queue, settings.redis.queue_name, Queue.MEDIA, uuid.UUID(asset_id), "x", "stale"
        )
        await run_jobs()
    finally:
        await close_queue(queue)
        await conn.close()
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    assert steps_of(asset)["probe"]["attempts"] == 2


async def test_a_job_takes_back_the_step_it_could_not_record(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    database_url: str,
    settings: Settings,
    redis: Redis,
) -> None:
    """The database went away before a job could record its step's end: the job's retry (same job id)
    runs the step again at once, without counting a new attempt (the job left its mark in Redis
    when it gave the step back)."""
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "unrecorded.jpg", "image/jpeg")
    conn = await asyncpg.connect(database_url)
    try:
        etag = await conn.fetchval(
            "UPDATE assets SET status = 'processing' WHERE id = $1::uuid RETURNING etag", asset_id
        )
        await conn.execute(
            "UPDATE asset_steps SET state = 'running', attempts = 1, started_at = now(), runner = $2"
            " WHERE asset_id = $1::uuid AND step = 'probe'",
            asset_id, job_id(Queue.MEDIA, uuid.UUID(asset_id), etag),
        )  # fmt: skip
    finally:
        await conn.close()
    runner = job_id(Queue.MEDIA, uuid.UUID(asset_id), etag)
    await redis.set(given_back_key(settings.redis.queue_name, runner), b"1")
    await run_jobs()  # the job with that id is still queued: as its retry would be
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    assert steps_of(asset)["probe"]["attempts"] == 1


async def test_a_job_queued_wakes_the_queue_s_workers(settings: Settings, redis: Redis) -> None:
    # Each new job pushes one wake-up to the queue's wake list (a duplicate job pushes none); the
    # list is capped, so wake-ups for jobs nobody waited for do not pile up.
    queue = open_queue(settings.redis)
    key = wake_key(queue_key(settings.redis.queue_name, Queue.MEDIA))
    try:
        asset = uuid.uuid4()
        assert await enqueue_steps(queue, settings.redis.queue_name, Queue.MEDIA, asset, "x")
        assert await redis.llen(key) == 1
        assert not await enqueue_steps(queue, settings.redis.queue_name, Queue.MEDIA, asset, "x")
        assert await redis.llen(key) == 1
        for n in range(WAKE_TOKENS + 5):
            await enqueue_steps(queue, settings.redis.queue_name, Queue.MEDIA, asset, "x", f"again-{n}")
        assert await redis.llen(key) == WAKE_TOKENS
    finally:
        await close_queue(queue)
