"""A 64-bit difference hash (dHash) of a picture, for near-duplicates.

The picture is reduced to 9 x 8 grey pixels; each bit says whether a pixel is brighter than its
right-hand neighbour. Re-encoding, resizing and light crops or colour changes move few bits; an
unrelated picture differs in about half of them. Two hashes are compared by their Hamming distance
(``dam.domain.hashes``). Neal Krawetz's "Kind of like that" describes the method.
"""

from __future__ import annotations

from PIL import Image, ImageOps

from dam.domain.hashes import signed

MODEL = "dhash"
VERSION = "1"
_W, _H = 9, 8
# A picture whose reduced grey pixels span fewer levels than this is flat (a black frame, a plain
# card): its hash is noise on no structure, and would match every other flat picture.
FLAT_SPAN = 12


def _reduced(picture: Image.Image) -> list[int]:
    return list(ImageOps.grayscale(picture).resize((_W, _H), Image.Resampling.LANCZOS).tobytes())


def flat(picture: Image.Image) -> bool:
    """Whether the picture has too little detail to hash (its near-duplicates would be every other
    flat picture): such a picture gets no hash."""
    pixels = _reduced(picture)
    return max(pixels) - min(pixels) < FLAT_SPAN


def dhash(picture: Image.Image) -> int:
    """The picture's dHash as a signed 64-bit integer."""
    pixels = _reduced(picture)
    value = 0
    for row in range(_H):
        for col in range(_W - 1):
            left, right = pixels[row * _W + col], pixels[row * _W + col + 1]
            value = (value << 1) | (1 if left > right else 0)
    return signed(value)
