"""``dam upload`` against the real stack: a mixed folder, a re-run, --wait, an interrupted multipart."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from dam.settings import MiB, Settings
from dam_dev.devs3 import free_ports
from tests.support import media
from tests.support.accounts import bearer
from tests.support.config import ROOT
from tests.support.flows import first_part_stored
from tests.support.net import slow_proxy
from tests.support.processes import ServiceProcess, dam, dam_args, env_of


def api_process(settings: Settings, log_dir: Path, **env: str) -> tuple[ServiceProcess, str]:
    """`dam api` for these settings on a free port (not started yet), and its base URL."""
    (port,) = free_ports(1)
    process = dam("api", env=env_of(settings, DAM_PORT=str(port), **env), log_dir=log_dir)
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def api_url(settings: Settings, process_logs: Path) -> Iterator[str]:
    """The API as a real server process, as the CLI would find it."""
    process, url = api_process(settings, process_logs)
    with process:
        process.wait_healthy(url + "/health")
        yield url


def upload(
    api: str, *paths: Path, key: str, extra: tuple[str, ...] = (), by_env: bool = False
) -> tuple[int, list[dict[str, Any]]]:
    """``dam upload`` with the key as ``--api-key``, or (``by_env``) in ``DAM_API_KEY``."""
    env = {k: v for k, v in os.environ.items() if k != "DAM_API_KEY"}
    if by_env:
        env["DAM_API_KEY"] = key
    else:
        extra = ("--api-key", key, *extra)
    result = subprocess.run(
        dam_args("upload", *map(str, paths), "--api", api, "--json", *extra),
        capture_output=True, cwd=ROOT, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert result.stdout, result.stderr.decode()
    return result.returncode, msgspec.json.decode(result.stdout)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "album").mkdir()
    (tmp_path / "photo.jpg").write_bytes(media.jpeg_with_exif())
    (tmp_path / "album" / "alpha.png").write_bytes(media.png_with_alpha())
    (tmp_path / "album" / "clip.mp4").write_bytes(media.mp4(seconds=1.0))
    (tmp_path / "take.wav").write_bytes(media.audio_file("wav", "pcm_s16le", seconds=1.0))
    (tmp_path / "notes.txt").write_text("not media")
    (tmp_path / "big.mp4").write_bytes(media.noisy_mp4(frames=40))
    return tmp_path


async def test_folder_upload_then_rerun_uploads_nothing_twice(
    api_url: str, folder: Path, api_key: str
) -> None:
    big = (folder / "big.mp4").stat().st_size
    assert big > 8 * MiB  # above the test multipart threshold
    code, outcomes = await asyncio.to_thread(upload, api_url, folder, key=api_key, extra=("--recursive",))
    assert code == 0, outcomes
    by_name = {Path(o["path"]).name: o for o in outcomes}
    assert by_name["notes.txt"]["status"] == "skipped"
    assert "not a format the service processes" in by_name["notes.txt"]["detail"]
    for name in ("photo.jpg", "alpha.png", "clip.mp4", "take.wav", "big.mp4"):
        assert by_name[name]["status"] == "uploaded", by_name[name]
    assert by_name["big.mp4"]["parts_sent"] == -(-big // (5 * MiB))
    assert by_name["big.mp4"]["bytes_sent"] == big
    async with httpx.AsyncClient(headers=bearer(api_key)) as client:
        asset = (await client.get(f"{api_url}/assets/{by_name['big.mp4']['asset_id']}")).json()
        assert asset["status"] == "uploaded"
        assert asset["stored_size"] == big

    code, again = await asyncio.to_thread(upload, api_url, folder, key=api_key, extra=("--recursive",))
    assert code == 0
    statuses = {Path(o["path"]).name: o["status"] for o in again}
    assert statuses == {**dict.fromkeys(by_name, "skipped")}
    assert sum(o["bytes_sent"] for o in again) == 0
    assert {o["asset_id"] for o in again if o["asset_id"]} == {
        o["asset_id"] for o in outcomes if o["asset_id"]
    }


async def test_wait_reports_processing_results(
    settings: Settings, api_url: str, tmp_path: Path, process_logs: Path, api_key: str
) -> None:
    (tmp_path / "good.png").write_bytes(media.png_with_alpha())
    (tmp_path / "bad.jpg").write_bytes(b"this is text, not a jpeg" * 20)
    async with dam("worker", env=env_of(settings), log_dir=process_logs):
        code, outcomes = await asyncio.to_thread(
            upload, api_url, tmp_path, key=api_key, extra=("--wait", "--timeout", "60"), by_env=True
        )
    by_name = {Path(o["path"]).name: o for o in outcomes}
    assert by_name["good.png"]["status"] == "ready"
    assert by_name["bad.jpg"]["status"] == "failed"
    assert "not a readable JPEG image" in by_name["bad.jpg"]["detail"]
    assert code == 1  # something failed


async def test_audio_only_asf_is_processed_as_audio_whatever_its_extension(
    settings: Settings, api_url: str, tmp_path: Path, process_logs: Path, api_key: str
) -> None:
    """A WMA goes as audio/x-ms-wma; the same bytes named .asf go as video/x-ms-asf (the extension
    and the bytes say ASF) and the probe finds the audio it is: both end ready, with a waveform."""
    from tests.support.corpus import run

    wma = tmp_path / "song.wma"
    run(
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:a", "wmav2",
        "-metadata", "title=Windows Tune", wma,
    )  # fmt: skip
    (tmp_path / "song.asf").write_bytes(wma.read_bytes())
    async with dam("worker", env=env_of(settings), log_dir=process_logs):
        code, outcomes = await asyncio.to_thread(
            upload, api_url, tmp_path, key=api_key, extra=("--wait", "--timeout", "60")
        )
    assert code == 0, outcomes
    by_name = {Path(o["path"]).name: o for o in outcomes}
    async with httpx.AsyncClient(headers=bearer(api_key)) as client:
        for name, declared in (("song.wma", "audio/x-ms-wma"), ("song.asf", "video/x-ms-asf")):
            assert by_name[name]["status"] == "ready", by_name[name]
            asset = (await client.get(f"{api_url}/assets/{by_name[name]['asset_id']}")).json()
            assert asset["content_type"] == declared
            assert (asset["media"]["kind"], asset["media"]["format"]) == ("audio", "WMA")
            assert asset["media"]["tags"]["title"] == "Windows Tune"
            assert {r["kind"] for r in asset["renditions"]} == {"waveform", "peaks"}


@pytest.mark.slow
async def test_interrupted_multipart_upload_resumes(
    settings: Settings, tmp_path: Path, process_logs: Path, api_key: str
) -> None:
    data = media.noisy_mp4(frames=40)
    path = tmp_path / "long.mp4"
    path.write_bytes(data)
    s3_port = int(settings.s3.endpoint_url.rsplit(":", 1)[1])
    async with slow_proxy(s3_port, delay=0, upload_delay=0.004) as proxy:
        server, api = api_process(settings, process_logs, DAM_S3_PUBLIC_URL=f"http://127.0.0.1:{proxy}")
        async with server:
            await server.healthy(api + "/health")
            upload_cli = dam(
                "upload",
                str(path),
                "--api",
                api,
                "--api-key",
                api_key,
                "--json",
                log_dir=process_logs,
                log_level=None,
            )
            async with upload_cli:
                asset_id = await first_part_stored(api, "long.mp4", api_key)
                upload_cli.kill()  # mid-transfer
            code, outcomes = await asyncio.to_thread(upload, api, path, key=api_key)
            async with httpx.AsyncClient(timeout=60, headers=bearer(api_key)) as client:
                asset = (await client.get(f"{api}/assets/{asset_id}")).json()
                listed = (await client.get(f"{api}/assets?sha256={hashlib.sha256(data).hexdigest()}")).json()
            async with httpx.AsyncClient(timeout=60) as storage:
                stored = (await storage.get(asset["download_url"])).content
    (outcome,) = outcomes
    assert code == 0, outcome
    assert outcome["status"] == "resumed"
    assert outcome["asset_id"] == asset_id
    total = -(-len(data) // (5 * MiB))
    assert 0 < outcome["parts_sent"] < total  # only what storage did not hold yet
    assert asset["status"] == "uploaded"
    assert stored == data
    same = [item["id"] for item in listed["items"] if item["filename"] == "long.mp4"]
    assert same == [asset_id]  # one asset, not two
