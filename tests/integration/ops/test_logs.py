"""JSON logs (``DAM_LOG_FORMAT=json``): every line of the API and a worker is one JSON object with
the process, the request's or the job's ids as fields, and no secret, whatever the requests were."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from dam.domain.accounts import Workspace
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.flows import wait_for_status
from tests.support.processes import dam, env_of

FIELDS = {"ts", "level", "logger", "message", "process"}


def lines_of(path: Path) -> list[dict[str, Any]]:
    """Every line of a log, each decoded as one JSON object (a line that is not fails the test)."""
    lines = []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"{path.name}:{number} is not JSON: {line!r}") from None
        assert isinstance(record, dict), line
        assert record.keys() >= FIELDS, line
        lines.append(record)
    return lines


def url_secrets(url: str) -> list[str]:
    """The signature and credential of a presigned URL."""
    query = parse_qs(urlsplit(url).query)
    return [value for name in ("X-Amz-Signature", "X-Amz-Credential") for value in query.get(name, [])]


async def test_json_logs_carry_ids_as_fields_and_no_secret(
    settings: Settings, identities: Identities, workspace: Workspace, process_logs: Path
) -> None:
    key = await identities.key(workspace, "admin")
    email, password = await identities.user(workspace, "editor")
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    env = env_of(settings, DAM_PORT=str(port), DAM_LOG_FORMAT="json")
    api_process = dam("api", env=env, log_dir=process_logs, log_level="info")
    worker = dam("worker", env=env, log_dir=process_logs, log_level="info")
    secrets = [key, password, "a wrong password 42", "a long share password 1"]
    async with (
        api_process,
        worker,
        httpx.AsyncClient(base_url=base, headers=bearer(key), timeout=30) as api,
        httpx.AsyncClient(timeout=30) as store,
    ):
        await api_process.healthy(base + "/health")
        data = media.jpeg_with_exif()
        made = await api.post(
            "/assets",
            json={"filename": "a.jpg", "content_type": "image/jpeg", "size": len(data)},
            headers={"X-Request-ID": "upload-1.a_b"},
        )
        assert made.status_code == 201, made.text
        assert made.headers["x-request-id"] == "upload-1.a_b"
        created = made.json()
        secrets += url_secrets(created["upload"]["url"])
        put = await store.put(created["upload"]["url"], content=data, headers=created["upload"]["headers"])
        assert put.status_code == 200
        # An id that is not a sane token is replaced by one of the API's own.
        done = await api.post(f"/assets/{created['id']}/complete", headers={"X-Request-ID": "no spaces!"})
        assert done.status_code == 202
        assert re.fullmatch(r"[0-9a-f]{32}", done.headers["x-request-id"]), done.headers
        asset = await wait_for_status(api, created["id"], "ready", 60, watch=[api_process, worker])
        for rendition in asset["renditions"]:
            secrets += url_secrets(rendition["url"])

        share = await api.post(
            f"/assets/{created['id']}/shares",
            json={"expires_in": 600, "download": True, "password": "a long share password 1"},
        )
        assert share.status_code == 201, share.text
        share_token = share.json()["url"].rsplit("/", 1)[1]
        upload_token = (await api.post("/upload-tokens", json={"expires_in": 600})).json()["token"]
        secrets += [share_token, upload_token]
        anonymous = {"Authorization": ""}
        assert (await api.get(f"/s/{share_token}", headers=anonymous)).status_code == 302
        unlock = await api.post(
            f"/shares/{share_token}/unlock", json={"password": "a wrong password 42"}, headers=anonymous
        )
        assert unlock.status_code == 401
        params = await api.get(
            f"/uploads/{upload_token}/s3/params", params={"filename": "b.jpg", "type": "image/jpeg"},
            headers=anonymous,
        )  # fmt: skip
        assert params.status_code == 200, params.text
        secrets += url_secrets(params.json()["url"] + "?" + "&".join(
            f"{k}={v}" for k, v in params.json().get("fields", {}).items()
        ))  # fmt: skip
        wrong = await api.post(
            "/auth/login", json={"email": email, "password": "a wrong password 42"}, headers=anonymous
        )
        assert wrong.status_code == 401
        assert wrong.headers["x-request-id"]
        signed = await api.post("/auth/login", json={"email": email, "password": password}, headers=anonymous)
        assert signed.status_code == 200, signed.text
        secrets += [value for value in signed.cookies.values() if len(value) > 16]
        forged_stream = "zzzzzz.-.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        secrets.append(forged_stream)
        stream_url = f"/stream/{forged_stream}/{created['id']}/hls/master.m3u8"
        streamed = await api.get(stream_url, headers=anonymous)
        assert streamed.status_code == 403
        missing = await api.get("/no/such/route", headers={"X-Request-ID": "unrouted-1"})
        assert missing.status_code == 404
        assert missing.headers["x-request-id"] == "unrouted-1"

    api_lines, worker_lines = lines_of(api_process.log_path), lines_of(worker.log_path)
    assert {line["process"] for line in api_lines} == {"api"}
    assert {line["process"] for line in worker_lines} == {"worker:media"}
    requests = [line for line in api_lines if line["logger"] == "dam.request"]
    assert requests, api_lines
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,64}", line["request_id"]) for line in requests), requests
    assert any(line["request_id"] == "upload-1.a_b" and line["route"] == "/assets" for line in requests)
    steps = [line for line in worker_lines if line.get("asset_id") == created["id"] and "step" in line]
    assert steps, worker_lines
    assert all(line["job_id"] for line in steps), steps
    assert {line["step"] for line in steps} >= {"probe"}, steps
    everything = api_process.log_path.read_text() + worker.log_path.read_text()
    secrets = [secret for secret in secrets if secret]
    assert len(secrets) >= 8, secrets
    for secret in secrets:
        assert secret not in everything, f"a secret reached a log: {secret!r}"
