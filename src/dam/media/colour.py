"""Pixels to 8-bit sRGB for renditions: through the embedded ICC profile when there is one.

Untagged CMYK keeps Pillow's plain conversion (it matches ImageMagick's); CMYK, Adobe RGB,
ProPhoto or grey with a profile convert through that profile (LittleCMS, perceptual intent).
16-bit and float pixels are scaled down, not clipped.
"""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_CMS_MODES = {"RGB", "RGBA", "CMYK", "L", "LAB"}


def profile_name(icc: bytes | None) -> str | None:
    """An embedded profile's description ("Adobe RGB (1998)"), or None when unreadable."""
    if not icc:
        return None
    try:
        name = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    return name[:200] or None


def prepare(image: Image.Image) -> Image.Image:
    """8-bit pixels in a mode that resizes well (L, LA, RGB, RGBA or CMYK): palettes expanded,
    16-bit and float scaled. The colour conversion comes after resizing, on fewer pixels."""
    image = _eight_bit(image)
    if image.mode in {"L", "LA", "RGB", "RGBA", "CMYK"} and "transparency" not in image.info:
        return image
    if image.mode == "1":
        return image.convert("L")
    return image.convert("RGBA" if _has_alpha(image) else "RGB")


def to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The image as RGB (or RGBA when it has transparency), in sRGB."""
    image = _eight_bit(image)
    alpha = _has_alpha(image)
    if not icc and image.mode == ("RGBA" if alpha else "RGB"):
        return image
    if icc and image.mode in _CMS_MODES | {"LA", "P"}:
        converted = _through_profile(image, icc, alpha)
        if converted is not None:
            return converted
    return image.convert("RGBA" if alpha else "RGB")


def _through_profile(image: Image.Image, icc: bytes, alpha: bool) -> Image.Image | None:
    if image.mode in {"LA", "P"}:
        image = image.convert("RGBA" if alpha else "RGB")
    transparency = image.getchannel("A") if image.mode == "RGBA" else None
    source = image.convert("RGB") if image.mode == "RGBA" else image
    try:
        result = ImageCms.applyTransform(source, _transform(icc, source.mode))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None  # a broken or mismatched profile (a CMYK profile on RGB pixels): plain conversion
    if result is None:
        return None
    if transparency is not None:
        result.putalpha(transparency)
    return result


@functools.lru_cache(maxsize=16)
def _transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform:
    """A profile's transform to sRGB, built once (a camera's or an editor's photos share one)."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(profile, _SRGB, mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL)


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit grey (``I;16``), 32-bit integer and float pixels scaled into 0..255."""
    if image.mode.startswith("I;16"):
        return image.convert("I").point(lambda v: v * (1 / 257)).convert("L")
    if image.mode in {"I", "F"}:
        extrema = image.getextrema()
        low, high = (float(v) for v in extrema[:2]) if not isinstance(extrema[0], tuple) else (0.0, 255.0)
        if image.mode == "I" and low >= 0:
            low, high = 0.0, 65535.0 if high > 255 else 255.0  # 16-bit (or 8-bit) held as 32-bit
        span = (high - low) or 1.0
        return image.point(lambda v: (v - low) * (255 / span)).convert("L")
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
