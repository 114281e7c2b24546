"""Pure decisions of the ladder: rungs, recipe, the segment grid, and the manifests' text."""

from __future__ import annotations

import pytest
from defusedxml import ElementTree as ET

from dam.domain import manifests
from dam.domain import streaming as st
from dam.settings import SettingsError, load_settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        pytest.param((1920, 1080), [(1920, 1080), (1280, 720), (640, 360)], id="1080p"),
        pytest.param((1080, 1920), [(1080, 1920), (720, 1280), (360, 640)], id="portrait-by-short-side"),
        pytest.param((3840, 2160), [(1920, 1080), (1280, 720), (640, 360)], id="4k-down-to-the-top-rung"),
        pytest.param((854, 480), [(640, 360)], id="480p-never-upscaled"),
        pytest.param((320, 240), [(320, 240)], id="below-the-lowest-keeps-its-size"),
        pytest.param((1024, 576), [(640, 360)], id="anamorphic-pal-displayed"),
        pytest.param((1281, 721), [(1280, 720), (640, 360)], id="odd-sizes-made-even"),
    ],
)
def test_rungs_by_short_side(size: tuple[int, int], expected: list[tuple[int, int]]) -> None:
    assert [(r.width, r.height) for r in st.rungs(*size)] == expected


def test_rungs_named_and_capped() -> None:
    top, middle, low = st.rungs(1920, 1080)
    assert (top.name, top.maxrate, top.bufsize) == ("v1080", 6000, 12000)
    assert (middle.name, middle.maxrate) == ("v720", 3000)
    assert (low.name, low.maxrate) == ("v360", 1000)
    assert [r.name for r in st.rungs(1920, 1080, (1080, 720, 480, 360))] == ["v1080", "v720", "v480", "v360"]


@pytest.mark.parametrize("text", ["abc", "1080,7", "1081", "10000"])
def test_ladder_setting_refuses_nonsense(text: str) -> None:
    with pytest.raises(SettingsError, match="DAM_LADDER"):
        load_settings({"DAM_LADDER": text})


def test_ladder_setting_in_any_order() -> None:
    ladder = load_settings({"DAM_LADDER": "360, 1080,720,360"}).stream.ladder
    assert [r.name for r in st.rungs(1920, 1080, ladder)] == ["v1080", "v720", "v360"]
    assert st.recipe(ladder) == st.recipe((1080, 720, 360))


def test_recipe_names_the_settings() -> None:
    assert st.recipe((1080, 720, 360)) == st.recipe((1080, 720, 360))
    assert st.recipe((1080, 720, 360)) != st.recipe((1080, 720, 480, 360))
    assert st.recipe((720,)).startswith("h264-")


def test_chunks_start_on_the_segment_grid() -> None:
    assert st.chunk_seconds(300) == 300
    assert st.chunk_seconds(5) == 8
    assert st.chunk_count(12.0, 4) == 3
    assert st.chunk_count(12.5, 4) == 4
    assert st.chunk_count(0.5, 300) == 1
    assert st.first_segment(2, 8) == 5


def test_audio_grid_is_on_aac_frames() -> None:
    assert st.audio_start(4.0) == 187 * 1024  # 192000 samples is 187.5 frames
    assert st.audio_segment(0) == 1
    assert st.audio_segment(187 * 1024 - 1024) == 1
    assert st.audio_segment(187 * 1024) == 2
    assert st.video_segment(3.9999999) == 2  # a frame a hair before 4 s (float error) starts segment 2
    assert st.video_segment(7.9) == 2


def _video(name: str = "v720", durations: tuple[int, ...] = (360000, 360000, 180000)) -> st.Rendition:
    segments, start = [], 0
    for number, duration in enumerate(durations, 1):
        segments.append(st.Segment(number=number, start=start, duration=duration, bytes=duration // 10))
        start += duration
    return st.Rendition(
        name=name, kind="video", codecs="avc1.64001f", timescale=90000, width=1280, height=720,
        frame_rate=29.97, segments=segments,
    )  # fmt: skip


def test_media_playlist_lists_exact_durations() -> None:
    text = manifests.media_playlist(_video(durations=(360000, 359999, 90000)))
    lines = text.splitlines()
    assert lines[:7] == [
        "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:4", "#EXT-X-MEDIA-SEQUENCE:1",
        "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", '#EXT-X-MAP:URI="init.mp4"',
    ]  # fmt: skip
    assert "#EXTINF:3.999989," in lines
    assert "seg_00003.m4s" in lines
    assert lines[-1] == "#EXT-X-ENDLIST"


def test_bandwidth_is_measured_from_segments() -> None:
    video = _video(durations=(360000, 360000))
    video.segments[1] = st.Segment(number=2, start=360000, duration=360000, bytes=1_000_000)
    assert video.peak_bandwidth == 2_000_000
    assert video.average_bandwidth == (36000 + 1_000_000) * 8 // 8


def test_master_playlist_shares_one_audio_group() -> None:
    audio = st.Rendition(name="a", kind="audio", codecs="mp4a.40.2", timescale=48000, channels=2,
                         segments=[st.Segment(number=1, start=0, duration=192000, bytes=64000)])  # fmt: skip
    text = manifests.master_playlist([_video("v1080"), _video("v720")], audio)
    assert text.count('AUDIO="aac"') == 2
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac"' in text
    assert 'URI="a/index.m3u8"' in text
    assert 'CODECS="avc1.64001f,mp4a.40.2"' in text
    assert "FRAME-RATE=29.970" in text
    assert "RESOLUTION=1280x720" in text
    assert "v1080/index.m3u8" in text


def test_mpd_folds_equal_segments_and_counts_them_all() -> None:
    text = manifests.mpd([_video(durations=(360000, 360000, 360000, 90000))], None)
    root = ET.fromstring(text)
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    entries = root.findall(".//d:SegmentTimeline/d:S", ns)
    assert [(e.get("t"), e.get("d"), e.get("r")) for e in entries] == [
        ("0", "360000", "2"),
        ("1080000", "90000", None),
    ]
    template = root.find(".//d:SegmentTemplate", ns)
    assert template is not None
    assert template.get("media") == "$RepresentationID$/seg_$Number%05d$.m4s"
    assert root.get("mediaPresentationDuration") == "PT13.000S"
    rep = root.find(".//d:Representation", ns)
    assert rep is not None
    assert rep.get("frameRate") == "30000/1001"
