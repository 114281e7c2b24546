"""A worker sent SIGTERM takes no new job, lets its running steps finish within
``DAM_WORKER_SHUTDOWN_GRACE``, then gives them back without counting an attempt: another worker
finishes them."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.settings import Settings
from tests.support import media
from tests.support.accounts import client_of
from tests.support.flows import ingest, json_of
from tests.support.net import slow_proxy
from tests.support.processes import ServiceProcess, dam, env_of


async def running_step(api: AsyncTestClient[Any], asset_id: str, worker: ServiceProcess) -> str:
    """The name of the asset's step that is running now (polled against a deadline)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        steps = json_of(await api.get(f"/assets/{asset_id}"))["steps"]
        running = [s["name"] for s in steps if s["state"] == "running"]
        if running:
            return str(running[0])
        worker.assert_running("before a step of the asset ran")
        await asyncio.sleep(0.05)
    pytest.fail(f"no step of asset {asset_id} ran within 60s")


async def sigterm(worker: ServiceProcess, within: float) -> float:
    """SIGTERM, then wait for the exit (code 0) within ``within`` seconds; how long it took."""
    began = time.monotonic()
    worker.process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(worker.process.wait, within)
    assert code == 0, worker.describe()
    return time.monotonic() - began


def step_of(asset: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in asset["steps"] if s["name"] == name)


async def test_sigterm_mid_step_gives_the_step_back_uncounted_for_another_worker(
    api_key: str, make_settings: Callable[..., Settings], http: httpx.AsyncClient, run_jobs: Any,
    process_logs: Path,
) -> None:  # fmt: skip
    settings = make_settings(DAM_WORKER_SHUTDOWN_GRACE="0.5")
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.big_jpeg(), "slow.jpg", "image/jpeg")
        s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
        async with slow_proxy(s3_port, delay=0.5) as proxy_port:
            env = env_of(settings, DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
            async with dam("worker", env=env, log_dir=process_logs, log_level="info") as worker:
                name = await running_step(api, asset_id, worker)
                took = await sigterm(worker, within=30)
        assert took < 20, f"the worker took {took:.1f}s to stop with a grace of 0.5s"
        log = worker.log_path.read_text()
        assert "Traceback" not in log, log[-3000:]
        given_back = step_of(json_of(await api.get(f"/assets/{asset_id}")), name)
        assert given_back["state"] == "pending", given_back
        assert given_back["attempts"] == 0, given_back
        # Another worker finishes it, and the interrupted attempt was never counted.
        await asyncio.wait_for(run_jobs(settings=settings), timeout=120)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready", asset["error"]
        assert step_of(asset, name)["attempts"] == 1, asset["steps"]


async def test_sigterm_lets_running_steps_finish_within_the_grace(
    api_key: str, make_settings: Callable[..., Settings], http: httpx.AsyncClient, process_logs: Path
) -> None:
    settings = make_settings(DAM_WORKER_SHUTDOWN_GRACE="60")
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(api, http, media.big_jpeg(), "slow.jpg", "image/jpeg")
        s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
        async with slow_proxy(s3_port, delay=0.2) as proxy_port:
            env = env_of(settings, DAM_S3_ENDPOINT_URL=f"http://127.0.0.1:{proxy_port}")
            async with dam("worker", env=env, log_dir=process_logs, log_level="info") as worker:
                await running_step(api, asset_id, worker)
                await sigterm(worker, within=90)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready", asset
        assert all(s["attempts"] == 1 for s in asset["steps"]), asset["steps"]
