"""What must not reach production: a forged Host (URLs are built from DAM_PUBLIC_URL or an allowed
host), the development store secret, a derived stream key, no public URL."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from dam.api.app import create_app
from dam.domain.accounts import Workspace
from dam.settings import Settings
from tests.support.accounts import Identities, bearer
from tests.support.config import ROOT
from tests.support.processes import dam_args, env_of


async def test_a_forged_host_is_refused_before_any_url_is_built(
    make_settings: Callable[..., Settings], api_key: str
) -> None:
    settings = make_settings(DAM_ALLOWED_HOSTS="")  # the default: loopback names only
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://127.0.0.1:8000") as api:
        api.headers.update(bearer(api_key))
        forged = await api.post("/upload-tokens", json={"expires_in": 600}, headers={"Host": "evil.example"})
        assert forged.status_code == 400, forged.text
        assert forged.json()["error"] == "invalid_host"
        assert "evil.example" in forged.json()["detail"]
        assert (await api.get("/assets", headers={"Host": "evil.example:8000"})).status_code == 400
        # Probes build no URL: an orchestrator may probe a pod by its address.
        assert (await api.get("/health", headers={"Host": "10.1.2.3:8000"})).status_code == 200
        made = await api.post("/upload-tokens", json={"expires_in": 600})
        assert made.status_code == 201, made.text
        assert made.json()["companion_endpoint"].startswith("http://127.0.0.1:8000/uploads/dam_up_")


async def test_urls_come_from_the_public_url_whatever_the_host(
    make_settings: Callable[..., Settings], identities: Identities
) -> None:
    settings = make_settings(DAM_PUBLIC_URL="https://dam.example.test", DAM_ALLOWED_HOSTS="*")
    workspace: Workspace = await identities.workspace()
    key = await identities.key(workspace, "admin")
    async with AsyncTestClient(app=create_app(settings)) as api:
        api.headers.update(bearer(key))
        made = await api.post("/upload-tokens", json={"expires_in": 600}, headers={"Host": "evil.example"})
    assert made.status_code == 201, made.text
    assert made.json()["companion_endpoint"].startswith("https://dam.example.test/uploads/dam_up_")


def run_dam(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        dam_args(*args), env=env_of(settings, **env), cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    "process", [["api"], ["worker", "--queue", "media"], ["worker", "--queue", "transcode"]]
)
def test_serving_processes_refuse_development_defaults(settings: Settings, process: list[str]) -> None:
    production: dict[str, Any] = {"DAM_DEV": "false", "DAM_S3_SECRET_KEY": "minio123"}
    refused = run_dam(settings, *process, **production)
    assert refused.returncode != 0
    assert "refusing to start outside development" in refused.stderr
    assert "DAM_S3_SECRET_KEY" in refused.stderr
    assert "DAM_STREAM_SECRET" in refused.stderr
    assert ("DAM_PUBLIC_URL" in refused.stderr) == (process == ["api"])


def test_one_shot_commands_run_with_development_defaults(settings: Settings) -> None:
    made = run_dam(
        settings, "admin", "create-key", "--workspace", "prod-check", "--role", "viewer", DAM_DEV="false"
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1].startswith("dam_live_")
