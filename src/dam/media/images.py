"""Still images: facts and upright sRGB thumbnail/preview renditions (WebP, no metadata).

Pillow decodes the raster formats (HEIC/HEIF through pillow-heif, JPEG XL through pillow-jxl,
AVIF natively), resvg draws SVG (``svg``), LibRaw develops camera RAW (``raw``). Each format opens
only with its own decoder: never EPS/PostScript (Ghostscript) or another exotic one.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from typing import IO, Any

import msgspec
import pillow_heif
import pillow_jxl  # noqa: F401  (registers the JPEG XL plugin with Pillow)
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from dam.domain.formats import RAW_FORMATS
from dam.domain.media import MediaInfo, MediaRejected, RenderedFile
from dam.media import colour, metadata, png, psd, raw, svg, thumbhash

pillow_heif.register_heif_opener(thumbnails=False)
# Pillow's decoders for each format we read with it (exiftool's names on the left).
_PILLOW = {
    "JPEG": ("JPEG",), "PNG": ("PNG",), "APNG": ("PNG",), "GIF": ("GIF",), "WEBP": ("WEBP",),
    "TIFF": ("TIFF",), "BMP": ("BMP",), "PSD": ("PSD",), "HEIC": ("HEIF",), "HEIF": ("HEIF",),
    "AVIF": ("AVIF", "HEIF"), "JXL": ("JXL",),
}  # fmt: skip
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP", "PSD", "HEIF", "AVIF", "JXL")
THUMBNAIL = 320
PREVIEW = 1280
MAX_PIXELS = 100_000_000  # refuse larger images (decompression bombs) before decoding
# Pillow's own bomb check (89.5 MP, a warning; 179 MP, an error) would override DAM_MAX_IMAGE_PIXELS:
# the one limit is ``_opened``'s, checked on the header's size before anything is decoded.
Image.MAX_IMAGE_PIXELS = None
# Threads kept for the preview encoded beside the thumbnail (``stills``): one per job a worker
# runs at once on each core is plenty, and a thread started per image cost milliseconds under load.
_BESIDE = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="webp")
_BITS = {"1": 1, "I;16": 16, "I;16B": 16, "I;16L": 16, "I": 32, "F": 32}


def image_facts(fp: IO[bytes], *, fmt: str | None = None, max_pixels: int = MAX_PIXELS) -> MediaInfo:
    """The ``probe`` step for images: format, size, EXIF/IPTC/XMP facts; decodes no pixels where the
    format allows (RAW and SVG are read whole)."""
    if fmt == "SVG":
        return _svg_info(svg.read(fp))
    if fmt in RAW_FORMATS:
        return _raw_facts(fp, fmt)
    deep = _deep_psd(fp, fmt, max_pixels)
    if deep is not None:
        return _psd_info(deep)
    with _opened(fp, fmt, max_pixels) as image:
        return _facts(image, fmt, image.info.get("icc_profile"))


def stills(fp: IO[bytes], *, fmt: str | None = None, max_pixels: int = MAX_PIXELS) -> Iterator[RenderedFile]:
    """The ``stills`` step: thumbnail, then preview (WebP), each yielded as soon as it is encoded.

    The preview is encoded in another thread while this one encodes the thumbnail (libwebp
    releases the GIL), so the thumbnail can be stored while the preview is still being encoded.
    Both pictures are in memory either way; the generator ends (or is closed) only once that
    encoding has.
    """
    _, preview, thumbnail = scaled_images(fp, fmt=fmt, max_pixels=max_pixels)
    encoding = _BESIDE.submit(webp, "preview", preview)
    try:
        yield thumbnail_file(thumbnail)
        yield encoding.result()
    finally:
        wait([encoding])


def render_image(
    fp: IO[bytes], *, fmt: str | None = None, max_pixels: int = MAX_PIXELS
) -> tuple[MediaInfo, list[RenderedFile]]:
    """Read facts and make thumbnail + preview (WebP) from one decode."""
    info, preview, thumbnail = scaled_images(fp, fmt=fmt, max_pixels=max_pixels)
    return info, [webp("preview", preview), thumbnail_file(thumbnail)]


def scaled_images(
    fp: IO[bytes], *, fmt: str | None = None, max_pixels: int = MAX_PIXELS
) -> tuple[MediaInfo, Image.Image, Image.Image]:
    """The pixel work: facts, then preview and thumbnail, upright and sRGB, from a single decode."""
    if fmt == "SVG":
        drawing = svg.read(fp)
        info = _svg_info(drawing)
        with Image.open(io.BytesIO(drawing.render(PREVIEW)), formats=["PNG"]) as png:
            picture, icc = png.convert("RGBA"), None
    elif fmt in RAW_FORMATS:
        with raw.spooled(fp) as path, raw.opened(path) as handle:
            info = _raw_info(path, handle, fmt)
            picture, icc = colour.prepare(raw.picture(handle, PREVIEW)), None
    elif (deep := _deep_psd(fp, fmt, max_pixels)) is not None:
        info = _psd_info(deep)
        picture, icc = psd.composite(fp, deep), deep.icc
    else:
        with _opened(fp, fmt, max_pixels) as image:
            icc = image.info.get("icc_profile")  # the first frame's: counting frames reads the others'
            info = _facts(image, fmt, icc)
            picture = _decoded(image)
    return (info, *_sizes(picture, icc))


def _deep_psd(fp: IO[bytes], fmt: str | None, max_pixels: int) -> psd.Header | None:
    """A 16- or 32-bit Photoshop document's header (Pillow reads 8-bit ones), within the pixel limit."""
    if fmt != "PSD":
        return None
    head = psd.header(fp)
    if head is not None and head.width * head.height > max_pixels:
        raise MediaRejected(
            f"image of {head.width}x{head.height} pixels exceeds the limit of {max_pixels} pixels"
        )
    if head is not None:
        at = fp.tell()
        psd.resources(fp, head)
        fp.seek(at)
    return head


def _svg_info(drawing: svg.Svg) -> MediaInfo:
    return MediaInfo(kind="image", format="SVG", width=round(drawing.width), height=round(drawing.height))


def _psd_info(head: psd.Header) -> MediaInfo:
    return MediaInfo(
        kind="image", format="PSD", width=head.width, height=head.height, color_mode=psd.MODES[head.mode],
        bit_depth=head.depth, icc_profile=colour.profile_name(head.icc),
    )  # fmt: skip


def _sizes(picture: Image.Image, icc: bytes | None) -> tuple[Image.Image, Image.Image]:
    """Preview and thumbnail; the colour is converted to sRGB on the preview (a sixth of the pixels
    of a 12 MP photo's draft decode), and the thumbnail is made from it."""
    picture.thumbnail((PREVIEW, PREVIEW), Image.Resampling.LANCZOS, reducing_gap=2.0)
    picture = colour.to_srgb(picture, icc)
    thumbnail = picture.copy()
    thumbnail.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    return picture, thumbnail


@contextlib.contextmanager
def _opened(fp: IO[bytes], fmt: str | None, max_pixels: int) -> Iterator[Image.Image]:
    """Open with the format's decoder only, refusing images above the pixel limit."""
    decoders = _PILLOW.get(fmt or "", IMAGE_FORMATS)
    try:
        image = Image.open(fp, formats=decoders)
    except UnidentifiedImageError:
        what = (
            f"a readable {fmt} image" if fmt else f"a supported image (accepted: {', '.join(IMAGE_FORMATS)})"
        )
        raise MediaRejected(f"not {what}") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaRejected(f"image data is corrupt or truncated: {str(exc)[:200]}") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise MediaRejected(f"image of {width}x{height} pixels exceeds the limit of {max_pixels} pixels")
        yield image


def _decoded(image: Image.Image) -> Image.Image:
    """Pixels of the first frame (the composite of a PSD, page 1 of a TIFF), upright, 8-bit."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    if image.format == "JPEG":
        # Decode at a reduced scale (1/2..1/8) that still covers the preview size.
        image.draft(image.mode if image.mode in {"RGB", "L", "CMYK"} else "RGB", (PREVIEW, PREVIEW))
    try:
        _load(image)
        upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise MediaRejected(f"image data is corrupt or truncated: {str(exc)[:200]}") from None
    return colour.prepare(upright)


def _load(image: Image.Image) -> None:
    """Decode the pixels; a PNG cut short in a chunk after them (an eXIf, a text) keeps them."""
    try:
        image.load()
    except OSError:
        # ImageFile.load() empties ``tile`` once every tile is decoded, then reads the chunks after.
        if image.format != "PNG" or getattr(image, "tile", None) != []:
            raise
        Image.Image.load(image)


def webp(kind: str, image: Image.Image) -> RenderedFile:
    """Encode a rendition; nothing from the original's EXIF/XMP/ICC metadata is carried over."""
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=82, method=4)
    return RenderedFile(
        kind=kind, content_type="image/webp", data=buffer.getvalue(), width=image.width, height=image.height
    )


def thumbnail_file(image: Image.Image) -> RenderedFile:
    """The thumbnail rendition, with the ThumbHash of its pixels: the placeholder a client shows
    until it loads, computed from the picture in memory (no second read of anything)."""
    return msgspec.structs.replace(webp("thumbnail", image), thumbhash=thumbhash.encode(image))


def _facts(image: Image.Image, fmt: str | None, icc: bytes | None) -> MediaInfo:
    exif = _exif(image)
    orientation = exif.get(ExifTags.Base.Orientation)
    width, height = image.size
    if orientation in {5, 6, 7, 8}:
        width, height = height, width  # as displayed
    frames = int(getattr(image, "n_frames", 1) or 1)
    paged = image.format == "TIFF"  # a TIFF's frames are pages; a PSD's are its layers
    animation = not paged and image.format != "PSD"
    return MediaInfo(
        kind="image",
        format=fmt or image.format,
        width=width,
        height=height,
        orientation=int(orientation) if orientation else None,
        color_mode=image.mode,
        bit_depth=_bit_depth(image),
        icc_profile=colour.profile_name(icc) if isinstance(icc, bytes) else None,
        animated=bool(getattr(image, "is_animated", False)) if animation else None,
        frame_count=frames if animation else None,
        page_count=frames if paged else None,
        camera=metadata.camera(exif),
        captured_at=metadata.captured_at(exif),
        description=metadata.describe(image, _xmp(image)),
    )


def _exif(image: Image.Image) -> Image.Exif:
    if image.format == "PNG":
        return _png_exif(image)
    try:
        return image.getexif()
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return Image.Exif()


def _png_exif(image: Image.Image) -> Image.Exif:
    """A PNG's EXIF without decoding it: Pillow's PNG getexif() decodes the whole image to find an
    eXIf chunk after the pixels; that chunk is read from the end of the file instead (``png``)."""
    fp = getattr(image, "fp", None)
    if "exif" not in image.info and fp is not None:
        payload = png.tail_exif(fp)
        if payload is not None:
            image.info["exif"] = b"Exif\x00\x00" + payload
    try:
        # The base class's getexif() reads what info holds (and XMP's orientation) and keeps it: the
        # renditions are turned by this EXIF, not by an eXIf the decoder meets later (a bad CRC).
        return Image.Image.getexif(image)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        return Image.Exif()


def _xmp(image: Image.Image) -> bytes | None:
    packet: Any = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if packet is None and image.format == "TIFF":
        packet = getattr(image, "tag_v2", {}).get(700)
    if packet is None and image.format == "JXL":  # the plugin keeps the whole file, not its XMP
        packet = metadata.jxl_xmp(getattr(image, "fc", b""))
    if isinstance(packet, str):
        packet = packet.encode()
    return packet if isinstance(packet, bytes) else None


def _bit_depth(image: Image.Image) -> int:
    """Bits per channel: what the file stores (a 16-bit PNG or TIFF opens as 8-bit RGB)."""
    if image.format == "TIFF":
        bits = getattr(image, "tag_v2", {}).get(258)
        if isinstance(bits, tuple) and bits:
            return int(bits[0])
        if isinstance(bits, int):
            return bits
    depth = image.info.get("bit_depth") or (_png_bit_depth(image) if image.format == "PNG" else None)
    return int(depth) if isinstance(depth, int) and depth else _BITS.get(image.mode, 8)


def _png_bit_depth(image: Image.Image) -> int | None:
    fp = getattr(image, "fp", None)
    if fp is None:
        return None
    at = fp.tell()
    try:
        fp.seek(24)
        return int(fp.read(1)[0])
    except (OSError, IndexError, ValueError):
        return None
    finally:
        fp.seek(at)


def _raw_facts(fp: IO[bytes], fmt: str) -> MediaInfo:
    with raw.spooled(fp) as path, raw.opened(path) as handle:
        return _raw_info(path, handle, fmt)


def _raw_info(path: str, handle: Any, fmt: str) -> MediaInfo:
    width, height = raw.size(handle)
    camera, captured = None, None
    with open(path, "rb") as file:
        if file.read(4) in {b"II*\x00", b"MM\x00*"}:  # TIFF-based RAW: its IFDs are EXIF
            file.seek(0)
            exif = Image.Exif()
            with contextlib.suppress(OSError, SyntaxError, ValueError, EOFError, KeyError):
                exif.load_from_fp(file)
                camera, captured = metadata.camera(exif), metadata.captured_at(exif)
    return MediaInfo(
        kind="image", format=fmt, width=width, height=height, coded_width=int(handle.sizes.raw_width),
        coded_height=int(handle.sizes.raw_height), color_mode="RGB", camera=camera, captured_at=captured,
    )  # fmt: skip
