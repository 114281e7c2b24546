"""Logs never hold a bearer secret: `dam api` logs route templates, not paths (share, upload, stream
and invitation tokens ride in paths), and uvicorn's access log is off."""

from __future__ import annotations

from pathlib import Path

import httpx

from dam.domain.accounts import Workspace
from dam.settings import Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import Identities, bearer
from tests.support.processes import dam, env_of


async def test_no_token_reaches_the_api_log(
    settings: Settings, identities: Identities, workspace: Workspace, process_logs: Path
) -> None:
    key = await identities.key(workspace, "admin")
    (port,) = free_ports(1)
    base = f"http://127.0.0.1:{port}"
    process = dam("api", env=env_of(settings, DAM_PORT=str(port)), log_dir=process_logs, log_level="info")
    secrets: list[str] = []
    async with process, httpx.AsyncClient(base_url=base, headers=bearer(key), timeout=30) as api:
        await process.healthy(base + "/health")
        data = media.jpeg_with_exif()
        created = (
            await api.post(
                "/assets", json={"filename": "a.jpg", "content_type": "image/jpeg", "size": len(data)}
            )
        ).json()
        async with httpx.AsyncClient(timeout=30) as store:
            upload = created["upload"]
            assert (
                await store.put(upload["url"], content=data, headers=upload["headers"])
            ).status_code == 200
        assert (await api.post(f"/assets/{created['id']}/complete")).status_code == 202

        made = await api.post(
            f"/assets/{created['id']}/shares",
            json={"expires_in": 600, "download": True, "password": "a long share password 1"},
        )
        assert made.status_code == 201, made.text
        share = made.json()["url"].rsplit("/", 1)[1]
        token = (await api.post("/upload-tokens", json={"expires_in": 600})).json()["token"]
        forged_stream = "zzzzzz.-.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        secrets += [share, token, forged_stream, key]

        anonymous = {"Authorization": ""}
        assert (await api.get(f"/s/{share}", headers=anonymous)).status_code == 302  # to /app/s/...
        assert (await api.get(f"/app/s/{share}", headers=anonymous)).status_code in (200, 503)
        assert (await api.get(f"/shares/{share}", headers=anonymous)).status_code == 401
        wrong = await api.post(
            f"/shares/{share}/unlock", json={"password": "not it at all"}, headers=anonymous
        )
        assert wrong.status_code == 401
        params = await api.get(
            f"/uploads/{token}/s3/params",
            params={"filename": "b.jpg", "type": "image/jpeg"},
            headers=anonymous,
        )
        assert params.status_code == 200, params.text
        streamed = await api.get(
            f"/stream/{forged_stream}/{created['id']}/hls/master.m3u8", headers=anonymous
        )
        assert streamed.status_code == 403
        assert (await api.get(f"/uploads/{token}x/s3/params", headers=anonymous)).status_code == 401
    log = process.log_path.read_text(errors="replace")
    for secret in secrets:
        assert secret not in log, f"a secret reached the log:\n{log}"
    # The request lines are there, by template: the check above looked at a log that has them.
    assert '"GET /s/{token}" 302' in log, log
    assert '"GET /uploads/{token}/s3/params" 200' in log, log
    assert '"GET /stream/{token}/{asset_id}/{path}" 403' in log, log
