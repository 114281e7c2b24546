"""Processing end to end: upload real media, run the worker, check facts and decoded renditions."""

from __future__ import annotations

import io
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient
from PIL import Image

from dam.settings import Settings
from tests.support import media
from tests.support.flows import complete, create, ingest, json_of, put_parts


async def processed(api: AsyncTestClient[Any], run_jobs: Any, asset_id: str) -> dict[str, Any]:
    await run_jobs()
    asset: dict[str, Any] = json_of(await api.get(f"/assets/{asset_id}"))
    return asset


async def fetch_image(http: httpx.AsyncClient, rendition: dict[str, Any]) -> Image.Image:
    response = await http.get(rendition["url"])
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.size == (rendition["width"], rendition["height"])
    assert len(response.content) == rendition["bytes"]
    return image


def by_kind(asset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["kind"]: r for r in asset["renditions"]}


async def test_jpeg_is_upright_and_renditions_carry_no_exif(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.jpeg_with_exif(), "sideways.jpg", "image/jpeg")
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    facts = asset["media"]
    assert facts["kind"] == "image"
    assert facts["format"] == "JPEG"
    assert (facts["width"], facts["height"]) == (300, 400)  # as displayed
    assert facts["orientation"] == 6
    assert facts["camera"]["make"] == "TestCam"
    assert facts["camera"]["gps"]["GPSLatitudeRef"] == "N"
    assert facts["captured_at"] == "2026-07-14T10:30:00"
    renditions = by_kind(asset)
    assert set(renditions) == {"thumbnail", "preview"}
    thumb = await fetch_image(http, renditions["thumbnail"])
    preview = await fetch_image(http, renditions["preview"])
    assert thumb.size == (240, 320)  # upright portrait, fits 320
    assert preview.size == (300, 400)  # never upscaled
    # Orientation 6 means "rotate 90° clockwise to display": the red left half ends up on top.
    red, blue = thumb.convert("RGB").getpixel((120, 40)), thumb.convert("RGB").getpixel((120, 280))
    assert red[0] > 150, red
    assert red[2] < 100, red
    assert blue[2] > 150, blue
    assert blue[0] < 100, blue
    for image in (thumb, preview):
        assert image.format == "WEBP"
        assert not image.getexif()
        assert "exif" not in image.info
        assert "xmp" not in image.info


async def test_png_keeps_alpha(api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any) -> None:
    asset_id = await ingest(api, http, media.png_with_alpha(), "alpha.png", "image/png")
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    assert asset["media"]["color_mode"] == "RGBA"
    thumb = await fetch_image(http, by_kind(asset)["thumbnail"])
    assert thumb.size == (320, 320)
    assert thumb.mode == "RGBA"
    assert thumb.getpixel((160, 10))[3] == 0
    assert thumb.getpixel((160, 300))[3] == 255


async def test_large_jpeg_previews_fit(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.big_jpeg(), "big.jpg", "image/jpeg")
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    assert (asset["media"]["width"], asset["media"]["height"]) == (4000, 3000)
    assert (await fetch_image(http, by_kind(asset)["preview"])).size == (1280, 960)
    assert (await fetch_image(http, by_kind(asset)["thumbnail"])).size == (320, 240)


async def test_mp4_gets_facts_poster_and_previews(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.mp4(seconds=2.0), "clip.mp4", "video/mp4")
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    facts = asset["media"]
    assert facts["kind"] == "video"
    assert facts["format"] == "MP4"  # exiftool's FileType
    assert facts["duration"] == pytest.approx(2.0, abs=0.1)
    assert (facts["width"], facts["height"]) == (320, 240)
    streams = {s["type"]: s for s in facts["streams"]}
    assert streams["video"]["codec"] == "h264"
    assert streams["video"]["frame_rate"] == pytest.approx(25.0)
    assert streams["video"]["pixel_format"] == "yuv420p"
    assert streams["audio"]["codec"] == "aac"
    assert streams["audio"]["sample_rate"] == 44100
    assert streams["audio"]["channels"] == 2  # the AAC encoder's default layout
    renditions = by_kind(asset)
    assert set(renditions) == {"poster", "preview", "thumbnail"}
    assert (await fetch_image(http, renditions["poster"])).size == (320, 240)
    assert (await fetch_image(http, renditions["thumbnail"])).size == (320, 240)


@pytest.mark.parametrize(
    ("fmt", "codec", "filename", "content_type", "expected_codec"),
    [
        pytest.param("ipod", "aac", "song.m4a", "audio/mp4", "aac", id="aac-m4a"),
        pytest.param("ogg", "libopus", "voice.opus", "audio/ogg", "opus", id="opus-ogg"),
        pytest.param("wav", "pcm_s16le", "take.wav", "audio/wav", "pcm_s16le", id="wav"),
    ],
)
async def test_audio_gets_waveform_and_peaks(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    fmt: str,
    codec: str,
    filename: str,
    content_type: str,
    expected_codec: str,
) -> None:
    asset_id = await ingest(api, http, media.audio_file(fmt, codec), filename, content_type)
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    assert asset["media"]["kind"] == "audio"
    assert asset["media"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert asset["media"]["streams"][0]["codec"] == expected_codec
    renditions = by_kind(asset)
    wave = await fetch_image(http, renditions["waveform"])
    assert wave.size == (1200, 200)
    peaks = msgspec.json.decode((await http.get(renditions["peaks"]["url"])).content)
    assert peaks["length"] == 1200
    assert len(peaks["data"]) == 2400
    # The tone fades in: the end of the clip is louder than its start.
    assert max(peaks["data"][-40:]) > max(peaks["data"][:40]) + 20


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "reason"),
    [
        pytest.param(media.corrupt_jpeg(), "cut.jpg", "image/jpeg", "corrupt", id="truncated-jpeg"),
        pytest.param(
            b"just some words\n" * 50,
            "notes.jpg",
            "image/jpeg",
            "not a readable JPEG image",
            id="text-as-jpeg",
        ),
        pytest.param(
            b"\x00\x01garbage" * 100, "x.mp4", "video/mp4", "not a supported", id="garbage-as-video"
        ),
        # The bytes decide the family: the reason names what they are and what to declare.
        pytest.param(
            media.png_with_alpha(),
            "img.mp4",
            "video/mp4",
            "the file is image (PNG), declared video/mp4: upload it as image/png",
            id="png-as-video",
        ),
        pytest.param(
            media.audio_file("wav", "pcm_s16le"),
            "a.mp4",
            "video/mp4",
            "the file is audio (WAV), declared video/mp4: upload it as audio/wav",
            id="audio-as-video",
        ),
        pytest.param(
            media.mp4(seconds=1.0),
            "v.jpg",
            "image/jpeg",
            "the file is video (MP4), declared image/jpeg: upload it as video/mp4",
            id="video-as-image",
        ),
    ],
)
async def test_bad_media_fails_with_reason(
    api: AsyncTestClient[Any],
    http: httpx.AsyncClient,
    run_jobs: Any,
    data: bytes,
    filename: str,
    content_type: str,
    reason: str,
) -> None:
    asset_id = await ingest(api, http, data, filename, content_type)
    worker = await processed(api, run_jobs, asset_id)
    assert worker["status"] == "failed"
    assert reason in worker["error"]
    assert worker["renditions"] == []


async def test_probing_a_large_video_reads_a_small_part_of_it(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, settings: Settings
) -> None:
    import asyncio

    from dam.media.probe import open_media, probe
    from dam.storage.ranged import BLOCK, RangeReader
    from dam.storage.sigv4 import SigV4Presigner

    data = media.noisy_mp4(frames=40)
    assert len(data) > 8 * 2**20
    created = await create(api, filename="big.mp4", content_type="video/mp4", size=len(data))
    parts = await put_parts(http, created["upload"], data)  # above the test threshold: multipart
    assert (await complete(api, created["id"], {"parts": parts})).status_code == 202
    signer = SigV4Presigner(
        endpoint_url=settings.s3.client_url, region=settings.s3.region,
        access_key=settings.s3.access_key, secret_key=settings.s3.secret_key,
    )  # fmt: skip
    url = signer.presign("GET", settings.s3.bucket, created["storage_path"], expires=300)

    def probe_it() -> tuple[int, float | None]:
        with httpx.Client() as client:
            reader = RangeReader(url, len(data), client=client)
            with open_media(reader) as container:  # type: ignore[arg-type]
                info = probe(container, "video")
            return reader.bytes_fetched, info.duration

    fetched, duration = await asyncio.to_thread(probe_it)
    assert duration == pytest.approx(40 / 25, abs=0.1)
    assert fetched <= 4 * BLOCK
    assert fetched < len(data) / 8


async def test_rotated_phone_video_gets_an_upright_poster(
    api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    asset_id = await ingest(api, http, media.mp4(seconds=1.0, rotation=90), "phone.mp4", "video/mp4")
    asset = await processed(api, run_jobs, asset_id)
    assert asset["status"] == "ready", asset["error"]
    video = next(s for s in asset["media"]["streams"] if s["type"] == "video")
    assert video["rotation"] == 90
    assert (video["width"], video["height"]) == (320, 240)  # as coded
    assert (asset["media"]["width"], asset["media"]["height"]) == (240, 320)  # as displayed
    poster = (await fetch_image(http, by_kind(asset)["poster"])).convert("RGB")
    assert poster.size == (240, 320)
    # 90° counter-clockwise: the coded frame's left edge is shown at the bottom.
    assert poster.getpixel((120, 300))[0] > poster.getpixel((120, 20))[0]
