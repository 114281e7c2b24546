"""A Python client generated from the served OpenAPI document drives the whole ingest sequence.

openapi-python-client (a third party) reads ``/docs/openapi.json`` from a running API; the client it
writes is imported and used by ``tests/tools/client_flow.py`` under the tools venv's interpreter,
against the real API, worker, PostgreSQL, Redis and SeaweedFS.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.config import ROOT
from tests.support.processes import dam, env_of
from tests.support.tools import TOOLS_BIN, tool

pytestmark = pytest.mark.slow

CONFIG = "project_name_override: dam-client\npackage_name_override: dam_client\n"


def test_a_generated_client_runs_the_ingest_sequence(
    settings: Settings, process_logs: Path, tmp_path: Path, api_key: str
) -> None:
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    env = env_of(settings, DAM_PORT=str(port))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(media.jpeg_with_exif())
    (tmp_path / "config.yaml").write_text(CONFIG)
    tools_env = {**os.environ, "PATH": f"{TOOLS_BIN}:{os.environ['PATH']}"}
    with dam("api", env=env, log_dir=process_logs) as api, dam("worker", env=env, log_dir=process_logs):
        api.wait_healthy(f"{base}/ready")
        generated = subprocess.run(
            [tool("openapi-python-client"), "generate", "--url", f"{base}/docs/openapi.json",
             "--meta", "none", "--config", tmp_path / "config.yaml",
             "--output-path", tmp_path / "dam_client"],
            capture_output=True, text=True, timeout=120, env=tools_env, check=False,
        )  # fmt: skip
        report = generated.stdout + generated.stderr
        assert generated.returncode == 0, report
        assert "Unable to" not in report, report  # a schema the generator had to drop
        flow = subprocess.run(
            [tool("python"), ROOT / "tests" / "tools" / "client_flow.py", base, photo, api_key],
            capture_output=True, text=True, timeout=300, env={**tools_env, "PYTHONPATH": str(tmp_path)},
            check=False,
        )  # fmt: skip
    assert flow.returncode == 0, flow.stdout + flow.stderr
    seen = json.loads(flow.stdout.strip().splitlines()[-1])
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert seen["health"] == 200
    assert seen["ready"] == 200
    assert seen["anonymous_list"] == 401
    assert seen["single_put"] == 200
    assert seen["complete_status"] == 202
    assert seen["single_ready"]["sha256"] == digest
    assert {"thumbnail", "preview"} <= set(seen["single_ready"]["kinds"])
    assert seen["download_sha256"] == digest
    assert seen["multipart"] == {"parts": 2, "complete_status": 202, "stored_size": 5 * 1024 * 1024 + 4096}
    assert set(seen["ids"].values()) <= set(seen["listed"])
    assert seen["reprocess_status"] == 202
    assert seen["errors"] == {"unknown": "not_found", "refused": [422, "invalid_input"]}
    assert seen["delete_status"] == 204
    assert seen["trashed_status"] == "trashed"
    # Back as it was: ready or failed as before, processed again from the start when it was not done.
    was = seen["before_delete"]
    assert seen["restored_status"] == (was if was in ("ready", "failed") else "uploaded"), seen
    assert seen["purge_status"] == 204
    assert seen["deleted_status"] == "deleted"
