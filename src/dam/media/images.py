"""Still images with Pillow: facts, EXIF, and thumbnail/preview renditions (WebP, no metadata)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import IO, Any

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from dam.domain.media import Camera, MediaInfo, MediaRejected, RenderedFile

# Only the formats we support; never EPS/PostScript (Ghostscript) or other exotic decoders.
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
THUMBNAIL = 320
PREVIEW = 1280
MAX_PIXELS = 100_000_000  # refuse larger images (decompression bombs) before decoding
# Pillow's own bomb check (89.5 MP, a warning; 179 MP, an error) would override DAM_MAX_IMAGE_PIXELS:
# the one limit is ``_opened``'s, checked on the header's size before anything is decoded.
Image.MAX_IMAGE_PIXELS = None
_CAMERA_TAGS = {
    "Make": "make", "Model": "model", "LensModel": "lens", "FNumber": "f_number",
    "ExposureTime": "exposure_time", "ISOSpeedRatings": "iso", "FocalLength": "focal_length",
}  # fmt: skip


def image_facts(fp: IO[bytes], *, max_pixels: int = MAX_PIXELS) -> MediaInfo:
    """The ``probe`` step for images: format, size, EXIF facts; reads the header, decodes nothing."""
    with _opened(fp, max_pixels) as image:
        return _facts(image)


def stills(fp: IO[bytes], *, max_pixels: int = MAX_PIXELS) -> Iterator[RenderedFile]:
    """The ``stills`` step: preview, then thumbnail (WebP), each yielded as soon as it is encoded."""
    _, preview, thumbnail = scaled_images(fp, max_pixels=max_pixels)
    yield webp("preview", preview)
    yield webp("thumbnail", thumbnail)


def render_image(fp: IO[bytes], *, max_pixels: int = MAX_PIXELS) -> tuple[MediaInfo, list[RenderedFile]]:
    """Read facts and make thumbnail + preview (WebP) from one decode."""
    info, preview, thumbnail = scaled_images(fp, max_pixels=max_pixels)
    return info, [webp("preview", preview), webp("thumbnail", thumbnail)]


@contextlib.contextmanager
def _opened(fp: IO[bytes], max_pixels: int) -> Iterator[Image.Image]:
    """Open with the allow-listed formats only, refusing images above the pixel limit."""
    try:
        image = Image.open(fp, formats=IMAGE_FORMATS)
    except UnidentifiedImageError:
        raise MediaRejected(f"not a supported image (accepted: {', '.join(IMAGE_FORMATS)})") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise MediaRejected(f"image of {width}x{height} pixels exceeds the limit of {max_pixels} pixels")
        yield image


def scaled_images(
    fp: IO[bytes], *, max_pixels: int = MAX_PIXELS
) -> tuple[MediaInfo, Image.Image, Image.Image]:
    """The pixel work: facts, then preview and thumbnail, upright, from a single (draft) decode."""
    with _opened(fp, max_pixels) as image:
        info = _facts(image)
        if image.format == "JPEG":
            # Decode at a reduced scale (1/2..1/8) that still covers the preview size.
            image.draft("RGB", (PREVIEW, PREVIEW))
        try:
            preview = _decoded(image)
        except (OSError, SyntaxError, ValueError) as exc:
            raise MediaRejected(f"image data is corrupt or truncated: {exc}") from None
    preview.thumbnail((PREVIEW, PREVIEW), Image.Resampling.LANCZOS, reducing_gap=2.0)
    thumbnail = preview.copy()
    thumbnail.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    return info, preview, thumbnail


def _decoded(image: Image.Image) -> Image.Image:
    image.load()
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in {"RGBA", "LA", "PA"} or "transparency" in upright.info
    return upright.convert("RGBA" if has_alpha else "RGB")


def webp(kind: str, image: Image.Image) -> RenderedFile:
    """Encode a rendition; nothing from the original's EXIF/XMP/ICC metadata is carried over."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=82, method=4)
    return RenderedFile(
        kind=kind, content_type="image/webp", data=buffer.getvalue(), width=image.width, height=image.height
    )


def _facts(image: Image.Image) -> MediaInfo:
    exif = image.getexif()
    orientation = exif.get(ExifTags.Base.Orientation)
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    captured = sub.get(ExifTags.Base.DateTimeOriginal.value) or exif.get(ExifTags.Base.DateTime.value)
    width, height = image.size
    if orientation in {5, 6, 7, 8}:
        width, height = height, width  # as displayed
    return MediaInfo(
        kind="image",
        format=image.format,
        width=width,
        height=height,
        orientation=int(orientation) if orientation else None,
        color_mode=image.mode,
        camera=_camera(exif, sub),
        captured_at=_exif_time(captured),
    )


def _camera(exif: Image.Exif, sub: dict[int, Any]) -> Camera | None:
    values: dict[str, Any] = {}
    for tag, name in _CAMERA_TAGS.items():
        tag_id = ExifTags.Base[tag].value
        raw = sub.get(tag_id, exif.get(tag_id))
        if raw is None:
            continue
        value = _plain(raw)
        if isinstance(value, list):  # e.g. ISOSpeedRatings given per channel: the first one
            value = value[0] if value else None
        if value is not None:
            values[name] = _coerce(name, value)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        values["gps"] = {ExifTags.GPSTAGS.get(k, str(k)): _plain(v) for k, v in gps.items()}
    values = {k: v for k, v in values.items() if v is not None}
    return Camera(**values) if values else None


def _coerce(name: str, value: Any) -> Any:
    """A camera field in its declared type, or None when the camera wrote something else."""
    kind = {"make": str, "model": str, "lens": str, "iso": int}.get(name, float)
    try:
        return kind(value) if not isinstance(value, str) or kind is str else kind(float(value))
    except (TypeError, ValueError, OverflowError):
        return None


def _plain(value: Any) -> Any:
    """EXIF values as JSON-friendly numbers and strings (a tuple a flat list of them)."""
    if isinstance(value, tuple):
        return [str(v) if isinstance(v, tuple) else _plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip("\x00")
    if isinstance(value, str):
        return value.strip("\x00 ")
    if isinstance(value, int):
        return value
    try:
        return round(float(value), 6)
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)


def _exif_time(value: Any) -> str | None:
    """EXIF 'YYYY:MM:DD HH:MM:SS' as ISO 8601 (local camera time, no zone)."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    date, _, time = value.strip().partition(" ")
    return f"{date.replace(':', '-')}T{time[:8]}"
