"""compose.yaml and the Dockerfile are wired the way the native stack runs (no Docker engine here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dam.cli import build_parser
from dam.settings import ENV_VARS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_every_service_the_design_needs(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres", "redis", "minio", "minio-init", "migrate", "setup-store", "api", "worker", "transcode",
        "enrich", "bridge",
    }  # fmt: skip
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")
    assert set(compose["volumes"]) >= {"pgdata", "miniodata"}


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name in ("minio", "minio-init"):
        image = compose["services"][name]["image"]
        assert re.search(r":RELEASE\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z$", image), image


def test_services_run_the_native_commands(compose: dict[str, Any]) -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    for service, command in {
        "api": "api",
        "worker": "worker",
        "bridge": "bridge",
        "migrate": "migrate",
        "setup-store": "setup-store",
    }.items():
        assert compose["services"][service]["command"] == ["dam", command]
        assert command in commands


def test_minio_notifies_redis_in_access_format(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]["environment"]
    dam = compose["services"]["api"]["environment"]
    assert minio["MINIO_NOTIFY_REDIS_ENABLE_DAM"] == "on"
    assert minio["MINIO_NOTIFY_REDIS_ADDRESS_DAM"] == "redis:6379"
    assert minio["MINIO_NOTIFY_REDIS_FORMAT_DAM"] == "access"
    assert minio["MINIO_NOTIFY_REDIS_KEY_DAM"] == dam["DAM_EVENTS_KEY"]
    assert minio["MINIO_NOTIFY_REDIS_QUEUE_DIR_DAM"].startswith("/data/")
    init = " ".join(compose["services"]["minio-init"]["command"])
    assert "mc mb --ignore-existing" in init
    assert "arn:minio:sqs::DAM:redis" in init
    assert "--event put" in init


def test_browser_cors_and_public_url(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]["environment"]
    dam = compose["services"]["api"]["environment"]
    # Players follow the stream's 302 into storage with `Origin: null`: any origin may read.
    assert minio["MINIO_API_CORS_ALLOW_ORIGIN"] == "*"
    assert dam["DAM_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert "localhost:9000" in dam["DAM_S3_PUBLIC_URL"]
    assert compose["services"]["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert set(dam) <= set(ENV_VARS), set(dam) - set(ENV_VARS)


def test_start_order_is_enforced(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "minio", "api"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["minio-init"]["depends_on"] == {"minio": {"condition": "service_healthy"}}
    for name in ("api", "worker", "transcode", "bridge"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["minio-init"]["condition"] == "service_completed_successfully"
        assert deps["setup-store"]["condition"] == "service_completed_successfully"
        assert deps["redis"]["condition"] == "service_healthy"
    assert services["setup-store"]["depends_on"] == {
        "minio-init": {"condition": "service_completed_successfully"}
    }


def test_dockerfile_is_multi_stage_slim_and_not_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(stages) == 3  # the web app's build, the Python build, the runtime image
    assert all("slim" in s for s in stages)
    app, build, final = text.split("\nFROM ", 3)[1:]
    assert "USER dam" in final
    assert "pip install" not in final
    assert "apt-get" not in text
    for needed in ("migrations", "alembic.ini"):
        assert needed in final
    # The web app's build joins the package data before the wheel is built; the development tools
    # (src/dam_dev/) are never copied, so nothing needs deleting.
    assert "npm ci" in app
    assert "package-lock.json" in app
    assert build.index("COPY --from=app /src/dam/web/app ./src/dam/web/app") < build.index("pip install")
    assert "COPY src/dam " in build
    assert not re.search(r"COPY (\S+ )*src(/dam_dev)?/? ", text)  # not src/ as a whole, nor the tools
    assert not re.search(r"\brm\b", text)


def test_a_worker_for_every_queue() -> None:
    from dam.cli import stack_commands
    from dam.domain.steps import Queue

    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    served = {
        svc["command"][svc["command"].index("--queue") + 1] if "--queue" in svc["command"] else "media"
        for svc in services.values()
        if svc.get("command", [])[:2] == ["dam", "worker"]
    }
    assert served == {q.value for q in Queue}
    run = [c for c in stack_commands().values() if c[0] == "worker"]
    assert {c[c.index("--queue") + 1] for c in run} == {q.value for q in Queue}


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True, check=False).returncode != 0,
    reason="the docker compose plugin is not installed on this machine",
)
def test_docker_compose_config_validates() -> None:
    result = subprocess.run(
        ["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
