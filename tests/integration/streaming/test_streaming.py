"""Streaming end to end: upload a video, run the media and transcode workers, read `stream`, fetch
the playlists and MPD through the delivery path, follow its 302s into storage, decode what a player
would; tokens forged, expired or for another asset are refused."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from litestar.testing import AsyncTestClient
from types_aiobotocore_s3 import S3Client

from dam.domain import stream_access
from dam.domain.steps import Queue
from dam.settings import Settings
from tests.support import media
from tests.support.accounts import Identities, bearer, client_of
from tests.support.flows import ingest, json_of
from tests.support.processes import dam, env_of

pytestmark = pytest.mark.integration
BASE = "http://testserver.local"


async def streamed(
    api: AsyncTestClient[Any], run_jobs: Any, settings: Settings, asset_id: str
) -> dict[str, Any]:
    """The asset after its media steps, then its transcode steps, ran."""
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.TRANSCODE)
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    return asset


def _path(url: str) -> str:
    assert url.startswith(BASE + "/stream/"), url
    return url[len(BASE) :]


async def _text(api: AsyncTestClient[Any], path: str, content_type: str) -> str:
    response = await api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(content_type)
    return response.text


async def _follow(api: AsyncTestClient[Any], http: httpx.AsyncClient, path: str) -> bytes:
    """A file of the stream: a 302 from the API, then the bytes from storage, as a player after a
    cross-origin redirect asks for them (Origin: null)."""
    response = await api.get(path, follow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert "X-Amz-Signature=" in location
    stored = await http.get(location, headers={"Origin": "null"})
    assert stored.status_code == 200, stored.text
    # Any origin may read (SeaweedFS names the asking origin, as a browser accepts too).
    assert stored.headers.get("access-control-allow-origin") in {"*", "null"}
    return stored.content


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _top_boxes(data: bytes) -> list[bytes]:
    kinds, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = int.from_bytes(data[offset : offset + 4], "big"), data[offset + 4 : offset + 8]
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        kinds.append(kind)
        offset += max(size, 8)
    return kinds


def _decode(data: bytes, tmp_path: Path, name: str) -> int:
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,nb_read_frames",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not done.stderr.strip(), done.stderr
    return int(done.stdout.strip().splitlines()[0].split(",")[1])  # the first stream's frames


async def test_video_streams_through_the_delivery_path(
    make_settings: Callable[..., Settings],
    api_key: str,
    http: httpx.AsyncClient,
    run_jobs: Any,
    tmp_path: Path,
) -> None:
    settings = make_settings(DAM_LADDER_CHUNK_SECONDS=4)  # a 6 s clip: two chunks, two jobs
    async with client_of(settings, api_key) as api:
        asset_id = await ingest(
            api, http, media.mp4(seconds=6.0, width=480, height=360, fps=25), "clip.mp4", "video/mp4"
        )
        asset = await streamed(api, run_jobs, settings, asset_id)
        assert asset["status"] == "ready", asset["error"]
        steps = {s["name"]: s for s in asset["steps"]}
        assert steps["ladder"]["state"] == "done", steps["ladder"]["error"]
        assert steps["ladder"]["progress"] == 1
        assert steps["storyboard"]["state"] == "done"
        stream = asset["stream"]
        assert stream["status"] == "ready"
        assert stream["progress"] == 1
        assert [(v["width"], v["height"]) for v in stream["variants"]] == [(480, 360)]
        assert stream["variants"][0]["codecs"].startswith("avc1.64")
        master = await _text(api, _path(stream["hls_url"]), "application/vnd.apple.mpegurl")
        assert "#EXT-X-STREAM-INF" in master
        assert 'TYPE=AUDIO,GROUP-ID="aac"' in master
        base = _path(stream["hls_url"]).rsplit("/", 1)[0]
        for uri in [*_uris(master), "a/index.m3u8"]:
            rendition = uri.split("/")[0]
            playlist = await _text(api, f"{base}/{uri}", "application/vnd.apple.mpegurl")
            assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
            segments = _uris(playlist)
            assert segments == ["seg_00001.m4s", "seg_00002.m4s"]
            init = await _follow(api, http, f"{base}/{rendition}/init.mp4")
            body = b"".join([await _follow(api, http, f"{base}/{rendition}/{s}") for s in segments])
            frames = _decode(init + body, tmp_path, f"{rendition}.mp4")
            assert frames == (150 if rendition.startswith("v") else pytest.approx(282, abs=3))
        # The download MP4: the rung and the audio remuxed, its index first (plays while it downloads).
        download = next(r for r in asset["renditions"] if r["kind"] == "download_720p")
        assert (download["width"], download["height"], download["content_type"]) == (480, 360, "video/mp4")
        got = await http.get(download["url"])
        assert got.status_code == 200
        assert len(got.content) == download["bytes"]
        boxes = [kind for kind in _top_boxes(got.content) if kind != b"free"]
        assert boxes[:3] == [b"ftyp", b"moov", b"mdat"]
        assert _decode(got.content, tmp_path, "download.mp4") == 150
        mpd = await _text(api, _path(stream["dash_url"]), "application/dash+xml")
        assert 'type="static"' in mpd
        vtt = await _text(api, _path(stream["storyboard_url"]), "text/vtt")
        assert vtt.startswith("WEBVTT")
        sprite = re.search(r"(storyboard/sprite_\d{3}\.jpg)#xywh=", vtt)
        assert sprite is not None
        assert (await _follow(api, http, f"{base}/{sprite[1]}"))[:3] == b"\xff\xd8\xff"


async def test_stream_tokens_are_checked(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    identities: Identities,
) -> None:
    asset_id = await ingest(api, http, media.mp4(seconds=2.0), "clip.mp4", "video/mp4")
    asset = await streamed(api, run_jobs, settings, asset_id)
    hls = _path(asset["stream"]["hls_url"])
    _, _, token, _, rest = hls.split("/", 4)
    segment = f"{rest.rsplit('/', 1)[0]}/v240/init.mp4"
    assert (await api.get(hls)).status_code == 200
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    secret = stream_access.secret_of(settings.stream.secret, settings.s3.secret_key)
    expired = stream_access.issue(secret, uuid.UUID(asset_id), token.split(".")[1], int(time.time()) - 5)
    other = str(uuid.uuid4())
    for path in (
        f"/stream/{forged}/{asset_id}/{rest}",
        f"/stream/{forged}/{asset_id}/{segment}",
        f"/stream/{expired}/{asset_id}/{rest}",
        f"/stream/{expired}/{asset_id}/{segment}",
        f"/stream/{token}/{other}/{rest}",  # a token is for one asset
        f"/stream/not-a-token/{asset_id}/{rest}",
    ):
        response = await api.get(path, follow_redirects=False)
        assert response.status_code == 403, (path, response.text)
        assert json_of(response)["error"] == "forbidden"
    assert "expired" in json_of(await api.get(f"/stream/{expired}/{asset_id}/{rest}"))["detail"]
    for path in (f"{rest.rsplit('/', 1)[0]}/../../{asset_id}", f"{rest.rsplit('/', 1)[0]}/v240/secret.bin"):
        assert (
            await api.get(f"/stream/{token}/{asset_id}/{path}", follow_redirects=False)
        ).status_code == 404
    # A share link's visitors get a token too, one that outlives neither the link nor its lifetime.
    made = json_of(await api.post(f"/assets/{asset_id}/shares", json={"expires_in": 60, "download": False}))
    shared = json_of(await api.get(f"/shares/{made['url'].rsplit('/', 1)[1]}", headers={"Authorization": ""}))
    via_share = _path(shared["hls_url"])
    assert (await api.get(via_share, headers={"Authorization": ""})).status_code == 200
    share_token = via_share.split("/")[2]
    assert share_token.split(".")[1].startswith("s")
    assert int(share_token.split(".")[0], 36) <= time.time() + 61
    assert shared["storyboard_url"] is not None
    # Another workspace's member never gets a token: the asset answers as an unknown one does.
    stranger = await identities.key(await identities.workspace(), "viewer")
    response = await api.get(f"/assets/{asset_id}", headers=bearer(stranger))
    assert response.status_code == 404
    unknown = await api.get(f"/assets/{uuid.uuid4()}", headers=bearer(stranger))
    assert json_of(response)["error"] == json_of(unknown)["error"]


async def test_audio_asset_gets_an_audio_only_stream(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, tmp_path: Path
) -> None:
    asset_id = await ingest(api, http, media.audio_file("ipod", "aac", seconds=5.0), "song.m4a", "audio/mp4")
    asset = await streamed(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready", asset["error"]
    stream = asset["stream"]
    assert stream["status"] == "ready"
    (variant,) = stream["variants"]
    assert (variant["width"], variant["height"], variant["codecs"]) == (None, None, "mp4a.40.2")
    assert 100_000 < variant["bandwidth"] < 200_000
    assert stream["storyboard_url"] is None
    master = await _text(api, _path(stream["hls_url"]), "application/vnd.apple.mpegurl")
    assert _uris(master) == ["a/index.m3u8"]


async def test_images_have_no_stream(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(64), "a.png", "image/png")
    await run_jobs()
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready"
    assert asset["stream"] is None


@pytest.mark.slow
async def test_a_killed_transcode_worker_resumes_from_its_last_chunk(
    api_key: str, make_settings: Callable[..., Settings], http: httpx.AsyncClient, run_jobs: Any,
    process_logs: Path, s3: S3Client, tmp_path: Path,
) -> None:  # fmt: skip
    """Ten chunks of 4 s; the worker is killed after some are recorded. The next worker encodes the
    rest: chunks done before the kill are not encoded again, the init segments are the same bytes,
    and every frame is in the stream once."""
    settings = make_settings(DAM_LADDER_CHUNK_SECONDS=4, DAM_TRANSCODE_TIMEOUT=10)
    async with client_of(settings, api_key) as api:
        data = media.mp4(seconds=40.0, width=640, height=360, fps=25)
        asset_id = await ingest(api, http, data, "long.mp4", "video/mp4")
        await run_jobs(settings=settings)
        assert json_of(await api.get(f"/assets/{asset_id}"))["status"] == "ready"
        db = await asyncpg.connect(settings.db.url)
        try:
            async with dam("worker", "--queue", "transcode", env=env_of(settings), log_dir=process_logs,
                           name="transcode") as worker:  # fmt: skip
                deadline = time.monotonic() + 120
                done = 0
                while time.monotonic() < deadline:
                    done = (
                        await db.fetchval(
                            "SELECT chunks_done FROM asset_streams WHERE asset_id = $1", uuid.UUID(asset_id)
                        )
                        or 0
                    )
                    if done >= 2:
                        break
                    worker.assert_running("while the ladder was to record its chunks")
                    await asyncio.sleep(0.02)
                worker.kill()
            done = await db.fetchval(
                "SELECT chunks_done FROM asset_streams WHERE asset_id = $1", uuid.UUID(asset_id)
            )
        finally:
            await db.close()
        assert 2 <= done < 10, f"{done} chunks were done when the worker died: the test needs it mid-ladder"
        prefix = f"renditions/{asset_id}/stream/"
        listed = await s3.list_objects_v2(Bucket=settings.s3.bucket, Prefix=prefix)
        before = {o["Key"]: o["LastModified"] for o in listed.get("Contents", [])}
        init_key = next(k for k in before if k.endswith("/v360/init.mp4"))
        init_before = await (await s3.get_object(Bucket=settings.s3.bucket, Key=init_key))["Body"].read()
        # The dead worker's job stays queued: once its in-progress mark expires another worker takes it.
        await asyncio.wait_for(run_jobs(settings=settings, queue=Queue.TRANSCODE), timeout=180)
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["stream"]["status"] == "ready", asset["steps"]
        listed = await s3.list_objects_v2(Bucket=settings.s3.bucket, Prefix=prefix)
        after = {o["Key"]: o["LastModified"] for o in listed.get("Contents", [])}
        for number in range(1, done + 1):  # the chunks recorded before the kill: one segment each
            key = next(k for k in after if k.endswith(f"/v360/seg_{number:05d}.m4s"))
            assert after[key] == before[key], f"segment {number} was encoded again"
        init_after = await (await s3.get_object(Bucket=settings.s3.bucket, Key=init_key))["Body"].read()
        assert init_after == init_before
        base = _path(asset["stream"]["hls_url"]).rsplit("/", 1)[0]
        playlist = await _text(api, f"{base}/v360/index.m3u8", "application/vnd.apple.mpegurl")
        segments = _uris(playlist)
        assert len(segments) == 10
        body = b"".join([await _follow(api, http, f"{base}/v360/{s}") for s in segments])
        assert _decode(init_after + body, tmp_path, "resumed.mp4") == 1000
