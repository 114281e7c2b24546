"""Speech to text end to end: speech synthesised at test time by espeak-ng (Debian, an independent
tool), as a WAV and muxed by ffmpeg into an MP4 with a test picture, uploaded, processed by the media
queue, then transcribed by the enrich queue's worker with the real model; the transcript is read
back through the API, found through search and served as WebVTT captions."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.steps import Queue
from dam.media.enrich import speech, weights
from dam.settings import Settings
from tests.support.flows import ingest, json_of
from tests.support.media import audio_file, noisy_mp4

pytestmark = pytest.mark.integration
ESPEAK = "/usr/bin/espeak-ng"  # Debian's espeak-ng (make media-tools)
FFMPEG = "/usr/bin/ffmpeg"  # Debian's ffmpeg (make media-tools)
SAID = (
    "The museum keeps every photograph of the old lighthouse. Visitors can walk along the river on"
    " Saturday morning, and the library opens early."
)
_CUE = re.compile(r"^(\d{2,}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2,}):(\d{2}):(\d{2})\.(\d{3})$")


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """This module's tests run the speech model (off by default)."""
    return make_settings(DAM_ENRICH="speech")


def spoken(tmp_path: Path, text: str) -> Path:
    """``text`` said by espeak-ng, as a 22 kHz mono WAV."""
    out = tmp_path / "said.wav"
    subprocess.run([ESPEAK, "-v", "en-us", "-s", "140", "-w", str(out), text], check=True, timeout=60)
    return out


def with_picture(tmp_path: Path, wav: Path) -> bytes:
    """An MP4 (H.264 test pattern, AAC speech) muxed by ffmpeg, as long as the speech."""
    out = tmp_path / "talk.mp4"
    command = [
        FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-i", str(wav),
        "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-movflags", "+faststart", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True, timeout=120)
    return out.read_bytes()


def words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(heard: str, truth: str) -> float:
    """Word-level edit distance (substitutions, insertions, deletions) over the true word count."""
    a, b = words(truth), words(heard)
    row = list(range(len(b) + 1))
    for i, wa in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, wb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (wa != wb))
    return row[-1] / len(a)


def cues(vtt: str) -> list[tuple[float, float, str]]:
    """The cues of a WebVTT file, checked as a player's parser would: signature, timings, text."""
    blocks = vtt.split("\n\n")
    assert blocks[0] == "WEBVTT"
    found = []
    for block in filter(None, (b.strip("\n") for b in blocks[1:])):
        timing, *text = block.split("\n")
        match = _CUE.match(timing)
        assert match, timing
        h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(g) for g in match.groups())
        start, end = h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000
        assert 0 <= start <= end
        assert text
        assert all("-->" not in line and line.strip() for line in text)
        found.append((start, end, " ".join(text)))
    return found


async def enriched(
    api: AsyncTestClient[Any], run_jobs: Any, settings: Settings, asset_id: str
) -> dict[str, Any]:
    """The asset once its media steps, then its enrichment steps, ran."""
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    return asset


async def test_speech_in_a_wav_is_transcribed_found_by_a_word_and_served_as_captions(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, tmp_path: Path
) -> None:
    wav = spoken(tmp_path, SAID).read_bytes()
    asset_id = await ingest(api, http, wav, "museum.wav", "audio/wav")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = asset["enrichment"]["speech"]
    assert found["state"] == "done", found
    assert found["model"] == speech.MODEL == "whisper-base"
    assert re.fullmatch(r"faster-whisper [\d.]+, ctranslate2 [\d.]+", found["model_version"])
    result = found["result"]
    assert result["language"] == "en"
    assert 0.5 < result["language_probability"] <= 1
    assert 8 < result["duration"] < 14
    assert result["truncated"] is False
    heard = " ".join(s["text"] for s in result["segments"])
    assert word_error_rate(heard, SAID) <= 0.3, heard
    assert all(0 <= s["start"] < s["end"] <= result["duration"] + 0.5 for s in result["segments"])
    # Found by a spoken word, by the text filter, and not by a word never said.
    hits = json_of(await api.get("/search", params={"q": "lighthouse"}))
    assert [h["id"] for h in hits["items"]] == [asset_id]
    assert [h["id"] for h in json_of(await api.get("/search", params={"has": "text"}))["items"]] == [asset_id]
    assert json_of(await api.get("/search", params={"q": "volcano"}))["items"] == []
    # The captions: one cue per segment, at its times.
    answer = await api.get(f"/assets/{asset_id}/transcript.vtt")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/vtt; charset=utf-8"
    parsed = cues(answer.text)
    assert [text for _, _, text in parsed] == [s["text"] for s in result["segments"]]
    assert [round(start, 3) for start, _, _ in parsed] == [s["start"] for s in result["segments"]]


async def test_speech_in_a_video_is_transcribed_from_its_sound(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings, tmp_path: Path
) -> None:
    video = with_picture(tmp_path, spoken(tmp_path, SAID))
    asset_id = await ingest(api, http, video, "museum.mp4", "video/mp4")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = asset["enrichment"]["speech"]
    assert found["state"] == "done", found
    heard = " ".join(s["text"] for s in found["result"]["segments"])
    assert word_error_rate(heard, SAID) <= 0.3, heard
    hits = json_of(await api.get("/search", params={"q": "museum", "has": "text"}))
    assert [h["id"] for h in hits["items"]] == [asset_id]
    assert cues((await api.get(f"/assets/{asset_id}/transcript.vtt")).text)


async def test_silence_and_a_video_without_sound_have_no_segments_and_no_captions(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any, settings: Settings
) -> None:
    silent = await ingest(api, http, audio_file("wav", "pcm_s16le", seconds=4.0), "quiet.wav", "audio/wav")
    mute = await ingest(api, http, noisy_mp4(frames=25, width=160, height=120), "mute.mp4", "video/mp4")
    await run_jobs(settings=settings)
    await run_jobs(settings=settings, queue=Queue.ENRICH)
    for asset_id in (silent, mute):
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready"
        found = asset["enrichment"]["speech"]
        assert found["state"] == "done", found
        assert found["result"]["segments"] == []
        assert found["result"]["language"] is None
        answer = await api.get(f"/assets/{asset_id}/transcript.vtt")
        assert answer.status_code == 404
        assert answer.json()["detail"] == f"asset {asset_id} not found"  # as for another workspace's
    assert json_of(await api.get("/search", params={"has": "text"}))["items"] == []


async def test_a_model_part_with_another_sha256_is_refused_and_the_asset_stays_ready(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A cache of its own: the model is assembled again from its parts, and the tampered one refused.
    monkeypatch.setattr(speech, "default_cache", lambda: tmp_path / "models")
    tampered = msgspec.structs.replace(weights.WHISPER_PART2, sha256="0" * 64)
    monkeypatch.setitem(speech._PARTS, "part2", tampered)
    wav = spoken(tmp_path, "Hello there.").read_bytes()
    asset_id = await ingest(api, http, wav, "hello.wav", "audio/wav")
    asset = await enriched(api, run_jobs, settings, asset_id)
    assert asset["status"] == "ready"
    found = asset["enrichment"]["speech"]
    assert found["state"] == "failed"
    assert found["result"] is None
    assert "sha256" in found["error"]
    assert "refused" in found["error"]
    assert "model.bin.part2" in found["error"]
    step = next(s for s in asset["steps"] if s["name"] == "speech")
    assert (step["state"], step["error"]) == ("failed", found["error"])
    # Nothing half made is left to load.
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())
    assert (await api.get(f"/assets/{asset_id}/transcript.vtt")).status_code == 404
