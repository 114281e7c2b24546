"""Photos for the ingest benchmark, and the bare loop the service's throughput is compared with.

The photos are 12-megapixel JPEGs with detail at every scale (a few MB each, as a camera's are),
distinct from one another, made once and kept under ``.dev/bench/``.
"""

from __future__ import annotations

import io
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageOps

# As src/dam/media/images.py: the sizes the renditions fit, and the WebP settings.
PREVIEW = 1280
THUMBNAIL = 320
WEBP = {"quality": 82, "method": 4}
PHOTO_SIZE = (4000, 3000)
_ORIENTATION, _MAKE, _MODEL, _DATETIME_ORIGINAL = 0x0112, 0x010F, 0x0110, 0x9003


def photo(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A JPEG with detail at coarse, middle and fine scales; every fourth one is a rotated portrait."""
    rnd = random.Random(seed)
    width, height = size

    def noise(scale: int) -> Image.Image:
        w, h = max(1, width // scale), max(1, height // scale)
        return Image.frombytes("L", (w, h), rnd.randbytes(w * h)).resize(size, Image.Resampling.BICUBIC)

    gradient = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size)
    coarse, middle, fine = noise(64), noise(8), noise(2)
    bands = (
        Image.blend(Image.blend(gradient, coarse, 0.5), fine, 0.12),
        Image.blend(Image.blend(coarse, middle, 0.4), fine, 0.1),
        Image.blend(Image.blend(gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), middle, 0.5), fine, 0.1),
    )
    exif = Image.Exif()
    exif[_ORIENTATION] = 6 if seed % 4 == 3 else 1
    exif[_MAKE], exif[_MODEL] = "Bench", "Camera 12MP"
    exif.get_ifd(0x8769)[_DATETIME_ORIGINAL] = f"2026:11:{1 + seed % 28:02d} 12:00:00"
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _write_photo(path: Path, seed: int) -> None:
    partial = path.with_suffix(".part")
    partial.write_bytes(photo(seed))
    partial.replace(path)  # a run interrupted while writing leaves no truncated photo behind


def make_photos(folder: Path, count: int) -> list[Path]:
    """``count`` distinct photos in ``folder``; only the missing ones are made (on every core)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{seed:03d}.jpg" for seed in range(count)]
    missing = [(path, seed) for seed, path in enumerate(paths) if not path.exists()]
    if missing:
        print(f"(making {len(missing)} photos of {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} under {folder}, once)")
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for future in [pool.submit(_write_photo, path, seed) for path, seed in missing]:
                future.result()
    return paths


def small_jpeg(seed: int) -> bytes:
    """A small 640x480 JPEG with some detail."""
    return photo(seed, (640, 480))


def bare_render(path: Path) -> tuple[bytes, bytes]:
    """The media work of the image job with plain Pillow: draft decode, upright, two WebP renditions."""
    with Image.open(path) as image:
        image.draft("RGB", (PREVIEW, PREVIEW))
        preview = ImageOps.exif_transpose(image)
    preview.thumbnail((PREVIEW, PREVIEW), Image.Resampling.LANCZOS)
    thumbnail = preview.copy()
    thumbnail.thumbnail((THUMBNAIL, THUMBNAIL), Image.Resampling.LANCZOS)
    encoded = []
    for picture in (preview, thumbnail):
        out = io.BytesIO()
        picture.save(out, "WEBP", **WEBP)
        encoded.append(out.getvalue())
    return encoded[0], encoded[1]


def bare_loop(paths: list[Path]) -> float:
    """Seconds for one process to render every photo in turn, reading them from local disk."""
    started = time.perf_counter()
    for path in paths:
        bare_render(path)
    return time.perf_counter() - started


def _warm() -> None:
    """Nothing: a pool's processes are started (and Pillow imported) before the clock starts."""


def bare_loop_every_core(paths: list[Path]) -> tuple[float, int]:
    """Seconds for one process per core to render every photo (each its share, in turn), and how
    many processes: the media work at this machine's limit."""
    cores = os.cpu_count() or 1
    shares = [paths[n::cores] for n in range(cores)]
    with ProcessPoolExecutor(max_workers=cores) as pool:
        for future in [pool.submit(_warm) for _ in range(cores)]:
            future.result()
        started = time.perf_counter()
        for future in [pool.submit(bare_loop, share) for share in shares if share]:
            future.result()
        return time.perf_counter() - started, cores
