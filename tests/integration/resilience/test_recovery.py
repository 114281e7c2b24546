"""Faults: a worker killed mid-job, storage outages, the reconciler's paths, reprocessing."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.jobs.reconcile import reconcile
from dam.resources import open_resources
from dam.settings import MiB, Settings
from tests.support import media
from tests.support.accounts import client_of
from tests.support.flows import create, ingest, json_of, put_parts, put_single, storage_down, wait_for_status
from tests.support.net import slow_proxy
from tests.support.processes import dam, env_of

# A killed worker's half-open connections to the test's slow proxy can reach it as it closes, after
# its handlers' last turn, and be collected unclosed: the proxy's (test code's) leak, not the
# service's, reported as an unraisable ResourceWarning when the test ends.
PROXY_LEAK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.slow
@PROXY_LEAK
async def test_job_of_a_killed_worker_runs_again(
    api_key: str,
    make_settings: Callable[..., Settings],
    http: httpx.AsyncClient,
    run_jobs: Any,
    process_logs: Path,
) -> None:

    settings = make_settings(DAM_JOB_TIMEOUT=2)
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.big_jpeg(), "slow.jpg", "image/jpeg")
        s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
        async with slow_proxy(s3_port, delay=0.5) as proxy_port:
            env = env_of(settings, DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
            async with dam("worker", env=env, log_dir=process_logs) as worker:
                await wait_for_status(api, asset_id, "processing", within=60, watch=[worker])
                worker.kill()
        # The dead worker's job is still queued; once its in-progress mark expires another worker runs it.
        await asyncio.wait_for(run_jobs(settings=settings), timeout=60)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready", asset["error"]
        assert {r["kind"] for r in asset["renditions"]} == {"thumbnail", "preview"}


@pytest.mark.slow
async def test_storage_outage_retries_then_recovers(
    make_settings: Callable[..., Settings],
    settings: Settings,
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    redis: Redis,
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "retry.jpg", "image/jpeg")
    outage = storage_down(make_settings, settings)
    worker = await run_jobs(settings=outage, max_burst_jobs=1)
    assert worker.jobs_retried == 1
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "processing"
    worker = await asyncio.wait_for(run_jobs(), timeout=60)  # storage is back
    assert worker.jobs_complete == 1
    assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"


@pytest.fixture
async def job_ctx(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """The arq context a cron job gets: services and the queue."""
    async with open_resources(settings) as resources:
        yield {"resources": resources, "redis": resources.queue}


async def age(database_url: str, asset_id: str, seconds: float) -> None:
    """Pretend an asset was created and last changed ``seconds`` ago."""
    conn = await asyncpg.connect(database_url)
    try:
        delta = timedelta(seconds=seconds)
        await conn.execute(
            "UPDATE assets SET created_at = created_at - $2::interval,"
            " updated_at = updated_at - $2::interval WHERE id = $1::uuid",
            asset_id, delta,
        )  # fmt: skip
    finally:
        await conn.close()


async def test_reconciler_paths(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    settings: Settings,
    database_url: str,
    job_ctx: dict[str, Any],
    redis: Redis,
    run_jobs: Any,
) -> None:
    data = media.jpeg_with_exif()
    # 1. Uploaded but never completed, no event: the reconciler completes it.
    silent = await create(api, filename="silent.jpg", size=len(data))
    await put_single(http, silent["upload"], data)
    # 2. Never uploaded, URLs long expired: fails, and its multipart upload is aborted.
    abandoned = await create(api, filename="abandoned.mp4", content_type="video/mp4", multipart=True)
    await put_parts(http, abandoned["upload"], os.urandom(5 * MiB), numbers=[1])
    # 3. Never uploaded but still within its URL lifetime: left alone.
    waiting = await create(api, filename="waiting.jpg")
    # 5. Created long ago, but its client still signs parts (a big upload on a slow link): left alone.
    slow = json_of(await api.post("/s3/multipart", json={"filename": "slow.mp4", "type": "video/mp4"}))
    slow_id = slow["key"].split("/")[1]
    # 4. Stuck in processing past the job timeout (its worker died): enqueued again.
    stuck = await ingest(api, http, data, "stuck.jpg", "image/jpeg")
    await redis.delete(settings.redis.queue_name)
    conn = await asyncpg.connect(database_url)
    await conn.execute("UPDATE assets SET status = 'processing' WHERE id = $1::uuid", stuck)
    await conn.close()

    await age(database_url, silent["id"], 120)
    await age(database_url, abandoned["id"], settings.s3.presign_ttl + settings.worker.upload_grace + 60)
    await age(database_url, waiting["id"], 120)
    await age(database_url, stuck, settings.worker.job_timeout + 120)
    await age(database_url, slow_id, settings.s3.presign_ttl + settings.worker.upload_grace + 60)
    signed = await api.get(f"/s3/multipart/{slow['uploadId']}/7", params={"key": slow["key"]})
    assert signed.status_code == 200, signed.text

    counts = await reconcile(job_ctx)
    assert counts["completed"] >= 1
    assert counts["expired"] >= 1
    assert counts["restarted"] >= 1
    assert json_of(await api.get(f"/assets/{silent['id']}"))["status"] == "uploaded"
    assert json_of(await api.get(f"/assets/{slow_id}"))["status"] == "pending_upload"
    gone = json_of(await api.get(f"/assets/{abandoned['id']}"))
    assert gone["status"] == "failed"
    assert "upload never arrived" in gone["error"]
    uploads = await job_ctx["resources"].storage._client.list_multipart_uploads(Bucket=settings.s3.bucket)
    assert [u["Key"] for u in uploads.get("Uploads", [])] == [slow["key"]]  # the abandoned one is gone
    assert json_of(await api.get(f"/assets/{waiting['id']}"))["status"] == "pending_upload"

    again = await reconcile(job_ctx)  # a second pass finds nothing new to do for these
    assert again["restarted"] == 0
    await run_jobs()
    for asset_id in (silent["id"], stuck):
        assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"


async def test_reprocess(api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any) -> None:
    good = await ingest(api, http, media.png_with_alpha(), "again.png", "image/png")
    bad = await ingest(api, http, b"plain text" * 10, "bad.png", "image/png")
    pending = await create(api, filename="later.png", content_type="image/png")
    await run_jobs()
    assert (await api.post(f"/assets/{pending['id']}/reprocess")).status_code == 409
    for asset_id in (good, bad):
        response = await api.post(f"/assets/{asset_id}/reprocess")
        assert response.status_code == 202
        assert json_of(response)["status"] == "uploaded"
    await run_jobs()
    assert json_of(await api.get(f"/assets/{good}"))["status"] == "ready"
    failed = json_of(await api.get(f"/assets/{bad}"))
    assert failed["status"] == "failed"
    assert "not a readable" in failed["error"]


@pytest.mark.slow
async def test_storage_outage_past_the_deadline_waits_for_the_reconciler(
    make_settings: Callable[..., Settings],
    settings: Settings,
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    database_url: str,
    job_ctx: dict[str, Any],
    run_jobs: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "later.jpg", "image/jpeg")
    outage = storage_down(
        make_settings, settings, DAM_JOB_MAX_TRIES=1, DAM_RETRY_DEADLINE=4, DAM_RETRY_MAX_DELAY=0.2
    )
    with caplog.at_level(logging.WARNING, logger="dam.jobs.process"):
        worker = await asyncio.wait_for(run_jobs(settings=outage), timeout=60)
    # One attempt allowed, yet the job tried until the deadline: outages do not count as attempts.
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "processing", asset["error"]  # not failed: its original is intact
    (probe,) = [s for s in asset["steps"] if s["name"] == "probe"]
    assert probe["state"] == "pending"
    assert probe["attempts"] == 0
    assert probe["retries"] == worker.jobs_retried + 1 >= 1
    assert "waiting for the reconciler" in probe["last_fault"]
    assert probe["retrying_since"] is None  # the reconciler's run of retries gets a deadline of its own
    gave_up = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(gave_up) == 1
    assert asset_id in gave_up[0].getMessage()
    assert "step probe gave up" in gave_up[0].getMessage()
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and "; retry " in r.getMessage()]
    assert len(retries) == probe["retries"] - 1  # one line per retry; the last fault parked the step
    assert all(r.exc_info is None for r in caplog.records)  # one line each, no traceback

    await age(database_url, asset_id, settings.worker.job_timeout + 120)
    counts = await reconcile(job_ctx)  # storage is back
    assert counts["restarted"] == 1
    await asyncio.wait_for(run_jobs(), timeout=60)
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    (probe,) = [s for s in asset["steps"] if s["name"] == "probe"]
    assert probe["attempts"] == 1
    assert probe["state"] == "done"


async def _step_running(
    api: AsyncTestClient[Any], asset_id: str, name: str, attempts: int, *, within: float, watch: Any
) -> None:
    """Poll until step ``name`` runs its attempt number ``attempts``; fail at the deadline or when
    ``watch`` exits."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        (step,) = [s for s in asset["steps"] if s["name"] == name]
        if step["state"] == "running" and step["attempts"] == attempts:
            return
        assert step["attempts"] <= attempts, step
        watch.assert_running(f"while waiting for attempt {attempts} of {name}")
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{name} did not run attempt {attempts} within {within:g}s: {step}")
        await asyncio.sleep(0.05)


@pytest.mark.slow
@PROXY_LEAK
async def test_a_step_whose_worker_dies_every_time_fails_for_good(
    api_key: str,
    make_settings: Callable[..., Settings],
    http: httpx.AsyncClient,
    run_jobs: Any,
    process_logs: Path,
) -> None:
    # arq runs a dead worker's job again under the same job id: each of those runs is an attempt.
    settings = make_settings(DAM_JOB_TIMEOUT=5, DAM_JOB_MAX_TRIES=2)
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.big_jpeg(), "crashes.jpg", "image/jpeg")
        s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
        async with slow_proxy(s3_port, delay=1.0) as proxy_port:
            env = env_of(settings, DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
            for attempt in range(1, settings.worker.max_tries + 1):
                async with dam("worker", env=env, log_dir=process_logs) as worker:
                    # The next worker takes the job once the dead one's in-progress mark expires.
                    await _step_running(api, asset_id, "probe", attempt, within=90, watch=worker)
                    worker.kill()
        await asyncio.wait_for(run_jobs(settings=settings), timeout=60)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "failed"
    (probe,) = [s for s in asset["steps"] if s["name"] == "probe"]
    assert probe["state"] == "failed"
    assert "gave up after 2 attempts" in probe["error"]
    assert "interrupted" in probe["error"]
    assert asset["error"] == f"probe: {probe['error']}"
