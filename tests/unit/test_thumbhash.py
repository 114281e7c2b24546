"""Our ThumbHash encoder against the reference (the ``thumbhash`` npm package, run by Node): the same
bytes for the same pixels, given the JavaScript engine's cosines; with the C library's (as the
worker runs), the same picture once decoded by the reference decoder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from dam.media import thumbhash
from tests.support import thumbhash as reference


def _dusk() -> Image.Image:
    """A photo-like picture: a sky from deep blue to orange, a dark hill, grain."""
    rng = np.random.default_rng(7)
    y = np.linspace(0, 1, 240)[:, None, None]
    x = np.linspace(0, 1, 320)[None, :, None]
    sky = np.array([25, 40, 100]) * (1 - y) + np.array([240, 150, 60]) * y + 25 * x
    hill = (y[..., 0] > 0.75 + 0.1 * np.sin(x[..., 0] * 6))[..., None]
    pixels = np.where(hill, np.array([30, 35, 25]), sky) + rng.normal(0, 6, (240, 320, 3))
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


def _cut_out() -> Image.Image:
    """A soft-edged orange disc on a transparent ground whose hidden colour is green."""
    mask = Image.new("L", (300, 200), 0)
    ImageDraw.Draw(mask).ellipse((60, 20, 240, 180), fill=255)
    alpha = np.asarray(mask.filter(ImageFilter.GaussianBlur(12)))
    pixels = np.where((alpha > 0)[..., None], np.array([230, 120, 30]), np.array([0, 255, 0]))
    return Image.fromarray(np.dstack([pixels, alpha]).astype(np.uint8), "RGBA")


def _palette() -> Image.Image:
    """A GIF-like palette picture, one colour transparent (``tRNS``)."""
    image = Image.new("P", (120, 90), 0)
    image.putpalette([255, 255, 255, 200, 30, 30, 30, 30, 200])
    ImageDraw.Draw(image).rectangle((0, 0, 59, 89), fill=1)
    ImageDraw.Draw(image).rectangle((60, 45, 119, 89), fill=2)
    image.info["transparency"] = 0
    return image


def _grey() -> Image.Image:
    """A portrait grey gradient (mode L)."""
    return Image.linear_gradient("L").resize((180, 240)).rotate(20, fillcolor=90)


PICTURES: list[Any] = [
    pytest.param(_dusk, id="photo-like-gradient"),
    pytest.param(_cut_out, id="alpha"),
    pytest.param(_palette, id="palette-with-transparency"),
    pytest.param(_grey, id="grey"),
    pytest.param(lambda: Image.new("L", (64, 64), 128), id="flat-grey"),
    pytest.param(lambda: _dusk().resize((320, 6)), id="extreme-wide"),
    pytest.param(lambda: _dusk().resize((3, 320)), id="extreme-tall"),
    pytest.param(lambda: _dusk().convert("CMYK"), id="cmyk"),
    pytest.param(lambda: Image.new("RGB", (1, 1), (10, 200, 90)), id="one-pixel"),
]


@pytest.mark.parametrize("make", PICTURES)
def test_hash_is_the_reference_encoders_byte_for_byte(make: Callable[[], Image.Image]) -> None:
    width, height, rgba = thumbhash.pixels(make())
    cosine = reference.engine_cosine((width, height))
    ours = thumbhash.encode_rgba(width, height, rgba, cos=cosine)
    assert ours == reference.encode([(width, height, rgba)])[0]


@pytest.mark.parametrize("make", PICTURES)
def test_hash_decodes_by_the_reference_to_the_same_picture(make: Callable[[], Image.Image]) -> None:
    """With the C library's cosine (the worker's), a 4-bit term may sit on the other side of a half
    where the reference's sits on one (terms that cancel out): the average colour is exact, the
    placeholder's pixels within a step of such a term."""
    picture = make()
    width, height, rgba = thumbhash.pixels(picture)
    ours = thumbhash.encode(picture)
    assert ours == thumbhash.encode_rgba(width, height, rgba)
    mine, theirs = reference.decode([ours, *reference.encode([(width, height, rgba)])])
    assert (mine["w"], mine["h"]) == (theirs["w"], theirs["h"])
    assert mine["average"] == theirs["average"]
    difference = np.abs(_array(mine["rgba"]) - _array(theirs["rgba"]))
    assert difference.mean() <= 2.0
    assert difference.max() <= 16


def _array(rgba: bytes) -> Any:
    return np.frombuffer(rgba, dtype=np.uint8).astype(np.int16)


@pytest.mark.parametrize(
    ("size", "fitted"),
    [
        pytest.param((320, 240), (100, 75), id="landscape"),
        pytest.param((240, 320), (75, 100), id="portrait"),
        pytest.param((320, 6), (100, 2), id="strip"),
        pytest.param((64, 48), (64, 48), id="small-kept"),
    ],
)
def test_pixels_fit_in_100x100_at_the_pictures_aspect_ratio(
    size: tuple[int, int], fitted: tuple[int, int]
) -> None:
    width, height, rgba = thumbhash.pixels(Image.new("RGB", size, (1, 2, 3)))
    assert (width, height) == fitted
    assert rgba == bytes([1, 2, 3, 255]) * (width * height)


def test_alpha_is_in_the_hash_only_when_a_pixel_is_not_opaque() -> None:
    assert thumbhash.encode(_cut_out())[2] & 0x80
    assert not thumbhash.encode(_dusk())[2] & 0x80


def test_the_average_colour_ignores_the_colour_of_transparent_pixels() -> None:
    (decoded,) = reference.decode([thumbhash.encode(_cut_out())])
    average = np.array([decoded["average"][c] for c in "rgb"])
    assert np.abs(average - np.array([230, 120, 30]) / 255).max() < 0.04  # the disc's orange, no green


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        pytest.param(101, 10, 101 * 10 * 4, id="too-wide"),
        pytest.param(10, 101, 10 * 101 * 4, id="too-tall"),
        pytest.param(0, 10, 0, id="empty"),
        pytest.param(10, 10, 399, id="short"),
    ],
)
def test_encode_rgba_refuses_what_the_reference_cannot_encode(width: int, height: int, size: int) -> None:
    with pytest.raises(ValueError, match="100x100"):
        thumbhash.encode_rgba(width, height, bytes(size))
