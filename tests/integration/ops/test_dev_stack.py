"""``dam run`` (``make run``) on a new database with ``DAM_LOG_FORMAT=json``: only JSON lines, the
process of each a field; the first admin's password in ``.dev/first-admin.txt`` (mode 0600), never
on the terminal."""

from __future__ import annotations

import asyncio
import json
import signal
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from dam.admin import DEV_ADMIN
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.databases import throwaway_database
from tests.support.processes import env_of

pytestmark = pytest.mark.slow


@pytest.fixture
async def empty_database() -> AsyncIterator[str]:
    async with throwaway_database("dam_run") as url:
        yield url


async def test_dam_run_writes_json_lines_and_the_first_admin_file(
    settings: Settings, empty_database: str, tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    env = env_of(settings, DAM_DATABASE_URL=empty_database, DAM_PORT=str(port), DAM_LOG_FORMAT="json")
    env.pop("DAM_S3_ENDPOINT_URL")  # dam run starts its own store
    env.pop("DAM_STREAM_SECRET")
    out_path = tmp_path / "stack.out"
    with out_path.open("wb") as out:
        # From a folder of its own: .dev/ (the store's data, the stream key, the admin file) lands there.
        stack = subprocess.Popen(  # noqa: ASYNC220 - started once; its waits are off the loop
            [sys.executable, "-m", "dam.cli", "run", "--any-ports", "--dev-dir", str(tmp_path / "weed")],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as api:
                while True:
                    assert stack.poll() is None, out_path.read_text()
                    try:
                        if (await api.get("/ready")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert time.monotonic() < deadline, out_path.read_text()[-3000:]
                    await asyncio.sleep(0.2)
                admin_file = tmp_path / ".dev" / "first-admin.txt"
                assert stat.S_IMODE(admin_file.stat().st_mode) == 0o600
                password = admin_file.read_text().strip()
                signed = await api.post("/auth/login", json={"email": DEV_ADMIN, "password": password})
                assert signed.status_code == 200, signed.text
        finally:
            stack.send_signal(signal.SIGINT)
            try:
                await asyncio.to_thread(stack.wait, 60)
            except subprocess.TimeoutExpired:
                stack.kill()
                raise
    text = out_path.read_text()
    assert password not in text
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    processes = {line["process"] for line in lines}
    assert {"cli:run", "api", "worker:media", "worker:transcode"} <= processes, processes
    told = " ".join(line["message"] for line in lines if line["process"] == "cli:run")
    assert str(Path(".dev") / "first-admin.txt") in told, told
    assert DEV_ADMIN in told, told
