"""Enrichment's pure parts: perceptual hashes and their near-duplicate lookup, weight files checked
by sha256, DAM_ENRICH, and the shipped ImageNet words table against WordNet itself."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from dam import governor
from dam.domain import hashes
from dam.domain.errors import InvalidInput
from dam.domain.steps import ENRICH_DEFAULT, enabled_steps, enrich_kinds
from dam.media.enrich import dhash, frames, objects, scenes, weights
from dam.settings import SettingsError, load_settings
from tests.support.config import ROOT

pytestmark = pytest.mark.unit


def _picture(seed: int) -> Image.Image:
    """A picture of random shapes (each seed its own)."""
    rng = random.Random(seed)
    picture = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        draw.ellipse((x, y, x + rng.randrange(40, 300), y + rng.randrange(40, 300)),
                     fill=tuple(rng.randrange(256) for _ in range(3)))  # fmt: skip
    return picture


def test_a_resized_copy_is_near_and_another_picture_is_far() -> None:
    original = _picture(1)
    copy = original.resize((448, 336)).crop((6, 5, 442, 331))
    assert hashes.distance(dhash.dhash(original), dhash.dhash(copy)) <= 10
    assert hashes.distance(dhash.dhash(original), dhash.dhash(_picture(2))) > 16


def test_a_flat_picture_has_no_hash_and_a_picture_with_detail_has_one() -> None:
    # A black frame, a plain card, a faint vignette: their hashes would match each other's.
    assert dhash.flat(Image.new("RGB", (640, 360)))
    assert dhash.flat(Image.new("RGB", (300, 300), (200, 30, 60)))
    assert dhash.flat(Image.radial_gradient("L").point(lambda v: 100 + v // 32).convert("RGB"))
    assert not dhash.flat(_picture(1))
    assert not dhash.flat(Image.linear_gradient("L").convert("RGB"))


def test_a_frame_keeps_the_video_aspect_within_the_side_and_is_never_enlarged() -> None:
    assert frames.size_of(1920, 1080) == (960, 540)
    assert frames.size_of(1080, 1920) == (540, 960)
    assert frames.size_of(640, 360) == (640, 360)
    assert frames.size_of(641, 361) == (640, 360)


@pytest.mark.parametrize("value", [0, 1, -1, 2**63 - 1, -(2**63), 0x0123456789ABCDEF])
def test_a_hash_is_a_bigint_and_its_quarters_rebuild_it(value: int) -> None:
    assert -(2**63) <= hashes.signed(value) < 2**63
    q = [v & 0xFFFF for v in hashes.quarters(value)]
    assert (q[0] << 48 | q[1] << 32 | q[2] << 16 | q[3]) == value & (2**64 - 1)
    assert all(-(2**15) <= v < 2**15 for v in hashes.quarters(value))


def test_within_a_distance_some_quarter_is_within_its_radius() -> None:
    rng = random.Random(7)
    for _ in range(500):
        a = rng.getrandbits(64)
        flipped = rng.sample(range(64), rng.randrange(0, 11))
        b = a ^ sum(1 << bit for bit in flipped)
        radius = hashes.radius_of(10)
        assert any(
            qb in hashes.near(qa, radius)
            for qa, qb in zip(hashes.quarters(a), hashes.quarters(b), strict=True)
        )


def test_the_values_near_a_quarter_are_all_within_its_radius() -> None:
    found = hashes.near(0x1234, 2)
    assert len(found) == 1 + 16 + 120
    assert all(bin((v & 0xFFFF) ^ 0x1234).count("1") <= 2 for v in found)


def test_a_weight_file_whose_bytes_differ_is_refused(tmp_path: Path) -> None:
    real = weights.verified(weights.OCR_ORIENT)
    copy = tmp_path / weights.OCR_ORIENT.path
    copy.parent.mkdir(parents=True)
    shutil.copyfile(real, copy)
    assert weights.verified(weights.OCR_ORIENT, root=tmp_path) == copy
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    with pytest.raises(weights.WeightError, match=r"sha256 .* not the released"):
        weights.verified(weights.OCR_ORIENT, root=tmp_path)
    copy.unlink()
    with pytest.raises(weights.WeightError, match="missing"):
        weights.verified(weights.OCR_ORIENT, root=tmp_path)


@pytest.mark.parametrize(
    "weight",
    [
        weights.OCR_DETECT,
        weights.OCR_RECOGNISE,
        weights.OCR_ORIENT,
        weights.SSD_GRAPH,
        weights.SSD_TEXT_GRAPH,
        weights.EFFICIENTNET,
    ],
)
def test_every_installed_weight_file_is_the_released_one(weight: weights.Weight) -> None:
    assert weights.verified(weight).is_file()


def test_dam_enrich_names_kinds_or_none() -> None:
    assert load_settings({}).enrich.enabled == ENRICH_DEFAULT
    assert load_settings({"DAM_ENRICH": "none"}).enrich.enabled == ()
    assert load_settings({"DAM_ENRICH": "similar, ocr"}).enrich.enabled == ("ocr", "similar")
    with pytest.raises(SettingsError, match="DAM_ENRICH: unknown kind"):
        load_settings({"DAM_ENRICH": "ocr,faces"})
    with pytest.raises(InvalidInput):
        enrich_kinds(("none", "ocr"))
    assert "ocr" not in enabled_steps((), enrich=())
    assert {"ocr", "similar"} <= enabled_steps((), enrich=("ocr", "similar"))


def test_model_words_reach_the_words_people_search_by() -> None:
    assert objects.words_of("dog") == ["dog", "animal"]
    labels = [
        scenes.Label(wnid="n02110063", label="malamute", confidence=0.6, words=["dog", "animal"]),
        scenes.Label(wnid="n02109961", label="Eskimo dog", confidence=0.3, words=["dog", "animal"]),
    ]
    tags = scenes.tags_of(labels)
    assert tags["malamute"] == 0.6
    assert tags["dog"] == pytest.approx(0.9)
    table = {c[1]: c[2] for c in scenes._table()}
    assert {"dog", "animal"} <= set(table["malamute"])
    assert "beach" in table["seashore"]


@pytest.mark.skipif(not Path("/usr/share/wordnet/data.noun").exists(), reason="needs Debian's wordnet-base")
def test_the_shipped_imagenet_words_are_what_wordnet_makes() -> None:
    # make media-tools installs wordnet-base: the check runs in make test.
    made = subprocess.run(
        [sys.executable, "-m", "dam_dev.imagenet_words", "--check"],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert made.returncode == 0, (
        "src/dam/media/enrich/imagenet_words.json is stale: python -m dam_dev.imagenet_words"
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_stops_the_worker_while_ingest_has_work_within_its_bounds() -> None:
    clock, busy = _Clock(), [False]
    gate = governor.Gate(lambda: busy[0], clock)
    assert gate.step() is None  # idle media queue: leave the worker running
    busy[0] = True
    assert gate.step() is True  # a media job: stop it
    clock.now += 0.5
    assert gate.step() is None  # still stopped
    busy[0] = False
    assert gate.step() is False  # the queue empty: go on at once
    busy[0] = True
    assert gate.step() is True
    clock.now += governor.MAX_PAUSE
    assert gate.step() is False  # stopped long enough: let go, however busy
    clock.now += governor.MIN_RUN / 2
    assert gate.step() is None  # and left running for MIN_RUN
    clock.now += governor.MIN_RUN / 2
    assert gate.step() is True


def test_the_gate_never_holds_the_worker_when_the_queue_cannot_be_read() -> None:
    answers = iter([True])

    def busy() -> bool:
        try:
            return next(answers)
        except StopIteration:
            raise ConnectionError("Redis is away") from None

    gate = governor.Gate(busy, _Clock())
    assert gate.step() is True
    assert gate.step() is False
    assert gate.step() is None
