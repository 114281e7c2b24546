"""Thumbnails come with a ThumbHash placeholder: a photo by ImageMagick and exiftool, a clip and a
song with its cover by ffmpeg, processed by the worker and read back through ``GET /assets`` and
``GET /search``; each hash decoded by the reference decoder (the npm package the web app draws
placeholders with) and held against the stored thumbnail."""

from __future__ import annotations

import base64
import io
import math
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from dam.db.pool import Pool
from tests.support import thumbhash as reference
from tests.support.corpus import Corpus, require_tools
from tests.support.flows import ingest, json_of

H264 = ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    require_tools()
    return Corpus(tmp_path_factory.mktemp("placeholder-corpus"))


async def _processed(
    corpus: Corpus, api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> dict[str, str]:
    """A sideways photo, a clip and a song with a cover, uploaded and processed: ids by kind."""
    song = corpus.song("song.mp3", "-c:a", "libmp3lame", "-id3v2_version", "3")
    media = {
        "image": (corpus.photo(), "photo.jpg", "image/jpeg"),
        "video": (corpus.video("h264.mp4", *H264), "clip.mp4", "video/mp4"),
        "audio": (song, "song.mp3", "audio/mpeg"),
    }
    ids = {
        kind: await ingest(api, http, path.read_bytes(), name, content_type)
        for kind, (path, name, content_type) in media.items()
    }
    await run_jobs()
    return ids


async def _thumbnail(api: AsyncTestClient[Any], http: httpx.AsyncClient, asset_id: str) -> Image.Image:
    asset = json_of(await api.get(f"/assets/{asset_id}"))
    assert asset["status"] == "ready", asset["error"]
    (link,) = [r for r in asset["renditions"] if r["kind"] == "thumbnail"]
    with Image.open(io.BytesIO((await http.get(link["url"])).content)) as image:
        return image.convert("RGB")


async def test_each_thumbnail_is_listed_and_found_with_a_thumbhash_of_its_picture(
    corpus: Corpus, api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    ids = await _processed(corpus, api, http, run_jobs)
    listed = {a["id"]: a for a in json_of(await api.get("/assets"))["items"]}
    found = {h["id"]: h for h in json_of(await api.get("/search", params={"limit": "200"}))["items"]}
    hashes = {kind: listed[asset_id]["thumbhash"] for kind, asset_id in ids.items()}
    for kind, asset_id in ids.items():
        assert hashes[kind] is not None, kind
        assert found[asset_id]["thumbhash"] == hashes[kind], kind
        assert base64.b64encode(base64.b64decode(hashes[kind])).decode() == hashes[kind]  # padded base64
    decoded = reference.decode([base64.b64decode(hashes[kind]) for kind in ids])
    for (kind, asset_id), placeholder in zip(ids.items(), decoded, strict=True):
        thumbnail = await _thumbnail(api, http, asset_id)
        aspect = thumbnail.width / thumbnail.height
        # The hash keeps the aspect ratio in its count of luminance terms (7 to a side at most).
        assert abs(math.log(placeholder["ratio"] / aspect)) < 0.25, (kind, placeholder["ratio"], aspect)
        assert abs(math.log(placeholder["w"] / placeholder["h"] / aspect)) < 0.25, kind
        average = np.asarray(thumbnail, dtype=np.float64).reshape(-1, 3).mean(axis=0) / 255
        theirs = np.array([placeholder["average"][c] for c in "rgb"])
        assert np.abs(average - theirs).max() < 0.03, (kind, average, theirs)
        assert placeholder["average"]["a"] == 1  # opaque thumbnails: no alpha in the hash


async def test_reprocessing_replaces_the_thumbhash(
    corpus: Corpus,
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    accounts_pool: Pool,
) -> None:
    photo = corpus.converted("wide.png", "-resize", "400x100!")
    asset_id = await ingest(api, http, photo.read_bytes(), "wide.png", "image/png")
    await run_jobs()
    made = json_of(await api.get(f"/assets/{asset_id}"))["thumbhash"]
    assert made is not None
    stale = bytes([0x10] * 20)  # as if an earlier thumbnail had been another picture
    await accounts_pool.execute("UPDATE assets SET thumbhash = $2 WHERE id = $1", uuid.UUID(asset_id), stale)
    assert json_of(await api.get(f"/assets/{asset_id}"))["thumbhash"] == base64.b64encode(stale).decode()
    answer = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": ["stills"]})
    assert answer.status_code == 202, answer.text
    await run_jobs()
    assert json_of(await api.get(f"/assets/{asset_id}"))["thumbhash"] == made
