"""ThumbHash (Evan Wallace, https://evanw.github.io/thumbhash/): a picture in about 25 bytes, which a
client decodes into a blurred placeholder (its colours, its alpha and its aspect ratio) to show
until the real thumbnail loads.

The encoder follows the reference (``rgbaToThumbHash`` of the ``thumbhash`` npm package) step by
step, so that both give the same bytes for the same pixels: JavaScript's rounding (halves up, not
to even), every sum in the reference's order (``np.add.accumulate`` adds one term after another;
``np.sum`` adds pairwise, which rounds differently), each product in its order, each cosine on its
own. ``tests/unit/test_thumbhash.py`` checks that byte for byte against the npm package (with the
JavaScript engine's cosines: ``Cosine`` says why).

The hash holds a DCT of the image in a luminance channel (L), two colour channels (P: yellow-blue,
Q: red-green) and, when some pixel is not opaque, alpha (A): a header of the constant terms and
scales, then the varying terms as 4-bit values, L's count following the aspect ratio.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image

from dam.media import colour

MAX_SIDE = 100
"""The reference encodes at most 100x100 pixels: more costs time and adds nothing to ~25 bytes."""

Channel = npt.NDArray[np.float64]
Cosine = Callable[[float], float]
"""The C library's cosine and the reference's JavaScript engine's (V8's, fdlibm's) give different
neighbouring doubles for about 3% of the DCT's arguments. That moves a 4-bit term only when it sits
exactly on a half, as terms that cancel out do (a symmetric gradient, a flat colour), so hashes of a
picture agree in their average colour and shape but not always in every bit: the test passes the
engine's own cosines to compare the bytes."""


def encode(image: Image.Image) -> bytes:
    """The ThumbHash of a picture in any mode Pillow converts, scaled down to fit 100x100 first."""
    width, height, rgba = pixels(image)
    return encode_rgba(width, height, rgba)


def pixels(image: Image.Image) -> tuple[int, int, bytes]:
    """The pixels a hash is made of: the picture as 8-bit RGBA (alpha not premultiplied) within
    100x100, its aspect ratio kept; width, height and the bytes row by row."""
    rgba = colour.to_srgb(image, None).convert("RGBA")  # 8-bit; a copy, never the caller's picture
    if rgba.width > MAX_SIDE or rgba.height > MAX_SIDE:
        # RGBA is resized premultiplied: transparent pixels' colours do not bleed into the others.
        rgba.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    return rgba.width, rgba.height, rgba.tobytes()


def encode_rgba(width: int, height: int, rgba: bytes, *, cos: Cosine = math.cos) -> bytes:
    """The ThumbHash of ``width`` x ``height`` RGBA pixels (at most 100x100), as the reference
    encoder computes it. ``cos``: the cosine of the DCT (see ``Cosine``)."""
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or len(rgba) != width * height * 4:
        raise ValueError(f"{width}x{height} RGBA pixels ({len(rgba)} bytes) do not fit in 100x100")
    values = np.frombuffer(rgba, dtype=np.uint8).reshape(-1, 4).astype(np.float64)
    l_chan, p_chan, q_chan, a_chan, has_alpha = _lpqa(values, width * height)
    l_limit = 5 if has_alpha else 7  # fewer luminance terms when alpha takes some of the bytes
    lx = max(1, _round(l_limit * width / max(width, height)))
    ly = max(1, _round(l_limit * height / max(width, height)))
    shape = (height, width)
    l_dc, l_ac, l_scale = _channel(l_chan.reshape(shape), max(3, lx), max(3, ly), cos)
    p_dc, p_ac, p_scale = _channel(p_chan.reshape(shape), 3, 3, cos)
    q_dc, q_ac, q_scale = _channel(q_chan.reshape(shape), 3, 3, cos)
    landscape = width > height
    header24 = (
        _round(63 * l_dc)
        | (_round(31.5 + 31.5 * p_dc) << 6)
        | (_round(31.5 + 31.5 * q_dc) << 12)
        | (_round(31 * l_scale) << 18)
        | (int(has_alpha) << 23)
    )
    header16 = (ly if landscape else lx) | (_round(63 * p_scale) << 3) | (_round(63 * q_scale) << 9)
    header16 |= int(landscape) << 15
    out = [header24 & 255, (header24 >> 8) & 255, header24 >> 16, header16 & 255, header16 >> 8]
    terms = [l_ac, p_ac, q_ac]
    if has_alpha:
        a_dc, a_ac, a_scale = _channel(a_chan.reshape(shape), 5, 5, cos)
        out.append(_round(15 * a_dc) | (_round(15 * a_scale) << 4))
        terms.append(a_ac)
    return bytes(b & 255 for b in out) + _nibbles([f for ac in terms for f in ac])


def _lpqa(values: Channel, count: int) -> tuple[Channel, Channel, Channel, Channel, bool]:
    """The pixels composited over their average colour (weighted by alpha), as L, P, Q and A."""
    alpha = values[:, 3] / 255
    weight = alpha / 255
    avg = [_total(weight * values[:, c]) for c in range(3)]
    avg_a = _total(alpha)
    if avg_a:
        avg = [v / avg_a for v in avg]
    red, green, blue = (avg[c] * (1 - alpha) + weight * values[:, c] for c in range(3))
    luminance = (red + green + blue) / 3
    return luminance, (red + green) / 2 - blue, red - green, alpha, bool(avg_a < count)


def _channel(channel: Channel, nx: int, ny: int, cos: Cosine) -> tuple[float, list[float], float]:
    """A channel's DCT terms (the triangle ``cx * ny < nx * (ny - cy)``): the constant term, the
    varying ones scaled into 0..1, and their scale."""
    height, width = channel.shape
    dc, ac, scale = 0.0, [], 0.0
    for cy in range(ny):
        fy = np.array([cos(math.pi / height * cy * (y + 0.5)) for y in range(height)])
        cx = 0
        while cx * ny < nx * (ny - cy):
            fx = np.array([cos(math.pi / width * cx * (x + 0.5)) for x in range(width)])
            f = _total((channel * fx[np.newaxis, :] * fy[:, np.newaxis]).ravel()) / (width * height)
            if cx or cy:
                ac.append(f)
                scale = max(scale, abs(f))
            else:
                dc = f
            cx += 1
    if scale:
        ac = [0.5 + 0.5 / scale * f for f in ac]
    return dc, ac, scale


def _nibbles(factors: list[float]) -> bytes:
    """The varying terms, 4 bits each, two to a byte (the first in the low bits)."""
    packed = bytearray((len(factors) + 1) // 2)
    for index, f in enumerate(factors):
        packed[index >> 1] |= _round(15 * f) << ((index & 1) << 2)
    return bytes(packed)


def _total(values: Channel) -> float:
    """The sum, adding the values one after another (as the reference's loop does)."""
    return float(np.add.accumulate(values)[-1]) if len(values) else 0.0


def _round(value: float) -> int:
    """JavaScript's ``Math.round``: the nearest integer, halves up (Python's ``round`` goes to even)."""
    whole = math.floor(value)
    return int(whole) + (1 if value - whole >= 0.5 else 0)
