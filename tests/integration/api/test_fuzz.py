"""A bounded schemathesis run driven by the served OpenAPI document: no server error, and every answer
conforms to the document (status codes, content types, headers, bodies), with invalid data refused.

schemathesis (a third party, from ``.venv-tools``) generates valid and invalid requests for every
operation, then follows the document's links in a stateful phase (create, then upload, complete,
reprocess, get, delete the created asset), against a served API and worker on the real services.
Two of its checks do not apply: ``positive_data_acceptance`` (data the schema allows but the service
refuses with 422: a file name with a look-alike slash; an id of no asset) and ``use_after_free``
(a deleted asset stays readable, with status ``deleted``, by design).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from redis.asyncio import Redis

from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support.config import ROOT
from tests.support.processes import dam, env_of
from tests.support.tools import tool

pytestmark = pytest.mark.slow

BUDGET = 120  # seconds of generation; the run stops by itself
EXAMPLES = 100  # per operation and phase


@pytest.mark.timeout(BUDGET + 180)
def test_fuzzing_finds_no_server_error_and_no_contract_violation(
    settings: Settings, process_logs: Path, tmp_path: Path, redis: Redis, api_key: str
) -> None:
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    env = env_of(settings, DAM_PORT=str(port))
    with dam("api", env=env, log_dir=process_logs) as api, dam("worker", env=env, log_dir=process_logs):
        api.wait_healthy(f"{base}/ready")
        run = subprocess.run(
            [tool("st"), "--config-file", ROOT / "tests" / "tools" / "schemathesis.toml", "run",
             f"{base}/docs/openapi.json", "--checks", "all", "--header", f"Authorization: Bearer {api_key}",
             "--exclude-checks", "positive_data_acceptance,use_after_free",
             "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(EXAMPLES),
             "--max-time", str(BUDGET), "--workers", "2", "--request-timeout", "30"],
            capture_output=True, text=True, timeout=BUDGET + 150, check=False, cwd=tmp_path,
        )  # fmt: skip
        api.assert_running("after the fuzzing run")
    report = _failures(run.stdout) + run.stdout[-20_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, report
    assert "passed" in report, report
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert f"✅ {phase}" in report, report
    assert "Traceback" not in api.log_tail(400), api.log_tail(400)


def _failures(output: str) -> str:
    """schemathesis's FAILURES section (each failing operation, its request and a curl to replay
    it), first in the report: a failure's details must survive a log that keeps only its start."""
    start = output.find("FAILURES")
    if start < 0:
        return ""
    end = min(
        (i for i in (output.find(" WARNINGS ", start), output.find(" SUMMARY ", start)) if i > 0), default=-1
    )
    return output[start : end if end > 0 else start + 8_000][:8_000] + "\n...\n"
