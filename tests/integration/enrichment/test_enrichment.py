"""Enrichment end to end: media made at test time with known content (words drawn in a Debian font,
ImageMagick's own sample photo re-encoded, resized and cropped by ImageMagick), uploaded, processed by
the media queue, then enriched by the enrich queue's worker with the real models; what they found is
read back through the API and found through search."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.accounts import Workspace
from dam.domain.steps import Queue
from dam.media.enrich import ocr, weights
from dam.settings import Settings
from tests.support.accounts import Identities, client_of
from tests.support.enrichment import enriched, magick, sample, sign, slideshow
from tests.support.flows import ingest, json_of
from tests.support.processes import dam_args, env_of

pytestmark = pytest.mark.integration
SIGN = ["MAIN STREET", "Bakery open daily", "Platform 9 for Lisbon"]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """This module's tests run the models they test."""
    return make_settings(DAM_ENRICH="ocr,objects,scenes,similar")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions turning ``a`` into ``b``."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


async def test_words_on_a_sign_are_read_and_found_by_search(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    asset_id = await ingest(api, http, sign(SIGN), "street.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = asset["enrichment"]["ocr"]
    assert found["state"] == "done", found
    assert found["model"] == ocr.MODEL
    assert "rapidocr" in found["model_version"]
    lines = found["result"]["lines"]
    read = " ".join(line["text"] for line in lines)
    truth = " ".join(SIGN)
    assert edit_distance(read, truth) / len(truth) <= 0.05, read
    # Each line's box lies on the preview it was read from, around where the line was drawn.
    width, height = found["result"]["width"], found["result"]["height"]
    assert (width, height) == (1280, 800)
    first = lines[0]["box"]
    assert all(0 <= x <= width and 0 <= y <= height for x, y in first)
    assert min(y for _, y in first) < 0.3 * height
    # Found by a word of the sign, by the text filter, and not by a word it does not hold.
    hits = json_of(await api.get("/search", params={"q": "bakery"}))
    assert [h["id"] for h in hits["items"]] == [asset_id]
    assert "text" in hits["items"][0]["matched"]
    assert [h["id"] for h in json_of(await api.get("/search", params={"has": "text"}))["items"]] == [asset_id]
    assert json_of(await api.get("/search", params={"q": "butcher"}))["items"] == []


async def test_a_picture_without_words_has_no_text(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, tmp_path: Path
) -> None:
    plain = magick(tmp_path, "plasma.jpg", "-size", "800x600", "gradient:navy-orange")
    asset_id = await ingest(api, http, plain, "sky.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["enrichment"]["ocr"]["state"] == "done"
    assert asset["enrichment"]["ocr"]["result"]["lines"] == []
    assert json_of(await api.get("/search", params={"has": "text"}))["items"] == []


async def test_a_resaved_copy_is_a_near_duplicate_and_another_photo_is_not(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    identities: Identities,
    tmp_path: Path,
) -> None:
    original = magick(tmp_path, "logo.jpg", "logo:", "-quality", "92")
    # Re-encoded at a lower quality, resized to 70% and cropped by 3% on each side, by ImageMagick.
    resave = ["-gravity", "center", "-crop", "94%x94%+0+0", "+repage", "-resize", "70%", "-quality", "60"]
    copy = magick(tmp_path, "copy.jpg", "logo:", *resave)
    other = magick(tmp_path, "wizard.jpg", "wizard:", "-quality", "92")
    first = await ingest(api, http, original, "logo.jpg", "image/jpeg")
    second = await ingest(api, http, copy, "logo-small.jpg", "image/jpeg")
    third = await ingest(api, http, other, "wizard.jpg", "image/jpeg")
    # The same picture in another workspace is never shown.
    async with client_of(settings, await identities.key(await identities.workspace(), "admin")) as elsewhere:
        foreign = await ingest(elsewhere, http, original, "logo.jpg", "image/jpeg")
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.ENRICH)

    near = json_of(await api.get(f"/assets/{first}/similar"))["items"]
    assert [n["id"] for n in near] == [second], near
    assert 0 <= near[0]["distance"] <= 10
    assert near[0]["filename"] == "logo-small.jpg"
    assert near[0]["thumbnail_url"]
    assert [n["id"] for n in json_of(await api.get(f"/assets/{second}/similar"))["items"]] == [first]
    assert json_of(await api.get(f"/assets/{third}/similar"))["items"] == []
    assert json_of(await api.get(f"/assets/{third}/similar", params={"max_distance": 0}))["items"] == []
    hashed = json_of(await api.get(f"/assets/{first}"))["enrichment"]["similar"]
    assert hashed["state"] == "done"
    assert hashed["model"] == "dhash"
    assert len(hashed["result"]["hashes"][0]) == 16
    # The review screen's groups: the original (the oldest) and its copy, once; the other photo in none.
    groups = json_of(await api.get("/duplicates"))
    assert groups["next_cursor"] is None
    assert [[(a["id"], a["distance"]) for a in g["assets"]] for g in groups["items"]] == [
        [(first, 0), (second, near[0]["distance"])]
    ]
    # Another workspace's asset answers as an unknown one does.
    unknown = await api.get("/assets/00000000-0000-4000-8000-000000000000/similar")
    theirs = await api.get(f"/assets/{foreign}/similar")
    assert unknown.status_code == theirs.status_code == 404
    assert json_of(unknown)["error"] == json_of(theirs)["error"]
    assert (await api.get(f"/assets/{first}/similar", params={"max_distance": 65})).status_code == 400


async def test_a_model_file_with_another_sha256_is_refused_and_the_asset_stays_ready(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tampered = weights.Weight(package="rapidocr", path=weights.OCR_DETECT.path, sha256="0" * 64)
    monkeypatch.setitem(ocr._WEIGHTS, "det", tampered)
    asset_id = await ingest(api, http, sign(SIGN[:1]), "sign.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = asset["enrichment"]["ocr"]
    assert found["state"] == "failed"
    assert found["result"] is None
    assert "sha256" in found["error"]
    assert "refused" in found["error"]
    assert "PP-OCRv6_det_small.onnx" in found["error"]
    step = next(s for s in asset["steps"] if s["name"] == "ocr")
    assert step["state"] == "failed"
    assert step["error"] == found["error"]
    # The other kind ran as usual.
    assert asset["enrichment"]["similar"]["state"] == "done"


async def test_reprocessing_one_kind_runs_it_again(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    asset_id = await ingest(api, http, sign(SIGN[:1]), "sign.jpg", "image/jpeg")
    first = (await enriched(api, run_jobs, settings, asset_id))["enrichment"]["ocr"]
    response = await api.post(f"/assets/{asset_id}/reprocess", json={"steps": ["ocr"]})
    assert response.status_code == 202, response.text
    again = await enriched(api, run_jobs, settings, asset_id)
    assert again["enrichment"]["ocr"]["state"] == "done"
    assert again["enrichment"]["ocr"]["result"] == first["result"]
    assert [h["id"] for h in json_of(await api.get("/search", params={"q": "street"}))["items"]] == [asset_id]


async def test_a_photo_of_a_cat_is_tagged_by_the_models_and_found_by_its_words(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    cat = await ingest(api, http, sample("chelsea.png"), "IMG_0412.jpg", "image/jpeg")
    coffee = await ingest(api, http, sample("coffee.png"), "IMG_0413.jpg", "image/jpeg")
    asset = await enriched(api, run_jobs, settings, cat)
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    found = asset["enrichment"]
    assert found["objects"]["state"] == "done"
    assert found["objects"]["model"] == "ssd-mobilenet-v2-coco"
    cats = [o for o in found["objects"]["result"]["objects"] if o["label"] == "cat"]
    assert cats, found["objects"]
    assert cats[0]["confidence"] >= 0.5, found["objects"]
    left, top, right, bottom = cats[0]["box"]
    assert 0 <= left < right <= found["objects"]["result"]["width"]
    assert 0 <= top < bottom
    assert found["scenes"]["state"] == "done"
    assert found["scenes"]["model"] == "efficientnet-lite3-int8"
    first = found["scenes"]["result"]["labels"][0]
    assert "cat" in first["label"], first
    assert "cat" in first["words"], first
    assert first["wnid"].startswith("n0"), first
    scene_tags = {t["name"]: t["confidence"] for t in found["scenes"]["result"]["tags"]}
    assert {"cat", "animal"} <= set(scene_tags)
    assert all(c >= 0.5 for c in scene_tags.values())
    # Model tags are not the asset's tags; they are found by search, the broader words too.
    assert asset["tags"] == []
    for word in ("cat", "animal"):
        hits = json_of(await api.get("/search", params={"q": word}))["items"]
        assert [h["id"] for h in hits] == [cat], (word, hits)
    assert [h["id"] for h in json_of(await api.get("/search", params={"q": "cup"}))["items"]] == [coffee]
    # Of two assets matching a word, the one a person tagged ranks above the one a model tagged.
    person = await ingest(api, http, sample("astronaut.png"), "IMG_0414.jpg", "image/jpeg")
    await run_jobs(settings=settings)
    edited = await api.patch(f"/assets/{person}", json={"tags": ["cat"]})
    assert edited.status_code == 200, edited.text
    ranked = [h["id"] for h in json_of(await api.get("/search", params={"q": "cat"}))["items"]]
    assert ranked[:2] == [person, cat], ranked


async def test_a_video_is_read_beyond_its_poster_and_its_frames_find_their_photo(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, tmp_path: Path
) -> None:
    # A cup of coffee for 3 s (the poster's moment), then a cat for 7 s.
    video = slideshow(tmp_path, [("coffee.png", 3), ("chelsea.png", 7)])
    clip = await ingest(api, http, video, "clip.mp4", "video/mp4")
    photo = await ingest(api, http, sample("chelsea.png"), "IMG_0412.jpg", "image/jpeg")
    black = await ingest(
        api, http, magick(tmp_path, "black.png", "-size", "640x480", "xc:black"), "b.png", "image/png"
    )
    dark = await ingest(
        api, http, magick(tmp_path, "dark.png", "-size", "320x200", "xc:#080808"), "d.png", "image/png"
    )
    found = (await enriched(api, run_jobs, settings, clip))["enrichment"]
    for kind in ("objects", "scenes", "similar", "ocr"):
        assert found[kind]["state"] == "done", found[kind]
    # The poster's objects carry their boxes; the frames' come with their times.
    assert "cup" in {o["label"] for o in found["objects"]["result"]["objects"]}, found["objects"]
    frames = found["objects"]["result"]["frames"]
    assert [f["time"] for f in frames] == [3.0, 5.0, 7.0, 9.0]
    assert any(o["label"] == "cat" for f in frames[1:] for o in f["objects"]), frames
    tags = {t["name"] for t in found["objects"]["result"]["tags"]}
    assert {"cup", "cat"} <= tags, tags
    assert {h["id"] for h in json_of(await api.get("/search", params={"q": "cat"}))["items"]} == {clip, photo}
    # Five hashes: the poster and four frames; the photo of the cat is found by the frames'.
    assert len(found["similar"]["result"]["hashes"]) == 5
    assert found["similar"]["result"]["times"] == [None, 3.0, 5.0, 7.0, 9.0]
    near = json_of(await api.get(f"/assets/{photo}/similar"))["items"]
    assert [n["id"] for n in near] == [clip], near
    assert [n["id"] for n in json_of(await api.get(f"/assets/{clip}/similar"))["items"]] == [photo]
    # Flat pictures get no hash: two plain dark pictures are not each other's near-duplicates.
    assert json_of(await api.get(f"/assets/{black}"))["enrichment"]["similar"]["result"]["hashes"] == []
    assert json_of(await api.get(f"/assets/{black}/similar"))["items"] == []
    assert json_of(await api.get(f"/assets/{dark}/similar"))["items"] == []


async def test_model_tags_are_answered_and_filtered_by_whose_they_are(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    cat = await ingest(api, http, sample("chelsea.png"), "IMG_0412.jpg", "image/jpeg")
    await enriched(api, run_jobs, settings, cat)

    def ids(answer: httpx.Response) -> list[str]:
        return [h["id"] for h in json_of(answer)["items"]]

    # Model tags are listed, filtered and counted only when asked for by their source.
    assert json_of(await api.get("/tags"))["items"] == []
    listed = {
        t["name"]: t["count"] for t in json_of(await api.get("/tags", params={"source": "model"}))["items"]
    }
    assert listed["cat"] == 1
    assert listed["animal"] == 1
    assert ids(await api.get("/search", params={"tag": "cat"})) == []
    assert ids(await api.get("/search", params={"tag": "cat", "source": "model"})) == [cat]
    assert ids(await api.get("/search", params={"tag": "Cat", "source": "any"})) == [cat]
    assert ids(await api.get("/search", params={"exclude_tag": "cat", "source": "model"})) == []
    facets = json_of(await api.get("/search", params={"facets": "tag", "source": "model"}))["facets"]["tag"]
    assert {"value": "cat", "count": 1} in [{"value": f["value"], "count": f["count"]} for f in facets]

    # Rejected: no longer searched nor listed, marked in the result, and still so after a rerun.
    answer = await api.post(f"/assets/{cat}/suggestions/Animal/reject")
    assert answer.status_code == 200, answer.text
    marked = {t["name"]: t["decision"] for t in json_of(answer)["enrichment"]["scenes"]["result"]["tags"]}
    assert marked["animal"] == "rejected"
    assert marked["cat"] is None
    assert ids(await api.get("/search", params={"q": "animal"})) == []
    assert "animal" not in {
        t["name"] for t in json_of(await api.get("/tags", params={"source": "model"}))["items"]
    }
    assert (await api.post(f"/assets/{cat}/reprocess", json={"steps": ["scenes"]})).status_code == 202
    await enriched(api, run_jobs, settings, cat)
    assert ids(await api.get("/search", params={"q": "animal"})) == []

    # Accepted: one of the asset's own tags, as people's tags are found.
    answer = await api.post(f"/assets/{cat}/suggestions/cat/accept")
    assert answer.status_code == 200, answer.text
    assert json_of(answer)["tags"] == ["cat"]
    assert ids(await api.get("/search", params={"tag": "cat"})) == [cat]
    assert json_of(await api.get("/tags"))["items"] == [{"name": "cat", "count": 1}]
    # A tag no model suggested is not an answerable suggestion.
    missing = await api.post(f"/assets/{cat}/suggestions/giraffe/accept")
    assert missing.status_code == 404, missing.text


async def test_dam_enrich_runs_a_kind_again_for_every_ready_asset_which_stays_ready(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    workspace: Workspace,
    tmp_path: Path,
) -> None:
    first = await ingest(api, http, magick(tmp_path, "a.jpg", "logo:"), "a.jpg", "image/jpeg")
    second = await ingest(api, http, magick(tmp_path, "b.jpg", "wizard:"), "b.jpg", "image/jpeg")
    await enriched(api, run_jobs, settings, first)
    ran = await _dam(settings, "enrich", "--rerun", "similar", "--workspace", workspace.slug)
    assert ran.returncode == 0, ran.stderr
    assert "queued 2 asset(s) for similar" in ran.stdout
    for asset_id in (first, second):
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready"  # listed and searchable all along
        assert asset["enrichment"]["similar"]["state"] == "pending"
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    assert json_of(await api.get(f"/assets/{second}"))["enrichment"]["similar"]["state"] == "done"
    refused = await _dam(settings, "enrich", "--rerun", "speech")
    assert refused.returncode != 0
    assert "speech" in refused.stderr


async def _dam(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``dam ARGS`` in a process of its own, with these settings."""
    return await asyncio.to_thread(
        subprocess.run, dam_args(*args), env=env_of(settings), capture_output=True, text=True, timeout=120
    )
