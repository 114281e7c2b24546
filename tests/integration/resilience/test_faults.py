"""Outages: the database refusing and dropping connections, storage down for longer than any fixed
retry budget (and than the retry cap), Redis killed under running workers and the bridge. Nothing
lost, nothing duplicated, a 503 with Retry-After instead of a 500, work resuming within seconds of
the dependency's return."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from dam.settings import Settings
from dam_dev.devs3 import DevS3, free_ports
from tests.support import media
from tests.support.accounts import bearer, client_of, key_in
from tests.support.faults import RedisServer, own_database, refuse_connections
from tests.support.flows import complete, create, ingest, json_of, put_single, wait_for_status
from tests.support.minio_events import minio_entry
from tests.support.net import outlet
from tests.support.processes import ServiceProcess, dam, env_of

pytestmark = pytest.mark.slow
RECOVERY_DEADLINE = 30.0  # generous for a busy machine; the docs promise seconds
STORE_DOWN = float(os.environ.get("DAM_TEST_STORE_DOWN_SECONDS", "0"))  # beyond the two retries
MAX_DELAY = float(os.environ.get("DAM_TEST_RETRY_MAX_DELAY", "2"))


def _error_shape(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = json_of(response)
    assert set(body) >= {"status_code", "detail", "error"}, body
    assert body["status_code"] == response.status_code
    return body


async def test_database_outage_answers_503_and_recovers(
    make_settings: Callable[..., Settings], process_logs: Path
) -> None:
    (port,) = free_ports(1)
    async with own_database() as url:
        settings = make_settings(DAM_DATABASE_URL=url, DAM_PORT=port)
        base = f"http://127.0.0.1:{port}"
        key = await key_in(url)
        async with (
            dam("api", env=env_of(settings), log_dir=process_logs) as api,
            httpx.AsyncClient(base_url=base, timeout=30, headers=bearer(key)) as client,
        ):
            await api.healthy(f"{base}/ready")
            before = await client.post("/assets", json={"filename": "a.jpg", "content_type": "image/jpeg"})
            assert before.status_code == 201, before.text
            asset_id = before.json()["id"]

            ended = await refuse_connections(url)
            assert ended >= 1  # the API's pooled connections were open and are now gone
            calls = [
                ("POST", "/assets", {"filename": "b.jpg", "content_type": "image/jpeg"}),
                ("GET", f"/assets/{asset_id}", None),
                ("GET", "/assets", None),
                ("POST", f"/assets/{asset_id}/complete", None),
                ("POST", f"/assets/{asset_id}/upload", None),
                ("GET", f"/assets/{uuid.uuid4()}", None),
            ]
            answers = []
            for _ in range(5):
                for method, path, body in calls:
                    answers.append(await client.request(method, path, json=body))
            for response in answers:
                assert response.status_code == 503, (response.request.url, response.text)
                assert _error_shape(response)["error"] == "database_unavailable"
                assert int(response.headers["retry-after"]) >= 1
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert json_of(ready)["failing"] == ["postgres"]
            # Why is for operators, who cannot sign in while the sessions' database is down: the log says.
            assert json_of(ready)["checks"]["postgres"] == "unavailable"

            await refuse_connections(url, refuse=False)
            back = time.monotonic()
            while True:
                again = await client.post("/assets", json={"filename": "c.jpg", "content_type": "image/jpeg"})
                if again.status_code == 201:
                    break
                assert again.status_code == 503, again.text
                assert time.monotonic() - back < RECOVERY_DEADLINE, "the pool did not recover"
                await asyncio.sleep(0.1)
            assert (await client.get(f"/assets/{asset_id}")).status_code == 200
            assert (await client.get("/ready")).status_code == 200
        log = api.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert log.count("PostgreSQL unavailable") == 1, log[-3000:]
        assert log.count("PostgreSQL answers again") == 1, log[-3000:]


async def _assets_until(
    api: AsyncTestClient[Any],
    ids: list[str],
    done: Callable[[dict[str, Any]], bool],
    *,
    what: str,
    within: float,
    watch: ServiceProcess,
) -> list[dict[str, Any]]:
    """Poll the assets until ``done`` holds for each; fail at the deadline or when ``watch`` exits.
    No asset may fail meanwhile."""
    deadline = time.monotonic() + within
    while True:
        assets = [json_of(await api.get(f"/assets/{asset_id}")) for asset_id in ids]
        failed = [a for a in assets if a["status"] == "failed"]
        assert not failed, failed[0]["error"]
        if all(done(a) for a in assets):
            return assets
        watch.assert_running(f"while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"not every asset reached {what} within {within:g}s: {[a['status'] for a in assets]}")
        await asyncio.sleep(0.2)


def _probe_retries(asset: dict[str, Any]) -> int:
    return int(next(s["retries"] for s in asset["steps"] if s["name"] == "probe"))


async def test_store_down_longer_than_any_fixed_retry_budget_loses_nothing(
    api_key: str,
    make_settings: Callable[..., Settings],
    s3_server: DevS3,
    http: httpx.AsyncClient,
    process_logs: Path,
) -> None:
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    async with outlet(upstream) as store:
        # Two attempts per step and 2 s between retries: the old fixed budget was spent in seconds.
        settings = make_settings(
            DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{store.port}", DAM_JOB_MAX_TRIES=2,
            DAM_RETRY_MAX_DELAY=MAX_DELAY, DAM_WORKER_CONCURRENCY=6,
        )  # fmt: skip
        async with client_of(settings, api_key) as api:
            data = media.jpeg_with_exif()
            ids = [await ingest(api, http, data, f"queued-{n}.jpg", "image/jpeg") for n in range(6)]
            await store.down()
            down = time.monotonic()
            env = env_of(settings)
            async with dam("worker", env=env, log_dir=process_logs, log_level="info") as worker:
                # Every asset's first step meets the dead store more often than it had attempts.
                await _assets_until(
                    api, ids, lambda a: _probe_retries(a) >= 2, what="two retries", within=120, watch=worker
                )
                # A longer outage by hand: DAM_TEST_STORE_DOWN_SECONDS=150 (and --timeout=400).
                await asyncio.sleep(max(0.0, STORE_DOWN - (time.monotonic() - down)))
                await store.up()
                back = time.monotonic()
                outage = back - down
                assets = await _assets_until(
                    api,
                    ids,
                    lambda a: a["status"] == "ready",
                    what="ready",
                    within=60 + 2 * MAX_DELAY,
                    watch=worker,
                )
                recovered = time.monotonic() - back
        log = worker.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]
    assert log.count("object storage unavailable") == 1, log[-3000:]
    print(f"store down {outage:.0f}s; every asset ready {recovered:.1f}s after it returned")
    assert recovered < 30 + MAX_DELAY, recovered
    for asset in assets:
        assert sorted(r["kind"] for r in asset["renditions"]) == ["preview", "thumbnail"]  # nothing twice
        for step in asset["steps"]:
            assert step["state"] == "done"
            assert step["attempts"] == 1, step  # retries after faults are not attempts
        assert _probe_retries(asset) >= 2


async def test_work_resumes_within_seconds_of_a_store_outage_past_the_retry_cap(
    api_key: str,
    make_settings: Callable[..., Settings],
    s3_server: DevS3,
    http: httpx.AsyncClient,
    process_logs: Path,
) -> None:
    upstream = int(s3_server.endpoint_url.rsplit(":", 1)[1])
    cap = 16.0  # low, so the test is short; still far longer than a recovery may take
    async with outlet(upstream) as store:
        settings = make_settings(
            DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{store.port}", DAM_RETRY_MAX_DELAY=cap,
            DAM_WORKER_CONCURRENCY=4,
        )  # fmt: skip
        async with client_of(settings, api_key) as api:
            data = media.jpeg_with_exif()
            ids = [await ingest(api, http, data, f"parked-{n}.jpg", "image/jpeg") for n in range(4)]
            await store.down()
            async with dam("worker", env=env_of(settings), log_dir=process_logs, log_level="info") as worker:
                # Retries double from 1 s: from the fifth on each waits the cap (half of it at least,
                # with jitter), so the outage is longer than the cap.
                await _assets_until(
                    api, ids, lambda a: _probe_retries(a) >= 5, what="five retries", within=120, watch=worker
                )
                await store.up()
                back = time.monotonic()
                await _assets_until(
                    api, ids, lambda a: a["status"] == "ready", what="ready", within=60, watch=worker
                )
                recovered = time.monotonic() - back
        log = worker.log_path.read_text()
    print(f"every asset ready {recovered:.1f}s after the store returned (retry cap {cap:g}s)")
    assert "Traceback" not in log, log[-3000:]
    assert "object storage answers again" in log, log[-3000:]
    assert "waiting step job(s) resume now" in log, log[-3000:]
    assert recovered < cap / 2, recovered  # sooner than any retry waiting at the cap would have run


async def _log_says(process: ServiceProcess, text: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while text not in process.log_path.read_text():
        process.assert_running(f"before its log said {text!r}")
        if time.monotonic() > deadline:
            process.fail(f"its log did not say {text!r} within {within:g}s")
        await asyncio.sleep(0.1)


async def test_redis_restart_stops_no_worker_and_loses_nothing(
    api_key: str,
    make_settings: Callable[..., Settings],
    http: httpx.AsyncClient,
    database_url: str,
    process_logs: Path,
    tmp_path: Path,
) -> None:
    with RedisServer(tmp_path / "redis") as redis_server:
        settings = make_settings(DAM_REDIS_URL=redis_server.url)
        env = env_of(settings)
        async with (
            client_of(settings, api_key) as api,
            dam("worker", env=env, log_dir=process_logs, log_level="info") as worker,
            dam("bridge", env=env, log_dir=process_logs, log_level="info") as bridge,
        ):
            data = media.jpeg_with_exif()
            before = await ingest(api, http, data, "before.jpg", "image/jpeg")
            await wait_for_status(api, before, "ready", within=60, watch=[worker, bridge])

            redis_server.kill()  # no persistence: every queued job and event is gone with it
            await _log_says(worker, "Redis unavailable")
            # complete answers 202 only because the job is durably recorded (the outbox).
            during = await create(api, filename="during.jpg", size=len(data))
            assert (await put_single(http, during["upload"], data)).status_code == 200
            assert (await complete(api, during["id"])).status_code == 202
            conn = await asyncpg.connect(database_url)
            try:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM job_outbox WHERE asset_id = $1::uuid", during["id"]
                )
            finally:
                await conn.close()
            assert waiting == 1
            # An object that lands now: its event reaches the bridge after Redis is back.
            late = await create(api, filename="late.jpg", size=len(data))
            assert (await put_single(http, late["upload"], data)).status_code == 200
            await _log_says(bridge, "Redis unavailable")

            redis_server.start()
            back = time.monotonic()
            await wait_for_status(
                api, during["id"], "ready", within=RECOVERY_DEADLINE, watch=[worker, bridge]
            )
            recovered = time.monotonic() - back
            events = Redis.from_url(redis_server.url)
            try:
                await events.rpush(
                    settings.worker.events_key, minio_entry(settings.s3.bucket, late["storage_path"])
                )
            finally:
                await events.aclose()
            await wait_for_status(api, late["id"], "ready", within=RECOVERY_DEADLINE, watch=[worker, bridge])
            worker.assert_running("after the Redis restart")
            bridge.assert_running("after the Redis restart")
    assert recovered < 15, f"ready {recovered:.1f}s after Redis returned"
    for process in (worker, bridge):
        log = process.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
        assert log.count("Redis unavailable") == 1, log[-3000:]
