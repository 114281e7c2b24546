"""Camera RAW through LibRaw (rawpy): the embedded preview when it is large enough, else a demosaic.

LibRaw needs random access to a file, so the original is spooled to a temporary file in blocks
(memory stays flat; the file goes when the step ends). DNG is tested; CR2, CR3, NEF, ARW, RAF, ORF
and RW2 take the same path.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import rawpy
from PIL import Image, ImageOps

from dam.domain.media import MediaRejected

SPOOL_BLOCK = 1024 * 1024
# LibRaw's flip: 3 is 180 degrees, 5 is 90 counter-clockwise, 6 is 90 clockwise.
_ROTATE = {3: 180, 5: 90, 6: 270}
_LIBRAW_ERRORS: tuple[type[BaseException], ...] = (rawpy.LibRawError, OSError, ValueError)


@contextlib.contextmanager
def spooled(fp: IO[bytes]) -> Iterator[str]:
    """The original as a temporary file's path."""
    with tempfile.NamedTemporaryFile(prefix="dam-raw-") as file:
        shutil.copyfileobj(fp, file, SPOOL_BLOCK)
        file.flush()
        yield file.name


@contextlib.contextmanager
def opened(path: str) -> Iterator[Any]:
    """A LibRaw handle on the file; MediaRejected when LibRaw cannot read it."""
    try:
        raw = rawpy.imread(path)
    except _LIBRAW_ERRORS as exc:
        raise MediaRejected(f"not a camera RAW file LibRaw reads: {str(exc)[:200]}") from None
    with raw:
        yield raw


def size(raw: Any) -> tuple[int, int]:
    """The developed image's width and height, as displayed (after the camera's flip)."""
    width, height = int(raw.sizes.width), int(raw.sizes.height)
    return (height, width) if raw.sizes.flip in {5, 6} else (width, height)


def picture(raw: Any, wanted: int) -> Image.Image:
    """An upright sRGB picture at least ``wanted`` pixels on its longer side where the file allows:
    the embedded JPEG preview when it is that large, else LibRaw's demosaic (half size when that
    still covers ``wanted``)."""
    preview = _embedded(raw, wanted)
    if preview is not None:
        return preview
    half = max(raw.sizes.width, raw.sizes.height) >= 2 * wanted
    try:
        pixels = raw.postprocess(use_camera_wb=True, half_size=half, output_bps=8)
    except _LIBRAW_ERRORS as exc:
        raise MediaRejected(f"the RAW data cannot be developed: {str(exc)[:200]}") from None
    return Image.fromarray(pixels)  # LibRaw's output is sRGB and already turned by the flip


def _embedded(raw: Any, wanted: int) -> Image.Image | None:
    try:
        thumb = raw.extract_thumb()
    except _LIBRAW_ERRORS:
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    try:
        image = Image.open(io.BytesIO(thumb.data), formats=["JPEG"])
        if max(image.size) < wanted:
            return None
        image.load()
    except (OSError, SyntaxError, ValueError):
        return None
    if image.getexif().get(0x0112, 1) != 1:
        return ImageOps.exif_transpose(image)
    turn = _ROTATE.get(raw.sizes.flip)
    return image.rotate(turn, expand=True) if turn else image
