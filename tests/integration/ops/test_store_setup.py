"""``dam setup-store`` makes the bucket and its CORS rules once (idempotent); the API only checks the
store at start-up and refuses a bucket that was never set up, naming the command."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from types_aiobotocore_s3 import S3Client

from dam.api.app import create_app
from dam.settings import Settings
from dam.startup import API, StoreNotSetUp, started
from dam_dev.devs3 import free_ports
from tests.support.config import ROOT
from tests.support.processes import dam, dam_args, env_of


def setup_store(settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        dam_args("setup-store", log_level="info"), env=env_of(settings), cwd=ROOT, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_setup_store_makes_the_bucket_and_its_cors_once(
    make_settings: Callable[..., Settings], s3: S3Client
) -> None:
    settings = make_settings(store=False, DAM_CORS_ORIGINS="http://setup.example.test")
    with pytest.raises(StoreNotSetUp, match="dam setup-store"):
        async with started(settings, API):
            pass
    for _ in range(2):  # idempotent: a second run changes nothing and succeeds
        done = setup_store(settings)
        assert done.returncode == 0, done.stderr
    await s3.head_bucket(Bucket=settings.s3.bucket)
    rules = (await s3.get_bucket_cors(Bucket=settings.s3.bucket))["CORSRules"]
    assert any("http://setup.example.test" in rule.get("AllowedOrigins", []) for rule in rules), rules
    async with AsyncTestClient(app=create_app(settings)) as api:
        ready = await api.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_the_api_process_refuses_a_store_not_set_up(
    make_settings: Callable[..., Settings], process_logs: Path
) -> None:
    settings = make_settings(store=False)
    (port,) = free_ports(1)
    process = dam("api", env=env_of(settings, DAM_PORT=str(port)), log_dir=process_logs, log_level="info")
    with process:
        process.process.wait(timeout=60)
    assert process.returncode != 0
    log = process.log_path.read_text()
    assert "dam setup-store" in log, log
    assert settings.s3.bucket in log, log
