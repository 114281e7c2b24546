"""Real-world media made by independent tools: our facts against ffprobe and exiftool, our renditions
against ImageMagick's upright sRGB rendering. The media functions run as the worker runs them."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from PIL import Image

from dam.domain.media import MediaInfo, MediaRejected, RenderedFile
from dam.media import pipeline
from tests.support.corpus import Corpus, exiftool, ffprobe, magick_reference, mean_difference, require_tools


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    require_tools()
    return Corpus(tmp_path_factory.mktemp("corpus"))


def _probe(path: Path, content_type: str) -> MediaInfo:
    return pipeline.probe_media(io.BytesIO(path.read_bytes()), content_type)


def _rendered(path: Path, info: MediaInfo) -> dict[str, RenderedFile]:
    data = io.BytesIO(path.read_bytes())
    if info.kind == "image":
        files = list(pipeline.stills(data, info))
    elif info.kind == "video":
        files = list(pipeline.poster(data, info))
    else:
        files = list(pipeline.waveform(data))
    return {f.kind: f for f in files}


def _picture(file: RenderedFile) -> Image.Image:
    with Image.open(io.BytesIO(file.data)) as image:
        return image.convert("RGB")


IMAGES: list[Any] = [
    pytest.param(
        lambda c: c.tagged("AdobeRGB1998.icc", "deep.psd", "-depth", "16"),
        "image/vnd.adobe.photoshop",
        "PSD",
        3.0,
        id="psd-16-bit-adobe-rgb",
    ),
    pytest.param(
        lambda c: c.converted("grey16.psd", "-colorspace", "Gray", "-depth", "16"),
        "image/vnd.adobe.photoshop",
        "PSD",
        3.0,
        id="psd-16-bit-grey",
    ),
    pytest.param(lambda c: c.photo(), "image/jpeg", "JPEG", 5.0, id="jpeg-exif-rotated"),
    pytest.param(
        lambda c: c.tagged("AdobeRGB1998.icc", "adobe.jpg"), "image/jpeg", "JPEG", 4.0, id="adobe-rgb-jpeg"
    ),
    pytest.param(
        lambda c: c.tagged("ProPhotoRGB.icc", "prophoto16.tif", "-depth", "16"),
        "image/tiff",
        "TIFF",
        4.0,
        id="prophoto-16-bit-tiff",
    ),
    pytest.param(
        lambda c: c.converted("gray16.png", "-colorspace", "Gray", "-depth", "16"),
        "image/png",
        "PNG",
        3.0,
        id="16-bit-grey-png",
    ),
    pytest.param(lambda c: c.heic(), "image/heic", "HEIC", 4.0, id="heic"),
    pytest.param(lambda c: c.avif(), "image/avif", "AVIF", 4.0, id="avif"),
    pytest.param(lambda c: c.jxl(), "image/jxl", "JXL", 4.0, id="jxl"),
    pytest.param(
        lambda c: c.converted("layers.psd", "-depth", "8"), "image/vnd.adobe.photoshop", "PSD", 3.0, id="psd"
    ),
    pytest.param(
        lambda c: c.converted("pages.tif", c.tagged("AdobeRGB1998.icc", "second.tif")),
        "image/tiff",
        "TIFF",
        3.0,
        id="multi-page-tiff",
    ),
    pytest.param(
        lambda c: c.converted("cmyk.jpg", "-colorspace", "CMYK"),
        "image/jpeg",
        "JPEG",
        8.0,
        id="untagged-cmyk",
    ),
    pytest.param(
        lambda c: c.cmyk_tagged("cmyk-profiled.jpg"), "image/jpeg", "JPEG", 4.0, id="cmyk-with-profile"
    ),
    pytest.param(lambda c: c.cmyk_tagged("cmyk-profiled.tif"), "image/tiff", "TIFF", 4.0, id="cmyk-tiff"),
]


@pytest.mark.parametrize(("make", "content_type", "file_type", "tolerance"), IMAGES)
def test_images_match_exiftool_and_imagemagick(
    corpus: Corpus, make: Callable[[Corpus], Path], content_type: str, file_type: str, tolerance: float
) -> None:
    path = make(corpus)
    info = _probe(path, content_type)
    oracle = exiftool(path)
    assert oracle["File:FileType"].startswith(file_type)  # "JXL Codestream" for a bare codestream
    assert info.format == file_type
    stored = (oracle.get("File:ImageWidth") or oracle.get("EXIF:ImageWidth"), oracle.get("File:ImageHeight"))
    width, height = _size_of(oracle)
    if info.orientation in {5, 6, 7, 8}:
        width, height = height, width
    assert (info.width, info.height) == (width, height), stored
    preview = _rendered(path, info)["preview"]
    ours = _picture(preview)
    assert abs(ours.width / ours.height - width / height) < 0.01
    reference = magick_reference(path, ours.size)
    assert mean_difference(ours, reference) < tolerance


def _size_of(oracle: dict[str, Any]) -> tuple[int, int]:
    for group in ("File", "EXIF", "PNG", "QuickTime", "JXL", "Photoshop", "Composite"):
        width, height = oracle.get(f"{group}:ImageWidth"), oracle.get(f"{group}:ImageHeight")
        if width and height:
            return int(width), int(height)
    size = str(oracle["Composite:ImageSize"]).replace("x", " ").split()
    return int(size[0]), int(size[1])


def _converted_through_its_profile(path: Path) -> str:
    """The preview is near ImageMagick's conversion through the embedded profile, and far from the
    pixels taken as they are (Pillow's plain conversion); returns the profile's name."""
    info = _probe(path, "image/jpeg")
    assert info.icc_profile is not None
    ours = _picture(_rendered(path, info)["preview"])
    reference = magick_reference(path, ours.size)
    with Image.open(path) as raw_values:
        ignored = raw_values.convert("RGB").resize(ours.size, Image.Resampling.LANCZOS)
    assert mean_difference(ours, reference) < 4.0
    assert mean_difference(ignored, reference) > 2 * mean_difference(ours, reference) + 2
    return info.icc_profile


def test_an_embedded_profile_is_applied_not_dropped(corpus: Corpus) -> None:
    """The Adobe RGB photo's preview is near ImageMagick's sRGB conversion and far from its raw values."""
    assert "Adobe RGB" in _converted_through_its_profile(corpus.tagged("AdobeRGB1998.icc", "adobe.jpg"))


def test_a_cmyk_profile_is_converted_through(corpus: Corpus) -> None:
    """A CMYK photo with its press profile is converted through that profile, not Pillow's naive
    CMYK to RGB formula (which is what an untagged CMYK file gets)."""
    assert "CMYK" in _converted_through_its_profile(corpus.cmyk_tagged("cmyk-profiled.jpg"))


def test_photo_facts_are_those_exiftool_reads(corpus: Corpus) -> None:
    path = corpus.photo()
    info = _probe(path, "image/jpeg")
    oracle = exiftool(path)
    camera = info.camera
    assert camera is not None
    assert (camera.make, camera.model, camera.lens) == (
        oracle["EXIF:Make"],
        oracle["EXIF:Model"],
        oracle["EXIF:LensModel"],
    )
    assert camera.f_number == pytest.approx(oracle["EXIF:FNumber"])
    assert camera.exposure_time == pytest.approx(oracle["EXIF:ExposureTime"])
    assert camera.iso == oracle["EXIF:ISO"]
    assert camera.focal_length == pytest.approx(oracle["EXIF:FocalLength"])
    assert info.captured_at == "2026-05-04T10:20:30"
    assert info.orientation == oracle["EXIF:Orientation"] == 6
    gps = camera.gps or {}
    # BYTE fields are numbers, as exiftool -n reads them, not text.
    assert gps["GPSAltitudeRef"] == oracle["EXIF:GPSAltitudeRef"] == 0
    assert gps["GPSVersionID"] == [int(v) for v in str(oracle["EXIF:GPSVersionID"]).replace(".", " ").split()]
    assert gps["GPSAltitude"] == pytest.approx(oracle["EXIF:GPSAltitude"])
    description = info.description
    assert description is not None
    assert description.keywords == oracle["XMP:Subject"] == ["tower", "paris"]
    assert description.caption == oracle["XMP:Description"]
    assert description.creator == oracle["XMP:Creator"]
    assert description.copyright == oracle["XMP:Rights"]
    assert description.rating == oracle["XMP:Rating"] == 4


@pytest.mark.parametrize(
    ("name", "content_type", "file_type"),
    [
        pytest.param("anim.gif", "image/gif", "GIF", id="gif"),
        pytest.param("anim.webp", "image/webp", "WEBP", id="webp"),
        pytest.param("anim.png", "image/apng", "APNG", id="apng"),
    ],
)
def test_animations_count_their_frames(corpus: Corpus, name: str, content_type: str, file_type: str) -> None:
    path = corpus.animated(name)
    info = _probe(path, content_type)
    assert info.format == file_type
    assert info.animated is True
    assert info.frame_count == 3
    assert _rendered(path, info)["preview"].width == 320


def test_a_multi_page_tiff_counts_its_pages(corpus: Corpus) -> None:
    path = corpus.converted("pages.tif", corpus.tagged("AdobeRGB1998.icc", "second.tif"))
    info = _probe(path, "image/tiff")
    assert info.page_count == 2
    bits = exiftool(path)["EXIF:BitsPerSample"]
    assert info.bit_depth == int(str(bits).split()[0])


def test_sixteen_bits_are_recorded(corpus: Corpus) -> None:
    path = corpus.tagged("ProPhotoRGB.icc", "prophoto16.tif", "-depth", "16")
    info = _probe(path, "image/tiff")
    assert info.bit_depth == 16
    assert info.icc_profile == "ProPhoto RGB"


def test_dng_from_another_tool_develops(corpus: Corpus, tmp_path: Path) -> None:
    """A DNG written by pidng (not by us) is read by LibRaw; facts as exiftool reads them."""
    from tests.support.media import dng

    path = tmp_path / "camera.dng"
    path.write_bytes(dng(640, 480))
    info = _probe(path, "image/x-adobe-dng")
    oracle = exiftool(path)
    assert info.format == oracle["File:FileType"] == "DNG"
    assert (info.width, info.height) == (oracle["EXIF:ImageWidth"], oracle["EXIF:ImageHeight"])
    assert info.camera is not None
    assert (info.camera.make, info.camera.model) == (oracle["EXIF:Make"], oracle["EXIF:Model"])
    preview = _picture(_rendered(path, info)["preview"])
    assert preview.size == (640, 480)
    pixels = np.asarray(preview, dtype=np.int16)
    # The mosaic was a left-to-right red ramp: developed, the right side is redder than the left.
    assert pixels[:, -40:, 0].mean() > pixels[:, :40, 0].mean() + 60


_X265 = ("-c:v", "libx265", "-x265-params", "log-level=error")
_HDR = ("-vf", "format=yuv420p10le", *_X265, "-color_primaries", "bt2020", "-colorspace", "bt2020nc", "-an")
# ffmpeg's output options for each clip of the corpus.
RECIPES: dict[str, tuple[str, ...]] = {
    "h264.mp4": ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart"),
    "phone.3gp": ("-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "3gp"),
    "hevc.mkv": (*_X265, "-c:a", "libopus"),
    "vp9.webm": ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-c:a", "libopus"),
    "avchd.mts": ("-c:v", "libx264", "-g", "1000", "-c:a", "ac3", "-f", "mpegts", "-mpegts_m2ts_mode", "1"),
    "broadcast.ts": ("-c:v", "mpeg2video", "-c:a", "mp2", "-f", "mpegts"),
    "pal.mp4": ("-vf", "scale=720:576,setsar=64/45", "-c:v", "libx264", "-c:a", "aac"),
    "pq.mp4": (*_HDR, "-color_trc", "smpte2084"),
    "hlg.mov": (*_HDR, "-color_trc", "arib-std-b67"),
}
VIDEOS: list[Any] = [
    pytest.param(name, RECIPES[name], content_type, file_type, id=case)
    for name, content_type, file_type, case in (
        ("h264.mp4", "video/mp4", "MP4", "h264-mp4"),
        ("phone.3gp", "video/3gpp", "3GP", "3gp"),
        ("hevc.mkv", "video/x-matroska", "MKV", "hevc-mkv"),
        ("vp9.webm", "video/webm", "WEBM", "vp9-webm"),
        ("avchd.mts", "video/mp2t", "M2TS", "one-keyframe-mts"),
        ("broadcast.ts", "video/mp2t", "M2T", "mpeg2-ts"),
        ("pal.mp4", "video/mp4", "MP4", "anamorphic-pal"),
        ("pq.mp4", "video/mp4", "MP4", "hdr-pq"),
        ("hlg.mov", "video/quicktime", "MOV", "hdr-hlg"),
    )
]


@pytest.mark.parametrize(("name", "args", "content_type", "file_type"), VIDEOS)
def test_videos_match_ffprobe(
    corpus: Corpus, name: str, args: tuple[str, ...], content_type: str, file_type: str
) -> None:
    path = corpus.video(name, *args)
    info = _probe(path, content_type)
    oracle = ffprobe(path)
    assert info.format == exiftool(path)["File:FileType"] == file_type
    assert info.duration == pytest.approx(float(oracle["format"]["duration"]), abs=0.05)
    for ours, theirs in zip(info.streams, oracle["streams"], strict=True):
        assert ours.codec == theirs["codec_name"]
        assert ours.profile == theirs.get("profile")
        if theirs["codec_type"] == "video":
            assert (ours.width, ours.height) == (theirs["width"], theirs["height"])
            assert ours.pixel_format == theirs["pix_fmt"]
            assert ours.color_transfer == theirs.get("color_transfer")
            assert ours.color_primaries == theirs.get("color_primaries")
            assert ours.field_order == theirs.get("field_order")
            if "sample_aspect_ratio" in theirs:
                assert ours.sample_aspect_ratio == theirs["sample_aspect_ratio"]
                assert ours.display_aspect_ratio == theirs["display_aspect_ratio"]
        else:
            assert (ours.sample_rate, ours.channels) == (int(theirs["sample_rate"]), theirs["channels"])
    files = _rendered(path, info)
    poster = _picture(files["poster"])
    assert abs(poster.width / poster.height - info.width / info.height) < 0.01  # type: ignore[operator]
    assert float(np.asarray(poster).std()) > 10  # a picture, not a flat frame


def test_anamorphic_video_is_displayed_and_rendered_in_square_pixels(corpus: Corpus) -> None:
    path = corpus.video("pal.mp4", *RECIPES["pal.mp4"])
    info = _probe(path, "video/mp4")
    assert (info.width, info.height) == (1024, 576)
    assert (info.coded_width, info.coded_height) == (720, 576)
    assert _rendered(path, info)["poster"].width == 1024


@pytest.mark.parametrize(
    ("name", "transfer", "hdr"), [("pq.mp4", "smpte2084", "PQ"), ("hlg.mov", "arib-std-b67", "HLG")]
)
def test_hdr_is_recorded_and_its_poster_tone_mapped(
    corpus: Corpus, name: str, transfer: str, hdr: str
) -> None:
    path = corpus.video(name, *RECIPES[name])
    info = _probe(path, "video/mp4" if name.endswith("mp4") else "video/quicktime")
    assert info.hdr == hdr
    assert info.bit_depth == 10
    poster = np.asarray(_picture(_rendered(path, info)["poster"]), dtype=np.float32)
    # testsrc2's colour bars stay colourful and not washed out (an untouched PQ signal is grey-ish).
    assert poster.std() > 40
    assert poster.max() > 200


def test_one_keyframe_transport_stream_gets_a_poster(corpus: Corpus) -> None:
    path = corpus.video("avchd.mts", *RECIPES["avchd.mts"])
    info = _probe(path, "video/mp2t")
    assert "poster" in _rendered(path, info)


def test_a_truncated_mp4_says_how_much_is_missing(corpus: Corpus, tmp_path: Path) -> None:
    whole = corpus.video("h264.mp4", *RECIPES["h264.mp4"])
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    with pytest.raises(
        MediaRejected, match=r"the file is truncated: .* bytes \(\d+ bytes, 4\d% of the media data"
    ):
        _probe(cut, "video/mp4")
    assert _probe(whole, "video/mp4").duration == pytest.approx(3.0, abs=0.05)


def test_waveforms_draw_a_high_tone_at_its_loudness(corpus: Corpus) -> None:
    """A 5.5 kHz sine at -3 dBFS: full band peaks near 0.7; an 8 kHz resample made it a flat line."""
    path = corpus.sine("beep.wav", 5500, "gain", "-3")
    info = _probe(path, "audio/wav")
    peaks = msgspec.json.decode(_rendered(path, info)["peaks"].data)
    assert peaks["sample_rate"] == 44100
    highs = peaks["data"][1::2]
    assert min(highs[10:-10]) > 80  # of 127


@pytest.mark.parametrize(
    ("name", "codec", "content_type", "file_type"),
    [
        pytest.param(
            "song.mp3", ("-c:a", "libmp3lame", "-id3v2_version", "3"), "audio/mpeg", "MP3", id="mp3-id3"
        ),
        pytest.param("song.flac", ("-c:a", "flac"), "audio/flac", "FLAC", id="flac-vorbis-comments"),
        pytest.param("song.m4a", ("-c:a", "aac"), "audio/mp4", "M4A", id="m4a-atoms"),
    ],
)
def test_audio_tags_and_cover_art(
    corpus: Corpus, name: str, codec: tuple[str, ...], content_type: str, file_type: str
) -> None:
    path = corpus.song(name, *codec)
    info = _probe(path, content_type)
    oracle = ffprobe(path)["format"]["tags"]
    assert info.format == exiftool(path)["File:FileType"] == file_type
    assert info.tags is not None
    tags = {k.lower(): v for k, v in oracle.items()}
    assert (info.tags.title, info.tags.artist, info.tags.album) == (
        tags["title"],
        tags["artist"],
        tags["album"],
    )
    assert info.tags.genre == tags["genre"]
    assert info.cover_art is True
    files = _rendered(path, info)
    assert {"waveform", "peaks", "preview", "thumbnail"} <= set(files)
    cover = _picture(files["preview"])
    assert cover.size == (500, 500)
    reference = magick_reference(corpus.converted("cover.jpg", "-resize", "500x500!"), (500, 500))
    assert mean_difference(cover, reference) < 5.0


def test_mp3_declared_as_video_fails_naming_what_it_is(corpus: Corpus) -> None:
    path = corpus.song("song.mp3", "-c:a", "libmp3lame", "-id3v2_version", "3")
    with pytest.raises(
        MediaRejected, match=r"the file is audio \(MP3\), declared video/mp4: upload it as audio/mpeg"
    ):
        _probe(path, "video/mp4")


def test_a_png_declared_jpeg_is_processed_as_png(corpus: Corpus) -> None:
    path = corpus.base()
    info = _probe(path, "image/jpeg")
    assert info.format == "PNG"
    assert info.media_type == "image/png"
    assert "preview" in _rendered(path, info)


async def test_unsupported_types_are_refused_at_creation_with_the_list(api: Any) -> None:
    response = await api.post(
        "/assets", json={"filename": "a.xyz", "content_type": "image/x-xyz", "size": 10}
    )
    assert response.status_code == 422
    detail = response.text
    assert "not a format the service processes" in detail
    assert all(t in detail for t in ("image/heic", "image/x-adobe-dng", "video/mp2t", "audio/flac"))


async def test_heic_and_tagged_audio_become_ready_through_the_api(
    corpus: Corpus, api: Any, http: Any, run_jobs: Any
) -> None:
    from tests.support.flows import ingest

    heic = await ingest(api, http, corpus.heic().read_bytes(), "IMG_0001.HEIC", "image/heic")
    song = corpus.song("song.mp3", "-c:a", "libmp3lame", "-id3v2_version", "3")
    audio = await ingest(api, http, song.read_bytes(), "song.mp3", "audio/mpeg")
    wrong = await ingest(api, http, song.read_bytes(), "song.mp4", "video/mp4")
    await run_jobs()
    photo = (await api.get(f"/assets/{heic}")).json()
    assert photo["status"] == "ready", photo["error"]
    assert photo["media"]["format"] == "HEIC"
    assert {r["kind"] for r in photo["renditions"]} == {"preview", "thumbnail"}
    track = (await api.get(f"/assets/{audio}")).json()
    assert track["status"] == "ready", track["error"]
    assert track["media"]["tags"]["title"] == "Oracle Song"
    assert {r["kind"] for r in track["renditions"]} == {"waveform", "peaks", "preview", "thumbnail"}
    failed = (await api.get(f"/assets/{wrong}")).json()
    assert failed["status"] == "failed"
    assert "the file is audio (MP3), declared video/mp4: upload it as audio/mpeg" in failed["error"]
