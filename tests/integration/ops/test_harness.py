"""The harness fails clearly, naming the broken step, against a broken deployment; it never hangs."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import msgspec
import pytest

from dam.harness.runner import run
from dam.harness.spec import Deadlines, Spec, load_spec
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.config import ROOT
from tests.support.processes import dam, env_of

SPEC = ROOT / "harness.yaml"


def quick(spec: Spec) -> Spec:
    return msgspec.structs.replace(spec, deadlines=Deadlines(startup=3, request=5, processing=4))


def test_harness_file_is_valid() -> None:
    spec = load_spec(SPEC)
    actions = {step.action for step in spec.steps}
    assert actions == {
        "wait_health", "health", "ready", "create", "upload", "complete", "wait_ready", "metadata", "stream",
        "download", "renditions",
    }  # fmt: skip
    assert {s.kind for s in spec.samples.values()} == {"image", "video"}


@pytest.mark.slow
async def test_wrong_base_url_fails_the_startup_step_within_its_deadline() -> None:
    (closed,) = free_ports(1)
    out = io.StringIO()
    code = await asyncio.wait_for(
        asyncio.to_thread(run, quick(load_spec(SPEC)), f"http://127.0.0.1:{closed}", out), timeout=30
    )
    assert code == 1
    lines = out.getvalue().splitlines()
    assert lines[1].startswith("FAIL  startup")
    assert "did not answer 200 within 3s" in lines[1]
    assert "FAILED" in lines[-1]


@pytest.mark.slow
async def test_stopped_worker_fails_the_ready_step(
    settings: Settings, process_logs: Path, api_key: str
) -> None:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    out = io.StringIO()
    async with dam("api", env=env_of(settings, DAM_PORT=str(port)), log_dir=process_logs) as api:
        await api.healthy(url + "/health")
        spec = msgspec.structs.replace(
            quick(load_spec(SPEC)), deadlines=Deadlines(startup=30, processing=3, stream=3)
        )
        code = await asyncio.wait_for(asyncio.to_thread(run, spec, url, out, api_key), timeout=90)
    text = out.getvalue()
    assert code == 1, text
    assert "PASS  complete image upload" in text
    failed = [line for line in text.splitlines() if line.startswith("FAIL")]
    assert failed[0].startswith("FAIL  image becomes ready"), text
    assert "is a worker running?" in failed[0]
