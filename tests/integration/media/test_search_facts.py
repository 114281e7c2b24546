"""The facts search relies on (camera, capture time, keywords), from every image format as exiftool
reads them; a PNG's EXIF after its pixels without fetching them; audio-only ASF (WMA) as audio.
Files are made at test time by ImageMagick, libheif, libjxl and ffmpeg, and tagged by exiftool."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from dam.domain.media import MediaInfo
from dam.media import pipeline
from dam.settings import Settings
from tests.support.corpus import Corpus, exiftool, ffprobe, require_tools, run
from tests.support.flows import complete, create, ingest, json_of, put_parts

TAGS = (
    "-Make=Canon", "-Model=EOS R5", "-DateTimeOriginal=2024:05:06 07:08:09",
    "-IPTC:Keywords=harbour", "-IPTC:Keywords=dawn", "-XMP-dc:Subject=harbour", "-XMP-dc:Subject=dawn",
)  # fmt: skip


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    require_tools()
    return Corpus(tmp_path_factory.mktemp("facts-corpus"))


def _tagged(path: Path, *tags: str) -> Path:
    """exiftool writes the tags into the file (EXIF, IPTC and XMP where the format holds them)."""
    run("exiftool", "-q", "-q", "-overwrite_original", *tags, path)
    return path


def _probe(path: Path, content_type: str) -> MediaInfo:
    return pipeline.probe_media(io.BytesIO(path.read_bytes()), content_type)


def _png_after_pixels(corpus: Corpus, name: str, *extra: str) -> Path:
    """ImageMagick's PNG of a tagged JPEG: it writes the eXIf chunk after the image data."""
    photo = _tagged(corpus.converted(f"{name}.jpg", "-resize", "320x240!"), *TAGS[:3])
    out = corpus.root / name
    run("convert", photo, *extra, out)
    return out


def _chunk_types(path: Path) -> list[bytes]:
    from dam.media import png

    return [c.kind for c in png.chunks(path.read_bytes())]


FORMATS: list[Any] = [
    pytest.param(lambda c: c.converted("t.jpg"), "image/jpeg", id="jpeg"),
    pytest.param(lambda c: c.converted("t.png"), "image/png", id="png-exif-before-the-pixels"),
    pytest.param(lambda c: c.converted("t.webp"), "image/webp", id="webp"),
    pytest.param(lambda c: c.converted("t.tif"), "image/tiff", id="tiff"),
    pytest.param(lambda c: c.heic(), "image/heic", id="heic"),
    pytest.param(lambda c: c.avif(), "image/avif", id="avif"),
    # exiftool writes into a JPEG XL container only (it would have to wrap a bare codestream).
    pytest.param(lambda c: c.jxl_container(), "image/jxl", id="jxl-container"),
]


@pytest.mark.parametrize(("make", "content_type"), FORMATS)
def test_camera_capture_time_and_keywords_are_those_exiftool_reads(
    corpus: Corpus, make: Callable[[Corpus], Path], content_type: str
) -> None:
    path = _tagged(make(corpus), *TAGS)
    oracle = exiftool(path)
    info = _probe(path, content_type)
    assert info.camera is not None
    assert (
        (info.camera.make, info.camera.model)
        == (oracle["EXIF:Make"], oracle["EXIF:Model"])
        == (
            "Canon",
            "EOS R5",
        )
    )
    assert oracle["EXIF:DateTimeOriginal"] == "2024:05:06 07:08:09"
    assert info.captured_at == "2024-05-06T07:08:09"
    keywords = oracle.get("XMP:Subject") or oracle.get("IPTC:Keywords")
    assert info.description is not None
    assert info.description.keywords == keywords == ["harbour", "dawn"]


def test_png_exif_after_the_pixels_is_read(corpus: Corpus) -> None:
    path = _png_after_pixels(corpus, "after.png")
    kinds = _chunk_types(path)
    assert kinds.index(b"eXIf") > kinds.index(b"IDAT")  # where ImageMagick writes it
    oracle = exiftool(path)
    info = _probe(path, "image/png")
    assert info.camera is not None
    assert (info.camera.make, info.camera.model) == (oracle["EXIF:Make"], oracle["EXIF:Model"])
    assert info.captured_at == "2024-05-06T07:08:09"
    assert oracle["EXIF:DateTimeOriginal"] == "2024:05:06 07:08:09"


def test_exiftool_writes_png_exif_before_the_pixels(corpus: Corpus) -> None:
    """exiftool places a new eXIf before IDAT, and moves one it finds after the pixels there."""
    moved = _tagged(_png_after_pixels(corpus, "moved.png"), "-Model=EOS R6")
    kinds = _chunk_types(moved)
    assert kinds.index(b"eXIf") < kinds.index(b"IDAT")
    info = _probe(moved, "image/png")
    assert info.camera is not None
    assert info.camera.model == exiftool(moved)["EXIF:Model"] == "EOS R6"


def test_png_keywords_of_an_iptc_profile(corpus: Corpus) -> None:
    """IPTC keywords only (no XMP): exiftool's and ImageMagick's raw profile text chunks."""
    by_exiftool = _tagged(corpus.converted("iptc.png"), "-IPTC:Keywords=harbour", "-IPTC:Keywords=dawn")
    photo = _tagged(corpus.converted("iptc.jpg"), "-IPTC:Keywords=harbour", "-IPTC:Keywords=dawn")
    by_magick = corpus.root / "iptc-magick.png"
    run("convert", photo, by_magick)
    for path in (by_exiftool, by_magick):
        assert exiftool(path)["IPTC:Keywords"] == ["harbour", "dawn"]
        description = _probe(path, "image/png").description
        assert description is not None
        assert description.keywords == ["harbour", "dawn"], path.name


async def test_png_exif_after_the_pixels_reads_a_small_part_of_a_large_png(
    corpus: Corpus, api: AsyncTestClient[Any], http: httpx.AsyncClient, settings: Settings
) -> None:
    from dam.storage.ranged import BLOCK, RangeReader
    from dam.storage.sigv4 import SigV4Presigner

    path = _png_after_pixels(corpus, "large.png", "-resize", "2400x1800!", "+noise", "Random")
    data = path.read_bytes()
    assert len(data) > 10 * 2**20
    assert _chunk_types(path).count(b"IDAT") > 100  # image data in many chunks: headers in every block
    created = await create(api, filename="large.png", content_type="image/png", size=len(data))
    parts = await put_parts(http, created["upload"], data)
    assert (await complete(api, created["id"], {"parts": parts})).status_code == 202
    signer = SigV4Presigner(
        endpoint_url=settings.s3.client_url, region=settings.s3.region,
        access_key=settings.s3.access_key, secret_key=settings.s3.secret_key,
    )  # fmt: skip
    url = signer.presign("GET", settings.s3.bucket, created["storage_path"], expires=300)

    def probe_it() -> tuple[int, MediaInfo]:
        with httpx.Client() as client:
            reader = RangeReader(url, len(data), client=client)
            info = pipeline.probe_media(reader, "image/png")  # type: ignore[arg-type]
            return reader.bytes_fetched, info

    fetched, info = await asyncio.to_thread(probe_it)
    assert info.camera is not None
    assert info.camera.model == "EOS R5"
    assert info.captured_at == "2024-05-06T07:08:09"
    assert fetched <= 3 * BLOCK  # the header's block and the tail's
    assert fetched < len(data) / 10


def _wma(corpus: Corpus) -> Path:
    """Audio only in an ASF container (WMA 2), tagged, by ffmpeg."""
    out = corpus.root / "song.wma"
    if not out.exists():
        run(
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=660:duration=2",
            "-c:a", "wmav2", "-metadata", "title=Oracle Song", "-metadata", "genre=Test", out,
        )  # fmt: skip
    return out


@pytest.mark.parametrize("content_type", ["audio/x-ms-wma", "video/x-ms-asf", "video/x-ms-wmv"])
def test_an_audio_only_asf_is_audio_whatever_asf_type_it_is_declared(
    corpus: Corpus, content_type: str
) -> None:
    path = _wma(corpus)
    oracle = ffprobe(path)
    info = _probe(path, content_type)
    assert info.kind == "audio"
    assert info.format == "WMA"
    assert info.media_type == (None if content_type == "audio/x-ms-wma" else "audio/x-ms-wma")
    assert info.duration == pytest.approx(float(oracle["format"]["duration"]), abs=0.05)
    assert [s.codec for s in info.streams] == [s["codec_name"] for s in oracle["streams"]] == ["wmav2"]
    assert info.tags is not None
    assert info.tags.genre == "Test"
    files = {f.kind for f in pipeline.waveform(io.BytesIO(path.read_bytes()))}
    assert {"waveform", "peaks"} <= files


def test_an_asf_with_video_stays_video(corpus: Corpus) -> None:
    path = corpus.video("clip.wmv", "-c:v", "wmv2", "-c:a", "wmav2")
    info = _probe(path, "video/x-ms-wmv")
    assert (info.kind, info.format) == ("video", "ASF")
    assert info.media_type is None


def test_an_audio_only_mp4_declared_video_is_an_m4a(corpus: Corpus) -> None:
    path = corpus.song("song.mp4", "-c:a", "aac", "-f", "mp4")
    info = _probe(path, "video/mp4")
    assert (info.kind, info.format, info.media_type) == ("audio", "M4A", "audio/mp4")


async def test_an_audio_only_asf_becomes_ready_as_audio_through_the_api(
    corpus: Corpus, api: AsyncTestClient[Any], http: httpx.AsyncClient, run_jobs: Any
) -> None:
    data = _wma(corpus).read_bytes()
    ids = {
        declared: await ingest(api, http, data, name, declared)
        for name, declared in (("song.asf", "video/x-ms-asf"), ("song.wma", "audio/x-ms-wma"))
    }
    await run_jobs()
    for declared, asset_id in ids.items():
        asset = json_of(await api.get(f"/assets/{asset_id}"))
        assert asset["status"] == "ready", (declared, asset["error"])
        assert asset["media"]["kind"] == "audio"
        assert asset["media"]["format"] == "WMA"
        assert asset["media"]["tags"]["title"] == "Oracle Song"
        assert {r["kind"] for r in asset["renditions"]} == {"waveform", "peaks"}
        peaks = msgspec.json.decode((await http.get(by_kind(asset)["peaks"]["url"])).content)
        assert max(peaks["data"]) > 0


def by_kind(asset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["kind"]: r for r in asset["renditions"]}
