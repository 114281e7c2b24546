"""Pictures for the enrichment bench: scikit-image's sample photos and a sign with words on it.

The samples are small (300-700 px), so each is enlarged to 2,000 px on its long side and saved as a
camera's JPEG: the stills step then makes the 1280 px preview the models read, as it does for a
photo. The sign is drawn in DejaVu Sans Bold (Debian's fonts-dejavu-core, ``make media-tools``).
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
LONG_SIDE = 2000
# Photo-like samples: people, animals, objects, vehicles, landscapes and texture, greyscale and
# colour, and two of printed text.
SAMPLES = (
    "astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg",
    "hubble_deep_field.jpg", "camera.png", "coins.png", "moon.png", "grass.png", "page.png",
)  # fmt: skip
SIGN = ("MAIN STREET", "Bakery open daily", "Platform 9 for Lisbon")


def _samples_dir() -> Path:
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-image (a dev extra) is not installed: its sample photos are the bench's")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _jpeg(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90)
    return out.getvalue()


def sample(path: Path) -> bytes:
    """A sample photo as a camera's JPEG of ``LONG_SIDE`` px."""
    with Image.open(path) as opened:
        picture = opened.convert("RGB")
    scale = LONG_SIDE / max(picture.size)
    if scale > 1:
        size = (round(picture.width * scale), round(picture.height * scale))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return _jpeg(picture)


def sign() -> bytes:
    """A 2000x1250 JPEG of a sign: the lines in dark letters on a light, uneven board."""
    board = Image.linear_gradient("L").resize((2000, 1250)).point(lambda v: 170 + v // 4).convert("RGB")
    draw = ImageDraw.Draw(board)
    font = ImageFont.truetype(str(FONT), 104)
    for i, line in enumerate(SIGN):
        draw.text((150, 200 + i * 280), line, fill=(20, 24, 40), font=font)
    return _jpeg(board)


def pictures() -> list[tuple[str, bytes]]:
    """The bench's pictures as (file name, JPEG bytes): the samples, then the sign."""
    folder = _samples_dir()
    made = [(Path(name).stem + ".jpg", sample(folder / name)) for name in SAMPLES]
    return [*made, ("sign.jpg", sign())]
