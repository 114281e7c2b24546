"""The ladder's media work against independent tools: clips made by Debian's ffmpeg, the segments read
by the suite's own box reader and by ffprobe/ffmpeg, the playlists and MPD parsed as players do."""

from __future__ import annotations

import itertools
import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from defusedxml import ElementTree as ET
from PIL import Image

from dam.domain import manifests
from dam.domain import streaming as st
from dam.media import ladder
from tests.support import bmff
from tests.support.corpus import ffprobe, require_tools, run

pytestmark = pytest.mark.integration
Files = dict[tuple[str, str], bytes]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    require_tools()
    root = tmp_path_factory.mktemp("ladder")
    recipes = {
        # 1080p30 with stereo audio, keyframes every 10 s (the ladder must force its own).
        "hd.mp4": ["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi",
                   "-i", "sine=frequency=440:sample_rate=44100", "-t", "6", "-c:v", "libx264",
                   "-preset", "ultrafast", "-g", "300", "-c:a", "aac", "-ac", "2"],
        # A phone clip: coded landscape, shown portrait (exiftool sets the rotation), 30 then 24 fps.
        "phone.mp4": ["-f", "lavfi", "-i", "testsrc=size=640x360:rate=30", "-f", "lavfi",
                      "-i", "sine=frequency=660:sample_rate=48000", "-t", "6",
                      "-vf", "setpts='if(lt(N,90),N/30,3+(N-90)/24)/TB'", "-fps_mode", "vfr",
                      "-c:v", "libx264", "-preset", "ultrafast",
                      "-c:a", "aac"],
        "silent.mp4": ["-f", "lavfi", "-i", "testsrc=size=640x360:rate=25", "-t", "5", "-c:v", "libx264",
                       "-preset", "ultrafast"],
        "song.m4a": ["-f", "lavfi", "-i", "sine=frequency=330:sample_rate=44100", "-t", "7", "-c:a", "aac"],
        "long.mp4": ["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30", "-f", "lavfi",
                     "-i", "sine=frequency=500:sample_rate=44100", "-t", "11", "-c:v", "libx264",
                     "-preset", "ultrafast", "-c:a", "aac", "-ac", "2"],
    }  # fmt: skip

    def make(name: str) -> Path:
        path = root / name
        if not path.exists():
            run("ffmpeg", "-v", "error", "-y", *recipes[name], path)
            if name == "phone.mp4":
                run("exiftool", "-q", "-overwrite_original", "-Rotation=90", path)
        return path

    return make


def _encode(path: Path, chunk: int | None = None) -> tuple[Files, list[st.Rendition]]:
    """The whole ladder of a file, chunk after chunk, each chunk from a freshly opened file."""
    with av.open(str(path)) as probe:
        duration = probe.duration / av.time_base
        video = next(iter(probe.streams.video), None)
        size = None
        if video is not None:
            size = (video.width, video.height)
            rotated = video.codec_context is not None and _rotation(probe) % 180 == 90
            if rotated:
                size = (size[1], size[0])
        rate = float(video.average_rate) if video is not None and video.average_rate else None
    rungs = st.rungs(*size) if size else []
    starts = [0.0] if chunk is None else [k * chunk for k in range(st.chunk_count(duration, chunk))]
    files: Files = {}
    merged: dict[str, st.Rendition] = {}
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        plan = ladder.ChunkPlan(rungs=rungs, audio=True, start=start, end=end, frame_rate=rate)
        with av.open(str(path)) as container:
            work = ladder.encode_chunk(container, plan)
            while True:
                try:
                    item = next(work)
                except StopIteration as stop:
                    result = stop.value
                    break
                files[(item.rendition, item.name)] = item.data
        for rendition in result.renditions:
            if rendition.name in merged:
                merged[rendition.name].segments += rendition.segments
            else:
                merged[rendition.name] = rendition
    return files, list(merged.values())


def _rotation(container: av.container.InputContainer) -> int:
    for frame in container.decode(video=0):
        return int(frame.rotation or 0) % 360
    return 0


def _playlist_durations(text: str) -> list[float]:
    return [float(m) for m in re.findall(r"#EXTINF:([0-9.]+),", text)]


def _mpd_counts(text: str) -> dict[str, int]:
    ns = {"d": "urn:mpeg:dash:schema:mpd:2011"}
    root = ET.fromstring(text)
    assert root.get("type") == "static"
    counts = {}
    for rep in root.iter("{urn:mpeg:dash:schema:mpd:2011}Representation"):
        timeline = rep.find("d:SegmentTemplate/d:SegmentTimeline", ns)
        assert timeline is not None
        counts[rep.get("id", "")] = sum(int(s.get("r", "0")) + 1 for s in timeline.findall("d:S", ns))
    return counts


def _check(files: Files, renditions: list[st.Rendition]) -> dict[str, list[bmff.Fragment]]:
    """Everything a player relies on, read back from the bytes."""
    videos = [r for r in renditions if r.kind == "video"]
    audio = next((r for r in renditions if r.kind == "audio"), None)
    mpd_counts = _mpd_counts(manifests.mpd(videos, audio))
    fragments: dict[str, list[bmff.Fragment]] = {}
    for rendition in renditions:
        init = files[(rendition.name, "init.mp4")]
        scale = bmff.timescale(init)
        assert scale == rendition.timescale
        names = sorted(name for (r, name) in files if r == rendition.name and name != "init.mp4")
        frags = [bmff.fragment(files[(rendition.name, name)]) for name in names]
        fragments[rendition.name] = frags
        for before, after in itertools.pairwise(frags):
            assert before.decode_time + before.duration == after.decode_time, "segments are contiguous"
        if rendition.kind == "video":
            for name, frag in zip(names, frags, strict=True):
                assert 5 in bmff.nal_types(frag.first_sample), (
                    f"{rendition.name}/{name} starts without an IDR"
                )
        extinf = _playlist_durations(manifests.media_playlist(rendition))
        assert len(extinf) == len(frags) == mpd_counts[rendition.name]
        for seconds, frag in zip(extinf, frags, strict=True):
            assert abs(seconds - frag.duration / scale) <= 0.001
    starts = {tuple(f.decode_time for f in fragments[v.name]) for v in videos}
    assert len(starts) <= 1, "every rung cuts at the same times"
    return fragments


def _decoded_frames(files: Files, rendition: str, tmp_path: Path) -> tuple[Path, int]:
    names = sorted(name for (r, name) in files if r == rendition and name != "init.mp4")
    joined = tmp_path / f"{rendition}.mp4"
    joined.write_bytes(files[(rendition, "init.mp4")] + b"".join(files[(rendition, n)] for n in names))
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(joined), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not done.stderr.strip(), done.stderr[-2000:]
    info = ffprobe(joined)
    frames = run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "0", "-show_entries",
                 "stream=nb_read_frames", "-of", "csv=p=0", joined)  # fmt: skip
    assert info["streams"]
    return joined, int(frames.strip().rstrip(","))


def _source_frames(path: Path) -> int:
    out = run("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
              "stream=nb_read_frames", "-of", "csv=p=0", path)  # fmt: skip
    return int(out.strip().rstrip(","))


def test_hd_clip_gets_three_aligned_rungs_and_shared_audio(
    clips: Callable[[str], Path], tmp_path: Path
) -> None:
    path = clips("hd.mp4")
    files, renditions = _encode(path)
    assert [(r.name, r.width, r.height) for r in renditions] == [
        ("v1080", 1920, 1080), ("v720", 1280, 720), ("v360", 640, 360), ("a", None, None),
    ]  # fmt: skip
    fragments = _check(files, renditions)
    assert [f.duration / 90000 for f in fragments["v720"]] == pytest.approx([4.0, 2.0])
    for rung in ("v1080", "v720", "v360"):
        _, frames = _decoded_frames(files, rung, tmp_path)
        assert frames == _source_frames(path) == 180
    joined, _ = _decoded_frames(files, "a", tmp_path)
    audio = ffprobe(joined)["streams"][0]
    assert (audio["codec_name"], audio["profile"], audio["sample_rate"], audio["channels"]) == (
        "aac",
        "LC",
        "48000",
        2,
    )
    master = manifests.master_playlist([r for r in renditions if r.kind == "video"], renditions[-1])
    assert 'CODECS="avc1.640028,mp4a.40.2"' in master
    assert "RESOLUTION=1920x1080" in master
    h264 = ffprobe(tmp_path / "v1080.mp4")["streams"][0]
    assert (h264["profile"], h264["pix_fmt"]) == ("High", "yuv420p")


def test_phone_clip_is_upright_and_cut_by_timestamp(clips: Callable[[str], Path], tmp_path: Path) -> None:
    """Rotation 90 and 30-then-24 fps: a portrait rung, IDRs on the 2 s grid by time, not frame count."""
    path = clips("phone.mp4")
    files, renditions = _encode(path)
    video = renditions[0]
    assert (video.name, video.width, video.height) == ("v360", 360, 640)
    fragments = _check(files, renditions)
    starts = [f.decode_time / 90000 for f in fragments["v360"]]
    assert starts == pytest.approx([0.0, 4.0], abs=0.05)
    joined, frames = _decoded_frames(files, "v360", tmp_path)
    assert frames == _source_frames(path)
    # Upright: the first picture matches ffmpeg's own autorotated decode of the original.
    ours = tmp_path / "ours.png"
    theirs = tmp_path / "theirs.png"
    run("ffmpeg", "-v", "error", "-y", "-i", joined, "-frames:v", "1", ours)
    run("ffmpeg", "-v", "error", "-y", "-i", path, "-frames:v", "1", "-vf", "scale=360:640", theirs)
    with Image.open(ours) as a, Image.open(theirs) as b:
        assert a.size == b.size == (360, 640)
        diff = np.abs(
            np.asarray(a.convert("RGB"), dtype=np.int16) - np.asarray(b.convert("RGB"), dtype=np.int16)
        )
        assert float(diff.mean()) < 12


def test_clip_without_audio_has_no_audio_rendition(clips: Callable[[str], Path], tmp_path: Path) -> None:
    files, renditions = _encode(clips("silent.mp4"))
    assert [r.name for r in renditions] == ["v360"]
    _check(files, renditions)
    master = manifests.master_playlist(renditions, None)
    assert "mp4a" not in master
    assert "AUDIO=" not in master


def test_audio_only_file_gets_an_audio_only_stream(clips: Callable[[str], Path], tmp_path: Path) -> None:
    files, renditions = _encode(clips("song.m4a"))
    assert [r.name for r in renditions] == ["a"]
    fragments = _check(files, renditions)
    total = sum(f.duration for f in fragments["a"]) / st.AUDIO_RATE
    assert total == pytest.approx(7.0, abs=0.05)
    master = manifests.master_playlist([], renditions[0])
    assert 'CODECS="mp4a.40.2"' in master
    assert "a/index.m3u8" in master


def test_chunks_give_the_same_stream_as_one_pass(clips: Callable[[str], Path], tmp_path: Path) -> None:
    """A clip longer than a chunk: chunks of 4 s make the same init segments (byte for byte), the same
    boundaries and every frame once."""
    path = clips("long.mp4")
    whole, one = _encode(path)
    files, chunked = _encode(path, chunk=4)
    for rendition in ("v360", "a"):
        assert files[(rendition, "init.mp4")] == whole[(rendition, "init.mp4")]
    cut = _check(files, chunked)
    same = _check(whole, one)
    assert [f.decode_time for f in cut["v360"]] == [f.decode_time for f in same["v360"]]
    assert [f.decode_time for f in cut["a"]] == [f.decode_time for f in same["a"]]
    _, frames = _decoded_frames(files, "v360", tmp_path)
    assert frames == _source_frames(path) == 330
    audio = sum(f.duration for f in cut["a"])
    assert audio == sum(f.duration for f in same["a"])
    assert math.isclose(audio / st.AUDIO_RATE, 11.0, abs_tol=0.05)
