"""Speech's pure parts: the WebVTT of a transcript's segments, and the speech model put together
from its two parts, checked by sha256, and reused once it is."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dam.domain.transcript import Segment, timestamp, to_webvtt
from dam.media.enrich import speech, weights
from dam.media.enrich.weights import Weight, WeightError


@pytest.mark.parametrize(
    ("seconds", "stamp"),
    [
        pytest.param(0, "00:00:00.000", id="zero"),
        pytest.param(1.5, "00:00:01.500", id="fraction"),
        pytest.param(61.0004, "00:01:01.000", id="rounded-down"),
        pytest.param(59.9996, "00:01:00.000", id="rounded-up-carries"),
        pytest.param(3 * 3600 + 25 * 60 + 7.25, "03:25:07.250", id="hours"),
        pytest.param(-1, "00:00:00.000", id="negative-clamped"),
    ],
)
def test_timestamps_are_hours_minutes_seconds_and_milliseconds(seconds: float, stamp: str) -> None:
    assert timestamp(seconds) == stamp


def test_webvtt_has_one_cue_per_segment_in_order() -> None:
    vtt = to_webvtt(
        [Segment(start=0.0, end=2.5, text=" Hello there. "), Segment(start=2.5, end=65.25, text="Goodbye")]
    )
    assert vtt == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHello there.\n\n00:00:02.500 --> 00:01:05.250\nGoodbye\n\n"
    )


def test_webvtt_escapes_what_would_end_or_mark_up_a_cue() -> None:
    vtt = to_webvtt([Segment(start=1, end=2, text="a --> b & <c.loud>x</c>\n\nnext")])
    cue = vtt.split("\n\n")[1]
    assert cue == "00:00:01.000 --> 00:00:02.000\na --&gt; b &amp; &lt;c.loud&gt;x&lt;/c&gt; next"
    assert vtt.count("-->") == 1


def test_webvtt_of_no_segments_is_an_empty_file_and_blank_segments_are_skipped() -> None:
    assert to_webvtt([]) == "WEBVTT\n\n"
    assert to_webvtt([Segment(start=0, end=1, text="  ")]) == "WEBVTT\n\n"
    assert "00:00:05.000 --> 00:00:05.000" in to_webvtt([Segment(start=5, end=4, text="late")])


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _model(sha256: str) -> Weight:
    return Weight(package="whisper-base", path="model.bin", sha256=sha256)


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Two small parts and the model's other files in fake packages, recorded with their sha256."""
    files = {
        "data/model.bin.part1": b"first half of the weights|",
        "data/model.bin.part2": b"second half",
        "data/config.json": b"{}",
        "data/tokenizer.json": b'{"tokens": []}',
        "data/vocabulary.txt": b"a\nb\n",
    }
    for path, data in files.items():
        (tmp_path / "packages" / "fake" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "packages" / "fake" / path).write_bytes(data)
    monkeypatch.setattr(weights, "package_dir", lambda package: tmp_path / "packages" / package)
    recorded = {path: Weight(package="fake", path=path, sha256=_sha(data)) for path, data in files.items()}
    parts = {"part1": recorded["data/model.bin.part1"], "part2": recorded["data/model.bin.part2"]}
    monkeypatch.setattr(speech, "_PARTS", parts)
    monkeypatch.setattr(speech, "_FILES", {
        "config": recorded["data/config.json"],
        "tokenizer": recorded["data/tokenizer.json"],
        "vocabulary": recorded["data/vocabulary.txt"],
    })  # fmt: skip
    whole = files["data/model.bin.part1"] + files["data/model.bin.part2"]
    monkeypatch.setattr(weights, "WHISPER_MODEL", _model(_sha(whole)))
    return {"model.bin": whole, **{Path(p).name: d for p, d in files.items() if "part" not in p}}


def test_the_parts_are_put_together_into_a_checked_directory(
    fake_model: dict[str, bytes], tmp_path: Path
) -> None:
    directory = speech.assembled_model_dir(tmp_path / "cache")
    assert directory.parent == tmp_path / "cache"
    assert directory.name == f"whisper-base-{weights.WHISPER_MODEL.sha256[:8]}"
    assert {f.name: f.read_bytes() for f in directory.iterdir()} == fake_model
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [directory.name]  # no temporary left


def test_an_assembled_directory_is_reused_and_checked_again(
    fake_model: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = speech.assembled_model_dir(tmp_path / "cache")
    # The parts are no longer read: gone, the assembled directory still serves.
    monkeypatch.setattr(weights, "package_dir", lambda package: tmp_path / "gone")
    assert speech.assembled_model_dir(tmp_path / "cache") == directory
    # A file of it changed since is refused, naming the file and how to mend it.
    (directory / "model.bin").write_bytes(b"something else")
    with pytest.raises(WeightError, match=r"model\.bin has sha256 .* refused .*--assemble"):
        speech.assembled_model_dir(tmp_path / "cache")


def test_a_part_with_another_sha256_is_refused_and_nothing_is_assembled(
    fake_model: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = Weight(package="fake", path="data/model.bin.part2", sha256="0" * 64)
    monkeypatch.setitem(speech._PARTS, "part2", tampered)
    with pytest.raises(WeightError, match=r"model\.bin\.part2 has sha256 .*refused"):
        speech.assembled_model_dir(tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_parts_that_join_into_another_model_are_refused(
    fake_model: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weights, "WHISPER_MODEL", _model("1" * 64))
    with pytest.raises(WeightError, match="refused"):
        speech.assembled_model_dir(tmp_path / "cache")
    assert not any((tmp_path / "cache").iterdir())  # the temporary directory is removed


def test_the_install_command_assembles_and_says_where(
    fake_model: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert speech.main(["--assemble", "--cache", str(tmp_path / "cache")]) == 0
    assert capsys.readouterr().out.strip() == str(speech.assembled_model_dir(tmp_path / "cache"))


def test_the_released_model_is_recorded_with_every_file() -> None:
    assert weights.WHISPER_MODEL.sha256 == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    assert {w.path for w in speech._FILES.values()} == {
        "data/config.json", "data/tokenizer.json", "data/vocabulary.txt",
    }  # fmt: skip
